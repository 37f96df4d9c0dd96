"""The compare page: runs side by side (analysis/multi.py), their curves overlaid and a
parallel-coordinates view of their params against one metric."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from contexta_git.analysis.multi import SECTIONS, compare_runs_side_by_side
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs
from contexta_git.web import run_page
from contexta_git.web.curves import curves
from contexta_git.web.parallel import parallel
from contexta_git.web.site import Query
from contexta_git.web.sources import Source

MOST = 20  # runs on one page: beyond that no table or chart stays readable


def context(runs: Runs, source: Source, query: Query) -> dict[str, Any]:
    named = list(dict.fromkeys(query.get("run") or []))
    if len(named) < 2:
        raise InvalidValue("choose at least two runs to compare (?run=PROJECT.NAME twice or more)")
    if len(named) > MOST:
        raise InvalidValue(f"at most {MOST} runs can be compared on one page, not {len(named)}")
    view = source.view(runs)
    data = [run_page.read(runs, view, text) for text in named]
    every = compare_runs_side_by_side(data, every_row=True)
    show_all = bool((query.get("all") or [""])[-1])
    metrics = [row.key for row in every.section("metric")]
    metric = (query.get("metric") or [""])[-1] or (metrics[0] if metrics else "")
    if metric and metric not in metrics:
        raise InvalidValue(f"metric={metric!r}: these runs have no such metric")
    axes = [(row.key, row.values) for row in every.section("param")]
    if metric:
        axes.append((metric, next(r.values for r in every.section("metric") if r.key == metric)))
    return {
        "title": f"{len(data)} runs compared", "runs": data, "refs": every.runs,
        "sections": [(name, [r for r in every.section(name) if show_all or r.changed])
                     for name in SECTIONS],
        "show_all": show_all, "metrics": metrics, "metric": metric,
        "parallel": parallel([d.ref for d in data], axes) if axes else None,
        "charts": curves(view, data),
        "self_query": urlencode([("run", r) for r in named]),
    }
