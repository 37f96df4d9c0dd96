"""Which run is best by one metric: ``select_best_run``. Quarantined runs never win
unless asked; runs without the metric are skipped."""

from __future__ import annotations

from collections.abc import Sequence

from contexta_git.core.time import sort_key
from contexta_git.errors import ContextaError
from contexta_git.analysis.listing import RunSummary, run_summaries
from contexta_git.core.names import check_key
from contexta_git.store.runs import Runs


class NoCandidate(ContextaError):
    def __init__(self, metric: str, stage: str | None, considered: int, quarantined: int) -> None:
        where = f" in stage {stage!r}" if stage else ""
        held = f" ({quarantined} quarantined run(s) left out)" if quarantined else ""
        super().__init__(f"none of {considered} run(s) has metric {metric!r}{where}{held}")


def select_best_run(runs: Runs, candidates: Sequence[str] | None, metric: str, *,
                    stage_name: str | None = None, higher_is_better: bool = True,
                    include_quarantined: bool = False, project: str | None = None) -> str:
    """The ``run:p.n`` reference of the best of ``candidates`` (all runs of ``project``
    when None) by the latest value of ``metric`` (in ``stage_name``, or in any stage).
    Ties go to the earlier run."""
    check_key(metric)
    view = runs.view()
    if candidates is None:
        summaries = run_summaries(view, project, detail=True)
    else:
        ids = list(dict.fromkeys(runs.resolve(ref, project) for ref in candidates))
        summaries = run_summaries(view, run_ids=ids, detail=True)
    held = {s.run_id for s in summaries if s.quarantined and not include_quarantined}
    scored: list[tuple[float, RunSummary]] = []
    for summary in summaries:
        if summary.run_id in held:
            continue
        values = summary.latest_metrics(stage_name)
        if metric in values:
            scored.append((values[metric], summary))
    if not scored:
        raise NoCandidate(metric, stage_name, len(summaries), len(held))
    scored.sort(key=lambda pair: (sort_key(pair[1].started_at), pair[1].run_id))
    pick = max if higher_is_better else min
    return pick(scored, key=lambda pair: pair[0])[1].ref
