"""Three-way merge of two tips of the runs branch: nothing recorded on either side is lost.

Rules, per path changed since the merge base:
- changed on one side only: that side wins (an addition, an edit or a deletion);
- changed on both sides to the same bytes: nothing to do;
- append-only files (metrics, events, datasets, artifacts): the union by record id,
  ours first, then what only theirs has;
- ``stages.toml``: the union by stage name; a stage on both sides merges like run.toml;
- ``run.toml``: tables merge key by key; a conflicting scalar takes the side that still
  equals the base, else: ``status`` prefers a terminal status over ``running`` (two
  different terminal ones: the side that ended later), ``ended_at`` the later time,
  anything else ours;
- ``project.toml``, ``FORMAT``, certificates, environment and lockfile: ours;
- a run deleted (``rm``) on one side and changed on the other is kept whole, with the
  changes, and reported in the notes;
- a run folder that theirs changed and that cannot be read there (core/schema.py) is
  refused: nothing of it is merged, ours stays as it was, and ``refused`` names it; one
  that cannot be read on our side is left as it is, and the notes say so;
- a run created on both sides since the merge base is the same run only when both say it
  started at the same moment (a script re-run on two clones); otherwise these are two
  runs that happen to share a name: ours keeps it, theirs is kept whole as
  ``<name>-<first 8 hex of the sha256 of its run.toml>``, and the notes say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contexta_git.core import records
from contexta_git.core.schema import RunProblem
from contexta_git.git.repo import View
from contexta_git.store.runs import problem

RUNNING = "running"


@dataclass
class Resolution:
    """What a merge decided: the changes on top of ours, and what to tell the user."""

    changes: dict[str, bytes | None] = field(default_factory=dict)
    added: set[str] = field(default_factory=set)  # run folders new to ours
    merged: set[str] = field(default_factory=set)  # run folders changed on both sides
    kept: set[str] = field(default_factory=set)  # run folders deleted on one side, kept
    notes: list[str] = field(default_factory=list)
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
    for folder in sorted(folders):
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
        for filename, data in theirs.files(folder).items():
            out.changes[f"{folder}/{filename}"] = data
        return
    if not in_base and in_ours and in_theirs and _independent(ours, theirs, head):
        _keep_both(folder, theirs, out)
        return
    if in_theirs and not in_ours:
        out.added.add(name)
    elif mine and in_theirs:
        out.merged.add(name)
    for path in sorted(other):
        _resolve_path(path, base, ours, theirs, path in mine, out)


def _independent(ours: View, theirs: View, head: str) -> bool:
    """Two run.toml files written separately (different start times) for one name."""
    mine = records.loads(ours.read(head), records.RUN)
    other = records.loads(theirs.read(head), records.RUN)
    return mine.get("started_at") != other.get("started_at")


def _keep_both(folder: str, theirs: View, out: Resolution) -> None:
    import hashlib

    from contexta_git.core.names import RunId

    run = RunId.from_path(folder)
    files = theirs.files(folder)
    digest = hashlib.sha256(files[records.RUN]).hexdigest()[:8]
    renamed = RunId(run.project, f"{run.name[: 128 - 9]}-{digest}")
    for filename, data in files.items():
        if filename == records.RUN:
            data = records.merge_header(data, {"name": renamed.name,
                                               "merged_from": {"name": run.name}})
        out.changes[f"{renamed.path}/{filename}"] = data
    out.added.add(renamed.ref)
    out.notes.append(f"{run.ref} was recorded separately on both sides: the other side's "
                     f"run is kept as {renamed.ref}")


def _resolve_path(path: str, base: View, ours: View, theirs: View, both: bool,
                  out: Resolution) -> None:
    mine, other = ours.read(path), theirs.read(path)
    if mine == other:
        return
    if not both:
        out.changes[path] = other
        return
    if mine is None or other is None:  # a file deleted on one side and changed on the other
        out.changes[path] = mine if other is None else other
        return
    merged = merge_file(path, base.read(path), mine, other)
    if merged is None:
        out.notes.append(f"{path}: changed on both sides; kept this side's version")
    elif merged != mine:
        out.changes[path] = merged


def merge_file(path: str, base: bytes | None, ours: bytes, theirs: bytes) -> bytes | None:
    """The merged content of a file changed on both sides (None: ours wins by rule)."""
    filename = path.rsplit("/", 1)[-1]
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
    return other if str(theirs.get("ended_at", "")) > str(ours.get("ended_at", "")) else mine


def _keys(ours: Iterable[str], theirs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*ours, *theirs]))


def run_ref(folder: str) -> str:
    """``run:<project>.<run>`` of a run folder path."""
    parts = folder.split("/")
    return f"run:{parts[1]}.{parts[4]}"
