"""A cache of per-run summaries, kept in the git directory and never committed.

Parsing every run's TOML is the slow part of reading many runs (about a
millisecond a run). The index keeps, for each run folder, the tree id it was
computed from and what ``summarize`` made of it: a light part (what a plain
listing shows) and a detail part (metrics, event keys), in two files, so listing
100,000 runs never loads 100,000 metric tables. An unchanged branch tip is answered
straight from the files; otherwise whole shards whose tree id is unchanged are
reused and only run folders whose tree id changed are parsed again. A missing,
stale, foreign or corrupt file is rebuilt; a git directory that cannot be written
only costs speed. (The files are pickles in the git directory: whoever can write
there can already replace git's hooks, so they add no way in.)
"""

from __future__ import annotations

import gc
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from contexta_git.core.files import write_atomic
from contexta_git.git.repo import View

FORMAT = 2
#: summarize(view, run folder path) -> (light, detail); it reads the folder itself and
#: decides what an unreadable folder (a bad name, a corrupt file) summarises to
Summarize = Callable[[View, str], tuple[Any, Any]]


def summaries(view: View, summarize: Summarize, name: str, version: int,
              project: str | None = None, detail: bool = False) -> list[Any]:
    """The light summaries of every run folder at ``view`` (of one project, or all), or
    ``(light, detail)`` pairs with ``detail``."""
    tip = view.commit_id
    if tip is None:
        return []
    with _no_gc():
        return _summaries(view, summarize, name, version, project, detail, tip)


def _summaries(view: View, summarize: Summarize, name: str, version: int, project: str | None,
               detail: bool, tip: str) -> list[Any]:
    base = view.common_dir / "contexta"
    stamp = (FORMAT, name, version)
    light = _load(base / f"index-{name}.pickle", stamp)
    extra = _load(base / f"index-{name}-detail.pickle", stamp) if detail else {}
    if light.get("tip") != tip or (detail and extra.get("tip") != tip):
        if not detail:  # a refresh reuses the old entries of both halves
            extra = _load(base / f"index-{name}-detail.pickle", stamp)
        light, extra = _refresh(view, light, extra, summarize, stamp, tip)
        _save(base / f"index-{name}.pickle", light)
        _save(base / f"index-{name}-detail.pickle", extra)
    details = extra.get("runs", {})
    out: list[Any] = []
    for (proj, _shard), (_tid, members) in light["shards"].items():
        if project is not None and proj != project:
            continue
        for run, (_rtid, item) in members.items():
            out.append((item, details[(proj, run)][1]) if detail else item)
    return out


def _refresh(view: View, light: dict[str, Any], extra: dict[str, Any], summarize: Summarize,
             stamp: tuple[Any, ...], tip: str) -> tuple[dict[str, Any], dict[str, Any]]:
    old_shards = light.get("shards", {}) if light.get("stamp") == stamp else {}
    old_detail = extra.get("runs", {}) if extra.get("stamp") == stamp else {}
    shards: dict[tuple[str, str], tuple[str, dict[str, tuple[str, Any]]]] = {}
    details: dict[tuple[str, str], tuple[str, Any]] = {}
    for project in view.names("projects"):
        base = f"projects/{project}/runs"
        for shard, shard_tid in view.subtrees(base):
            key = (project, shard)
            before = old_shards.get(key, ("", {}))
            if before[0] == shard_tid:  # nothing in this shard changed: no tree walk
                listed = [(run, entry[0]) for run, entry in before[1].items()]
            else:
                listed = view.subtrees(f"{base}/{shard}")
            members: dict[str, tuple[str, Any]] = {}
            for run, run_tid in listed:
                old = before[1].get(run)
                cached = old_detail.get((project, run))
                if old and old[0] == run_tid and cached and cached[0] == run_tid:
                    members[run], details[(project, run)] = old, cached
                    continue
                made, detail = summarize(view, f"{base}/{shard}/{run}")
                members[run], details[(project, run)] = (run_tid, made), (run_tid, detail)
            shards[key] = (shard_tid, members)
    return ({"stamp": stamp, "tip": tip, "shards": shards},
            {"stamp": stamp, "tip": tip, "runs": details})


def _load(path: Path, stamp: tuple[Any, ...]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
    except Exception:
        return {}
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return {}
    return data


@contextmanager
def _no_gc() -> Iterator[None]:
    """Unpickling 100,000 summaries allocates millions of objects, none of them cyclic:
    the cyclic collector would run hundreds of times for nothing (3x slower)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _save(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
