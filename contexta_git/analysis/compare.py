"""What differs between two runs: ``compare_runs``.

Metrics are compared per stage, stages in pipeline order (the left run's order, then
stages only the right run has); metrics recorded outside any stage form the stage
``(run)``. Params and datasets are diffed with deepdiff over plain dicts; the
environment through :func:`environments.diff_environments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contexta_git.analysis.environments import (
    EnvironmentComparison, ValueChange, changed_keys, diff_environments,
)
from contexta_git.core import series
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs

RUN_LEVEL = "(run)"  # the stage name of metrics recorded outside any stage (never a valid stage)


@dataclass(frozen=True)
class MetricDelta:
    """``delta`` is right minus left, None when one side lacks the metric."""

    metric_key: str
    left: float | None
    right: float | None
    delta: float | None
    stage_name: str | None = None  # None: recorded outside any stage

    @property
    def changed(self) -> bool:
        return self.left != self.right

    # upstream Contexta's names for the same values
    @property
    def left_value(self) -> float | None:
        return self.left

    @property
    def right_value(self) -> float | None:
        return self.right

    @property
    def change_ratio(self) -> float | None:
        """The relative change, (right - left) / |left|: -0.044 for a 4.4 % drop (upstream
        returns right / left, 0.956, which reads as a gain); None when left is 0 or absent."""
        if self.delta is None or not self.left:
            return None
        return self.delta / abs(self.left)


@dataclass(frozen=True)
class StageComparison:
    stage_name: str
    metric_deltas: tuple[MetricDelta, ...]


@dataclass(frozen=True)
class RunComparison:
    left_run: str
    right_run: str
    stage_comparisons: tuple[StageComparison, ...]
    param_changes: tuple[ValueChange, ...]
    dataset_changes: tuple[ValueChange, ...]
    environment: EnvironmentComparison

    def to_dict(self, changed_only: bool = False) -> dict[str, Any]:
        def rows(changes: tuple[ValueChange, ...]) -> list[dict[str, Any]]:
            return [{"key": c.key, "left": c.left_value, "right": c.right_value} for c in changes]
        return {
            "left": self.left_run, "right": self.right_run,
            "stages": [{"stage": s.stage_name, "metrics": [
                {"metric": d.metric_key, "left": d.left, "right": d.right, "delta": d.delta}
                for d in s.metric_deltas if d.changed or not changed_only]}
                for s in self.stage_comparisons],
            "params": rows(self.param_changes),
            "datasets": rows(self.dataset_changes),
            "environment": self.environment.to_dict(),
        }

    def to_markdown(self, changed_only: bool = True) -> str:
        """A Markdown summary for pull-request comments."""
        lines = [f"### `{self.left_run}` → `{self.right_run}`", ""]
        rows = [(s.stage_name, d) for s in self.stage_comparisons for d in s.metric_deltas
                if d.changed or not changed_only]
        lines += ["| stage | metric | left | right | delta |", "|---|---|---|---|---|"]
        lines += [f"| {st} | {d.metric_key} | {_num(d.left)} | {_num(d.right)} | "
                  f"{_num(d.delta, signed=True)} |" for st, d in rows]
        if not rows:
            lines.append("| | _no metric changed_ | | | |")
        for title, changes in (("Params", self.param_changes), ("Datasets", self.dataset_changes)):
            if changes:
                lines += ["", f"**{title}**", "", "| key | left | right |", "|---|---|---|"]
                lines += [f"| {c.key} | {_cell(c.left_value)} | {_cell(c.right_value)} |"
                          for c in changes]
        env = self.environment
        lines += ["", "**Environment**", ""]
        lines.append(f"- Python: {env.left_python} → {env.right_python}" if env.python_version_changed
                     else f"- Python: {env.left_python} (unchanged)")
        if env.platform_changed:
            lines.append(f"- Platform: {env.left_platform} → {env.right_platform}")
        for label, items in (("changed", env.changed_packages), ("added", env.added_packages),
                             ("removed", env.removed_packages)):
            lines += [f"- {label}: `{c.key}` {_cell(c.left_value)} → {_cell(c.right_value)}"
                      for c in items]
        return "\n".join(lines) + "\n"


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.4g}" if signed else f"{value:.6g}"


def _cell(value: Any) -> str:
    return "—" if value is None else str(value).replace("|", "\\|")


def _stage_order(left: RunData, right: RunData) -> list[str]:
    order: list[str] = []
    for run in (left, right):
        for stage in sorted(run.stages, key=lambda s: s.order):
            if stage.name not in order:
                order.append(stage.name)
    for run in (left, right):
        for name in [*(m.stage for m in run.metrics), *(s.stage for s in run.all_series())]:
            if (name or RUN_LEVEL) not in order:
                order.append(name or RUN_LEVEL)
    return order


#: what a step series adds to its latest value: its summary (core/series.py)
SERIES_ROWS = ("first", "min", "max", "count")


def stage_metrics(run: RunData) -> dict[str, dict[str, float]]:
    """Per stage: the latest value of each key; a step series' key is followed by its
    aggregates (``loss.min``, ...), each a row of its own."""
    rows = ({"key": m.key, "stage": m.stage, "value": m.value, "observed_at": m.observed_at}
            for m in run.metrics)
    _overall, latest = series.latest(rows, run.series)
    found = run.all_series()
    out: dict[str, dict[str, float]] = {}
    for stage, values in latest.items():
        summaries = series.by_key([s for s in found if (s.stage or "") == stage])
        shown = out.setdefault(stage or RUN_LEVEL, {})
        for key, value in values.items():
            shown[key] = value
            if key in summaries:
                shown.update({f"{key}.{name}": getattr(summaries[key], name)
                              for name in SERIES_ROWS})
    return out


def _deltas(a: dict[str, float], b: dict[str, float],
            stage: str | None = None) -> tuple[MetricDelta, ...]:
    keys = list(a) + [k for k in b if k not in a]
    return tuple(MetricDelta(k, a.get(k), b.get(k),
                             round(b[k] - a[k], 12) if k in a and k in b else None,
                             None if stage == RUN_LEVEL else stage)
                 for k in keys)


def _dict_changes(a: dict[str, Any], b: dict[str, Any]) -> tuple[ValueChange, ...]:
    """Top-level keys whose values differ (added, removed or changed), found by deepdiff."""
    return tuple(ValueChange(k, a.get(k), b.get(k)) for k in sorted(changed_keys(a, b)))


def _datasets(run: RunData) -> dict[str, Any]:
    return {d.name: {"version": d.version, "digest": d.digest or d.sha256 or d.git_blob,
                     "rows": d.rows} for d in run.datasets}


def diff_runs(left: RunData, right: RunData) -> RunComparison:
    a, b = stage_metrics(left), stage_metrics(right)
    stages = tuple(StageComparison(name, _deltas(a.get(name, {}), b.get(name, {}), name))
                   for name in _stage_order(left, right))
    return RunComparison(
        left.ref, right.ref, stages,
        _dict_changes(left.params, right.params),
        _dict_changes(_datasets(left), _datasets(right)),
        diff_environments(left, right),
    )


def compare_runs(runs: Runs, left: str, right: str, project: str | None = None) -> RunComparison:
    """Metric deltas per stage, param, dataset and environment changes from ``left`` to ``right``."""
    return diff_runs(runs.get(runs.resolve(left, project)), runs.get(runs.resolve(right, project)))
