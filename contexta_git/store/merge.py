"""Three-way merge of two tips of the runs branch: nothing recorded on either side is lost.

Rules, per path changed since the merge base:
- changed on one side only: that side wins (an addition, an edit or a deletion);
- changed on both sides to the same bytes: nothing to do;
- append-only files (metrics, events, datasets, artifacts): the union by record id,
  ours first, then what only theirs has;
- step series: chunk files are never rewritten and named by their content, so the union
  of both sides' chunks comes from the rules above; a ``series.toml`` both sides changed
  is recomputed from that union (store/series.py), and a chunk that cannot be read
  refuses the run as an unreadable folder does;
- ``stages.toml``: the union by stage name; a stage on both sides merges like run.toml;
- ``run.toml``: tables merge key by key; a conflicting scalar takes the side that still
  equals the base, else: ``status`` prefers a terminal status over ``running`` (two
  different terminal ones: the side that ended later), ``ended_at`` the later time,
  anything else ours;
- quarantine ledgers (``projects/<p>/quarantines/<run>.toml``): the union by record id;
- alias and deployment ledgers (store/ledgers.py): the union by entry id; an alias moved
  on both sides is named in the notes with both targets and the one it now names; a
  ledger that cannot be read on their side is not merged, and the notes say so;
- ``project.toml``, ``FORMAT``, certificates, environment and lockfile: ours;
- a run deleted (``rm``) on one side and changed on the other is kept whole, with the
  changes, and reported in the notes; one deleted on theirs and unchanged on ours is
  removed, and reported as removed;
- a run folder that theirs changed and that cannot be read there (core/schema.py) is
  refused: nothing of it is merged, ours stays as it was, and ``refused`` names it; one
  that cannot be read on our side is left as it is, and the notes say so;
- a run created on both sides since the merge base is the same run only when both say it
  started at the same moment (a script re-run on two clones); otherwise these are two
  runs that happen to share a name: the one that started first keeps it, the other is
  kept whole as ``<name>-<first 8 hex of the sha256 of "<project>.<name>@<started_at>">``,
  and the notes say so. The choice depends on the two runs only, never on which side
  merges, so two clones merging each other at once end with the same two runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contexta_git.core.time import sort_key
from contexta_git.core import records
from contexta_git.core.names import MAX_NAME, RunId
from contexta_git.core.schema import RunProblem
from contexta_git.git.repo import View
from contexta_git.errors import CorruptRun
from contexta_git.store import ledgers, quarantines, series
from contexta_git.store.runs import problem

RUNNING = "running"


@dataclass
class Resolution:
    """What a merge decided: the changes on top of ours, and what to tell the user."""

    changes: dict[str, bytes | None] = field(default_factory=dict)
    added: set[str] = field(default_factory=set)  # run folders new to ours
    merged: set[str] = field(default_factory=set)  # run folders changed on both sides
    kept: set[str] = field(default_factory=set)  # run folders deleted on one side, kept
    removed: set[str] = field(default_factory=set)  # runs of ours the other side deleted
    notes: list[str] = field(default_factory=list)
    placed: set[str] = field(default_factory=set)  # run folders already written whole
    refused: list[RunProblem] = field(default_factory=list)  # unreadable there: not merged


def run_folder(path: str) -> str | None:
    """``projects/<p>/runs/<shard>/<run>`` for a path inside a run folder."""
    parts = path.split("/")
    if len(parts) >= 6 and parts[0] == "projects" and parts[2] == "runs":
        return "/".join(parts[:5])
    return None


def resolve(base: View, ours: View, theirs: View, ours_changed: set[str],
            theirs_changed: set[str], out: Resolution | None = None) -> Resolution:
    out = out or Resolution()
    folders = {f for f in map(run_folder, ours_changed | theirs_changed) if f}
    for folder in sorted(folders):  # first the same-name clashes: they may place a renamed run
        if _clash(folder, base, ours, theirs, theirs_changed):
            _keep_both(folder, ours, theirs, out)
    for folder in sorted(folders - out.placed):
        _resolve_run(folder, base, ours, theirs, ours_changed, theirs_changed, out)
    for path in sorted(theirs_changed):
        if run_folder(path) is None:
            _resolve_path(path, base, ours, theirs, path in ours_changed, out)
    return out


def _resolve_run(folder: str, base: View, ours: View, theirs: View, ours_changed: set[str],
                 theirs_changed: set[str], out: Resolution) -> None:
    prefix = folder + "/"
    mine = {p for p in ours_changed if p.startswith(prefix)}
    other = {p for p in theirs_changed if p.startswith(prefix)}
    if not other:
        return
    if theirs.names(folder) and (bad := problem(theirs, folder)) is not None:
        out.refused.append(bad)
        return
    if ours.names(folder) and (bad := problem(ours, folder)) is not None:
        out.notes.append(f"not merged: {bad.message} on this side (rm it, then pull again)")
        return
    head = f"{folder}/{records.RUN}"
    in_base, in_ours, in_theirs = base.exists(head), ours.exists(head), theirs.exists(head)
    name = run_ref(folder)
    if in_base and not in_theirs and mine:  # theirs removed it, ours recorded more: keep ours
        out.kept.add(name)
        out.notes.append(f"kept {name}: removed on the other side, changed on this one")
        return
    if in_base and not in_ours and in_theirs:  # ours removed it, theirs recorded more: restore
        out.kept.add(name)
        out.notes.append(f"kept {name}: removed on this side, changed on the other one")
        for filename, data in series.folder_files(theirs, folder).items():
            out.changes[f"{folder}/{filename}"] = data
        return
    index = f"{folder}/{records.SERIES}"
    union = None
    if index in mine and index in other and ours.read(index) != theirs.read(index):
        try:  # both sides flushed points: the summaries of the union of their chunks
            union = series.merged_index(ours, theirs, folder)
        except CorruptRun as exc:
            out.refused.append(RunProblem.of(exc))
            return
    if in_base and in_ours and not in_theirs and not mine:
        out.removed.add(name)
    if in_theirs and not in_ours:
        out.added.add(name)
    elif mine and in_theirs:
        out.merged.add(name)
    for path in sorted(other):
        if path == index and union is not None:
            out.changes[path] = union
        else:
            _resolve_path(path, base, ours, theirs, path in mine, out)


def _clash(folder: str, base: View, ours: View, theirs: View, theirs_changed: set[str]) -> bool:
    """A run created on both sides since the base, by two separate recordings."""
    head = f"{folder}/{records.RUN}"
    return (head in theirs_changed and not base.exists(head) and ours.exists(head)
            and theirs.exists(head) and _independent(ours, theirs, head))


def _independent(ours: View, theirs: View, head: str) -> bool:
    """Two run.toml files written separately (different start times) for one name."""
    mine = records.loads(ours.read(head), records.RUN)
    other = records.loads(theirs.read(head), records.RUN)
    return sort_key(mine.get("started_at")) != sort_key(other.get("started_at"))


def _keep_both(folder: str, ours: View, theirs: View, out: Resolution) -> None:
    """Two runs under one name: the one that started first keeps it, the other moves to
    ``<name>-<digest of its identity>``; the same result whichever side merges."""
    run = RunId.from_path(folder)
    mine, other = series.folder_files(ours, folder), series.folder_files(theirs, folder)
    first, second = sorted((mine, other), key=_birth)
    renamed = RunId(run.project, f"{run.name[: MAX_NAME - 9]}-{_digest(run, second)}")
    if first is other:  # theirs keeps the name: ours moves aside
        out.changes.update({f"{folder}/{name}": None for name in mine if name not in other})
        out.changes.update({f"{folder}/{name}": data for name, data in other.items()})
    files = {name: (records.merge_header(data, {"name": renamed.name,
                                                "merged_from": {"name": run.name}})
                    if name == records.RUN else data) for name, data in second.items()}
    for copy in (series.folder_files(ours, renamed.path),  # merged before
                 series.folder_files(theirs, renamed.path)):
        for name, data in copy.items():
            current = files.get(name)
            files[name] = data if current in (None, data) else (
                merge_file(f"{renamed.path}/{name}", None, data, current or b"") or data)
    out.changes.update({f"{renamed.path}/{name}": data for name, data in files.items()})
    out.placed.update({folder, renamed.path})
    out.added.add(renamed.ref if second is other else run.ref)
    kept, moved = ("this", "the other") if first is mine else ("the other", "this")
    out.notes.append(f"{run.ref} was recorded separately on both sides: {kept} side's run "
                     f"started first and keeps the name; {moved} side's run is kept as "
                     f"{renamed.ref}")


def _started(files: dict[str, bytes]) -> Any:
    return records.loads(files.get(records.RUN), records.RUN).get("started_at")


def _birth(files: dict[str, bytes]) -> tuple[bool, datetime, str, bytes]:
    """A run's place in a total order by start time (unreadable times last)."""
    started = _started(files)
    try:
        moment = datetime.fromisoformat(str(started))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        moment = None
    floor = datetime.min.replace(tzinfo=UTC)
    return moment is None, moment or floor, str(started), files.get(records.RUN, b"")


def _digest(run: RunId, files: dict[str, bytes]) -> str:
    """8 hex digits naming one recording of a run: fixed when it started, so the same
    whatever the run recorded since on either side."""
    started = _started(files)
    identity = f"{run.id}@{started}".encode() if started else files.get(records.RUN, b"")
    return hashlib.sha256(identity).hexdigest()[:8]


def _resolve_path(path: str, base: View, ours: View, theirs: View, both: bool,
                  out: Resolution) -> None:
    mine, other = ours.read(path), theirs.read(path)
    if mine == other:
        return
    if quarantines.is_ledger(path) and (bad := quarantines.ledger_problem(path, other)):
        out.refused.append(RunProblem.of(bad))  # theirs cannot be read: ours stays
        return
    if ledgers.table_of(path) and other is not None:
        try:
            ledgers.entries(other, path)
        except ledgers.CorruptLedger as exc:
            out.notes.append(f"not merged: {exc} (on the other side)")
            return
    if not both:
        out.changes[path] = other
        return
    if mine is None or other is None:  # a file deleted on one side and changed on the other
        out.changes[path] = mine if other is None else other
        return
    merged = merge_file(path, base.read(path), mine, other)
    if ledgers.table_of(path):
        try:
            note = ledgers.concurrent_note(path, base.read(path), mine, other)
        except ledgers.CorruptLedger as exc:  # ours cannot be read: the union kept theirs too
            note = f"{exc} (on this side)"
        if note:
            out.notes.append(note)
    if merged is None:
        out.notes.append(f"{path}: changed on both sides; kept this side's version")
    elif merged != mine:
        out.changes[path] = merged


def merge_file(path: str, base: bytes | None, ours: bytes, theirs: bytes) -> bytes | None:
    """The merged content of a file changed on both sides (None: ours wins by rule)."""
    filename = path.rsplit("/", 1)[-1]
    if quarantines.is_ledger(path):
        return records.merge_append(ours, theirs, quarantines.TABLE)
    if table := ledgers.table_of(path):
        return records.merge_append(ours, theirs, table)
    if run_folder(path) is not None:
        if filename in records.APPEND:
            return records.merge_append(ours, theirs, records.APPEND[filename])
        if filename == records.STAGES:
            return merge_stages(base, ours, theirs)
        if filename == records.RUN:
            return records.dumps(merge_tables(records.loads(base), records.loads(ours, path),
                                              records.loads(theirs, path)))
    return None


def merge_stages(base: bytes | None, ours: bytes, theirs: bytes) -> bytes:
    def by_name(data: bytes | None) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in records.loads(data).get("stages", [])}

    old, mine, other = by_name(base), by_name(ours), by_name(theirs)
    merged = dict(mine)
    for name, stage in other.items():
        merged[name] = merge_tables(old.get(name, {}), mine[name], stage) if name in mine else stage
    ordered = sorted(merged.values(), key=lambda s: (s.get("order", 0), s["name"]))
    return records.dumps({"stages": ordered})


def merge_tables(base: Mapping[str, Any], ours: Mapping[str, Any],
                 theirs: Mapping[str, Any]) -> dict[str, Any]:
    """Key-wise three-way merge of two TOML tables (the rule in the module docstring)."""
    out = dict(ours)
    for key in _keys(ours, theirs):
        if key not in ours:
            if key not in base or base[key] != theirs[key]:  # added (or changed) by theirs
                out[key] = theirs[key]
            continue
        if key not in theirs or ours[key] == theirs[key]:
            continue
        mine, other, old = ours[key], theirs[key], base.get(key)
        if isinstance(mine, dict) and isinstance(other, dict):
            out[key] = merge_tables(old if isinstance(old, dict) else {}, mine, other)
        elif mine == old:
            out[key] = other
        elif other == old:
            continue
        elif key == "status":
            out[key] = _status(ours, theirs)
        elif key == "ended_at":
            out[key] = max(str(mine), str(other))
    return out


def _status(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Any:
    mine, other = ours["status"], theirs["status"]
    if mine == RUNNING:
        return other
    if other == RUNNING:
        return mine
    return other if sort_key(theirs.get("ended_at")) > sort_key(ours.get("ended_at")) else mine


def _keys(ours: Iterable[str], theirs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*ours, *theirs]))


def run_ref(folder: str) -> str:
    """``run:<project>.<run>`` of a run folder path."""
    parts = folder.split("/")
    return f"run:{parts[1]}.{parts[4]}"
