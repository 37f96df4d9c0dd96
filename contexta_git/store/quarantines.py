"""Quarantines that outlive their run: a ledger per run name, beside the run folders.

A quarantine (``contexta.quarantine``) or release (``contexta.release``) event appended
to a run is also appended, with the same record id, to
``projects/<project>/quarantines/<run>.toml``. ``rm`` removes run folders, never ledgers,
and copies there the quarantine events of runs recorded before ledgers existed; a merge
takes the union of both sides' ledgers by record id. Every reader of a run's quarantine
state (``Runs.get``, listings, selection, certify, verify) reads the run's own events
together with its ledger, so a quarantine outlives ``rm``, re-recording under the same
name, and merges; a release names what it lifts, so it does too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import RunId, project_path
from contexta_git.errors import ContextaError, CorruptRun, InvalidName
from contexta_git.git.repo import View

EVENTS = "events.toml"
TABLE = "events"
KEYS = (records.QUARANTINE_EVENT, records.RELEASE_EVENT)


def ledger_path(run: RunId) -> str:
    return f"{project_path(run.project)}/quarantines/{run.name}.toml"


def is_ledger(path: str) -> bool:
    parts = path.split("/")
    return (len(parts) == 4 and parts[0] == "projects" and parts[2] == "quarantines"
            and parts[3].endswith(".toml"))


def ledger_problem(path: str, data: bytes | None) -> CorruptRun | None:
    """What makes the ledger at ``path`` unreadable (None: readable or absent), as the
    CorruptRun that names it."""
    if data is None:
        return None
    folder, _, name = path.rpartition("/")
    try:
        entries = records.loads(data, path).get(TABLE, [])
    except ContextaError as exc:
        return CorruptRun(folder, name, str(exc).removeprefix(f"corrupt {path} on the runs "
                                                              "branch: "))
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        return CorruptRun(folder, name, f"{TABLE} must be a list of tables, each with an id")
    return None


def check_ledger(view: View, run: RunId) -> None:
    """CorruptRun naming the run's ledger when it cannot be read."""
    path = ledger_path(run)
    problem = ledger_problem(path, view.read(path))
    if problem is not None:
        raise problem


def marks(entries: Any) -> list[dict[str, Any]]:
    """The quarantine and release events among ``entries`` (nothing that is not a table)."""
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("key") in KEYS
            and isinstance(e.get("id"), str)]


def with_ledger(view: View, run: RunId, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """A run folder's files with its ledger's events added to ``events.toml``."""
    ledger = view.read(ledger_path(run))
    out = dict(files)
    if ledger:
        merged = records.merge_append(files.get(EVENTS), ledger, TABLE)
        if merged is not None:
            out[EVENTS] = merged
    return out


def ledgers(view: View, project: str | None = None) -> Iterator[tuple[RunId, bytes]]:
    """Every ledger at ``view`` (of one project, or of all): run and content."""
    for name in [project] if project else view.names("projects"):
        folder = f"projects/{name}/quarantines"
        for filename, data in view.files(folder).items():
            try:
                yield RunId(name, filename.removesuffix(".toml")), data
            except InvalidName:  # not one of ours: no run can have that name
                continue


def active(view: View, run: RunId, ledger: bytes) -> bool:
    """Whether a quarantine is in force for ``run``: its events and its ledger together."""
    return bool(_in_force(view, run, ledger))


def reason(view: View, run: RunId) -> str | None:
    """The reasons of the quarantines in force for ``run`` (None: none), whether or not
    the run is still on the branch: a removed run's ledger still answers."""
    reasons = list(dict.fromkeys(_in_force(view, run, view.read(ledger_path(run))).values()))
    return "; ".join(reasons) if reasons else None


def in_force(view: View, run: RunId) -> dict[str, str]:
    """The quarantines in force for ``run`` at ``view``, ``{event id: reason}``: its own
    events and its ledger together, whether or not the run is still on the branch."""
    return _in_force(view, run, view.read(ledger_path(run)))


def _in_force(view: View, run: RunId, ledger: bytes | None) -> dict[str, str]:
    events = records.loads(view.read(f"{run.path}/{EVENTS}"), EVENTS).get(TABLE, [])
    known = {e.get("id") for e in events}
    more = [e for e in records.loads(ledger, ledger_path(run)).get(TABLE, [])
            if e.get("id") not in known]
    return records.active_quarantines([*events, *more])


def preserve(view: View, run: RunId) -> dict[str, bytes]:
    """The ledger change that keeps a run's quarantine events once its folder is gone
    (runs recorded before ledgers hold them only in ``events.toml``)."""
    try:
        events = records.loads(view.read(f"{run.path}/{EVENTS}"), EVENTS).get(TABLE, [])
    except ContextaError:  # an unreadable events.toml holds no quarantine anyone could read
        events = []
    path = ledger_path(run)
    existing = view.read(path)
    if ledger_problem(path, existing) is not None:  # unreadable: history keeps it, the tip
        # gets what can be read
        return {path: records.append(None, TABLE, marks(events)) or records.dumps({TABLE: []})}
    updated = records.append(existing, TABLE, marks(events))
    return {path: updated} if updated is not None else {}
