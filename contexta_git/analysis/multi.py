"""Compare N runs side by side: ``compare_multiple_runs``.

One column per run, one row per thing recorded by any of them: metrics (``<stage>.<key>``,
or the key alone for run-level metrics), params, tags, dataset versions and digests, and
the environment (Python, platform, each package). Numeric rows carry the change against
the first run. Only rows whose values differ are kept unless ``every_row``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contexta_git.analysis.compare import RUN_LEVEL, stage_metrics
from contexta_git.analysis.environments import normalized_packages
from contexta_git.core.records import RunData
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs

#: the sections of a comparison, in the order they are shown
SECTIONS = ("metric", "param", "tag", "dataset", "environment")


@dataclass(frozen=True)
class Row:
    section: str  # one of SECTIONS
    key: str
    values: tuple[Any, ...]  # one per run, None where that run has none
    deltas: tuple[float | None, ...]  # value minus the first run's, for numbers

    @property
    def changed(self) -> bool:
        first = self.values[0]
        return any(not _same(first, other) for other in self.values[1:])

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "key": self.key, "values": list(self.values),
                "deltas": list(self.deltas), "changed": self.changed}


@dataclass(frozen=True)
class MultiComparison:
    runs: tuple[str, ...]  # run:<project>.<name>, the first is the reference
    rows: tuple[Row, ...]

    def section(self, name: str) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.section == name)

    def to_dict(self) -> dict[str, Any]:
        return {"runs": list(self.runs), "rows": [r.to_dict() for r in self.rows]}

    def to_markdown(self) -> str:
        """A Markdown table for pull-request comments: deltas against the first run."""
        head = ["run", *(f"`{_cell(ref)}`" for ref in self.runs)]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows:
            cells = [f"{row.section} `{_cell(row.key)}`"]
            for value, delta in zip(row.values, row.deltas, strict=True):
                shown = _cell(value)
                cells.append(shown if delta is None or delta == 0 else f"{shown} ({delta:+.4g})")
            lines.append("| " + " | ".join(cells) + " |")
        if not self.rows:
            lines.append("| _no difference_ |" + " |" * len(self.runs))
        return "\n".join(lines) + "\n"


def _same(a: Any, b: Any) -> bool:
    """Numbers by value (1 == 1.0, NaN == NaN); anything else by value and type."""
    if _number(a) and _number(b):
        return bool(a == b) or (math.isnan(a) and math.isnan(b))
    return bool(a == b) and type(a) is type(b)


def _cell(value: Any) -> str:
    """A value inside a Markdown table cell: pipes escaped, one line."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else f"{value:.6g}" if isinstance(value, float) else str(value)
    return " ".join(text.replace("|", "\\|").replace("`", "'").split())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _delta(first: Any, other: Any) -> float | None:
    if _number(first) and _number(other):
        delta = float(other) - float(first)
        return delta if math.isfinite(delta) else None  # NaN or infinite: no change to show
    return None


def _entries(run: RunData) -> Iterable[tuple[str, str, Any]]:
    for stage, values in stage_metrics(run).items():  # latest values, series summaries
        for key, value in values.items():
            yield "metric", key if stage == RUN_LEVEL else f"{stage}.{key}", value
    for key, value in run.params.items():
        yield "param", key, value
    for key, value in run.tags.items():
        yield "tag", key, value
    for data in run.datasets:
        yield "dataset", f"{data.name}.version", data.version
        yield "dataset", f"{data.name}.digest", data.digest
    env = run.environment
    yield "environment", "python", (env.get("python") or {}).get("version")
    yield "environment", "platform", env.get("platform")
    for name, version in normalized_packages(run).items():
        yield "environment", f"package.{name}", version


def compare_runs_side_by_side(data: Sequence[RunData], *, every_row: bool = False) -> MultiComparison:
    """The comparison of runs already read (the first is the reference)."""
    table: dict[tuple[str, str], list[Any]] = {}
    for column, run in enumerate(data):
        for section, key, value in _entries(run):
            table.setdefault((section, key), [None] * len(data))[column] = value
    order = {name: i for i, name in enumerate(SECTIONS)}
    rows = []
    for (section, key), values in sorted(table.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        if section == "environment" and all(v is None for v in values):
            continue
        deltas = tuple(None if i == 0 else _delta(values[0], v) for i, v in enumerate(values))
        row = Row(section, key, tuple(values), deltas)
        if every_row or row.changed:
            rows.append(row)
    return MultiComparison(tuple(run.ref for run in data), tuple(rows))


def compare_multiple_runs(runs: Runs, refs: Sequence[str], *, project: str | None = None,
                          every_row: bool = False) -> MultiComparison:
    """Compare the runs named in ``refs`` (two or more), the first as the reference."""
    named = list(dict.fromkeys(runs.resolve(ref, project) for ref in refs))
    if len(named) < 2:
        raise InvalidValue("name at least two different runs to compare")
    view = runs.view()
    return compare_runs_side_by_side([runs.get(run_id, at=view.commit_id) for run_id in named],
                                     every_row=every_row)
