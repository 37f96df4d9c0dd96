"""The curves of a page (web/charts.py drawn by web/html.py), kept for the runs' folder
trees: a run folder's tree id changes with any point added to it, so a page asked again
(a reload, the run page after the compare page) draws from memory instead of parsing
every chunk again; a run that changed is read afresh."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from markupsafe import Markup

from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.git.repo import View
from contexta_git.web import charts, html

KEPT = 32  # pages of curves kept, the least recently asked dropped first
_kept: OrderedDict[tuple[str, ...], Markup] = OrderedDict()
_lock = threading.Lock()


def curves(view: View, runs: Sequence[RunData]) -> Markup:
    """A chart per series key any of ``runs`` has, their lines overlaid."""
    ids = [RunId(data.project, data.name) for data in runs]
    key = (*(_tree(view, run) for run in ids), *(data.ref for data in runs))
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    drawn = html.fragment(charts.every_series(view, list(zip(ids, runs, strict=True))))
    with _lock:
        _kept[key] = drawn
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return drawn


def _tree(view: View, run: RunId) -> str:
    shard, _, name = run.path.rpartition("/")
    return dict(view.subtrees(shard)).get(name, "")
