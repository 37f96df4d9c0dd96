"""Which run is best by one metric: ``select_best_run``. Quarantined runs never win
unless asked; runs without the metric are skipped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from contexta_git.core.time import sort_key
from contexta_git.errors import ContextaError
from contexta_git.analysis.listing import (RunSummary, ledger_of, ledgers_readable,
                                           ranked_summaries, run_summaries)
from contexta_git.git.repo import View
from contexta_git.core.schema import RunProblem
from contexta_git.core.names import check_key
from contexta_git.store.runs import Runs


class NoCandidate(ContextaError):
    def __init__(self, metric: str, stage: str | None, considered: int, quarantined: int,
                 skipped: Sequence[RunProblem] = ()) -> None:
        where = f" in stage {stage!r}" if stage else ""
        held = f" ({quarantined} quarantined run(s) left out)" if quarantined else ""
        bad = (f"; {len(skipped)} unreadable run(s) left out, first {skipped[0].message}"
               if skipped else "")
        super().__init__(f"none of {considered} run(s) has metric {metric!r}{where}{held}{bad}")


@dataclass(frozen=True)
class Best:
    """The winner, its value, and the run folders that could not be read (left out)."""

    ref: str
    value: float
    skipped: tuple[RunProblem, ...] = ()


def select_best_run(runs: Runs, candidates: Sequence[str] | None, metric: str, *,
                    stage_name: str | None = None, higher_is_better: bool = True,
                    include_quarantined: bool = False, project: str | None = None) -> str:
    """The ``run:p.n`` reference of the best of ``candidates`` (all runs of ``project``
    when None) by the value ``metric`` names (in ``stage_name``, or in any stage): the
    latest value of a metric, or an aggregate of a step series (``loss.min``, see
    core/series.py). Ties go to the earlier run; NaN and infinite values never win."""
    return best_run(runs, candidates, metric, stage_name=stage_name,
                    higher_is_better=higher_is_better, include_quarantined=include_quarantined,
                    project=project).ref


def best_run(runs: Runs, candidates: Sequence[str] | None, metric: str, *,
             stage_name: str | None = None, higher_is_better: bool = True,
             include_quarantined: bool = False, project: str | None = None) -> Best:
    """``select_best_run``, with the winning value and the unreadable runs left out."""
    check_key(metric)
    view = runs.view()
    if candidates is None:
        found = _best_by_index(view, metric, stage_name, higher_is_better, include_quarantined,
                               project)
        if found is not None:
            return found
        summaries = run_summaries(view, project, detail=True)
    else:
        ids = list(dict.fromkeys(runs.resolve(ref, project) for ref in candidates))
        summaries = run_summaries(view, run_ids=ids, detail=True)
    held = {s.run_id for s in summaries if s.quarantined and not include_quarantined}
    scored: list[tuple[float, RunSummary]] = []
    for summary in summaries:
        if summary.run_id in held:
            continue
        value = summary.metric(metric, stage_name)
        if value is not None and math.isfinite(value):
            scored.append((value, summary))
    if not scored:
        raise NoCandidate(metric, stage_name, len(summaries), len(held), summaries.skipped)
    scored.sort(key=lambda pair: (sort_key(pair[1].started_at), pair[1].run_id))
    pick = max if higher_is_better else min
    value, winner = pick(scored, key=lambda pair: pair[0])
    return Best(winner.ref, value, summaries.skipped)


def _best_by_index(view: View, metric: str, stage: str | None, higher: bool,
                   include_quarantined: bool, project: str | None) -> Best | None:
    """The winner selected in SQL (listing.ranked_summaries): the first ranked run that is
    not quarantined, its value checked against its summary. None when the index cannot
    say (then every run is read): no sealed index, no winner among the first runs ranked,
    a quarantine ledger that cannot be read, or a value that disagrees."""
    for limit in (64, 4096):
        ranked = ranked_summaries(view, project, metric, stage, descending=higher, limit=limit)
        if ranked is None:
            return None
        found, problems = ranked
        unreadable: list[RunProblem] = []
        ledger = ledger_of(view, project, unreadable)
        if not ledgers_readable(view, project):
            return None  # the full reading names the runs whose ledger it cannot read
        for summary in found:
            applied = ledger(summary)
            if applied is None:
                return None
            if applied.quarantined and not include_quarantined:
                continue
            value = applied.metric(metric, stage)
            if value is None or not math.isfinite(value):
                return None
            return Best(applied.ref, value, tuple(sorted(problems, key=lambda p: p.folder)))
        if len(found) < limit:
            return None  # no candidate at all: the full reading names why
    return None
