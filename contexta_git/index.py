"""A cache of per-run summaries, kept in the git directory and never committed.

Parsing every run's TOML is the slow part of reading many runs (seconds at 10,000
runs). The index keeps, for each run folder, the tree id it was computed from and
the summary itself. An unchanged branch tip is answered straight from the file;
otherwise whole shards whose tree id is unchanged are reused, and only run folders
whose tree id changed are parsed again. A missing, stale, foreign or corrupt file
is rebuilt; a git directory that cannot be written only costs speed.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .gitstore import View
from .names import RunId

T = TypeVar("T")
FORMAT = 1
Summarize = Callable[[RunId, dict[str, bytes]], Any]


def summaries(view: View, summarize: Summarize, name: str, version: int,
              project: str | None = None) -> list[Any]:
    """``summarize(run_id, files)`` of every run at ``view`` (of one project, or all)."""
    tip = view.commit_id
    if tip is None:
        return []
    path = view.common_dir / "contexta" / f"index-{name}.pickle"
    stamp = (FORMAT, name, version)
    cached = _load(path, stamp)
    if cached.get("tip") != tip:
        cached = _refresh(view, cached, summarize, stamp, tip)
        _save(path, cached)
    out: list[Any] = []
    for (proj, _shard), (_tid, members) in cached["shards"].items():
        if project is None or proj == project:
            out.extend(summary for _rtid, summary in members.values())
    return out


def _refresh(view: View, cached: dict[str, Any], summarize: Summarize, stamp: tuple[Any, ...],
             tip: str) -> dict[str, Any]:
    old = cached.get("shards", {})
    shards: dict[tuple[str, str], tuple[str, dict[str, tuple[str, Any]]]] = {}
    for project in view.names("projects"):
        base = f"projects/{project}/runs"
        for shard, shard_tid in view.subtrees(base):
            key = (project, shard)
            if key in old and old[key][0] == shard_tid:
                shards[key] = old[key]
                continue
            before = old.get(key, ("", {}))[1]
            members: dict[str, tuple[str, Any]] = {}
            for run, run_tid in view.subtrees(f"{base}/{shard}"):
                if run in before and before[run][0] == run_tid:
                    members[run] = before[run]
                    continue
                run_id = RunId(project, run)
                members[run] = (run_tid, summarize(run_id, view.files(run_id.path)))
            shards[key] = (shard_tid, members)
    return {"stamp": stamp, "tip": tip, "shards": shards}


def _load(path: Path, stamp: tuple[Any, ...]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except Exception:  # noqa: BLE001 - any unreadable cache is simply rebuilt
        return {}
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return {}
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
