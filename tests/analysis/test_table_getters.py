"""The run table reads each column with a reader decided once per column; it must read
exactly what ``RunSummary.metric`` and the column rules say, for any summary."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.analysis import table
from contexta_git.analysis.listing import RunSummary
from contexta_git.core.series import AGGREGATES

from tests.store.test_index import summaries


def reference(summary: RunSummary, name: str) -> Any:
    """The column rules written out plainly (the table's README section)."""
    if name in table.FIXED:
        return {"run": summary.ref, "started": summary.started_at, "ended": summary.ended_at,
                "commit": summary.source_commit}.get(name, getattr(summary, name, None))
    head, _, rest = name.partition(".")
    if head == "params":
        return summary.params.get(rest)
    if head == "tags":
        return summary.tags.get(rest)
    if head == "env":
        return {"python": summary.python, "platform": summary.platform}.get(rest)
    if head == "datasets":
        data, _, field = rest.rpartition(".")
        return (summary.datasets.get(data) or {}).get(field)
    found = summary.metric(name)
    if found is not None:
        return found
    if rest and (head in summary.stage_metrics or head in summary.stage_series):
        return summary.metric(rest, head)
    return None


def names_of(summary: RunSummary) -> list[str]:
    keys = {*summary.metrics, *summary.series, "missing", "a.b"}
    for stage in {*summary.stage_metrics, *summary.stage_series}:
        keys |= {f"{stage}.{k}" for k in {*summary.stage_metrics.get(stage, {}),
                                           *summary.stage_series.get(stage, {})}}
    refs = [f"{k}.{agg}" for k in keys for agg in AGGREGATES] + sorted(keys)
    return [*table.FIXED, *refs, *(f"params.{k}" for k in summary.params), "params.none",
            "env.python", "env.platform", "env.other", "tags.x"]


@settings(max_examples=80, deadline=None)
@given(summaries, st.sampled_from(["", "x", "x.last", "y.min"]))
def test_every_column_reads_what_the_rules_say(summary: RunSummary, extra: str) -> None:
    if extra:  # keys that look like aggregates of other keys
        summary = summary._replace(metrics={**summary.metrics, extra: 1.5})
    for name in names_of(summary):
        got, expected = table.value(summary, name), reference(summary, name)
        assert got == expected or (got != got and expected != expected), name  # NaN is NaN
