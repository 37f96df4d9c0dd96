"""Step series: what a metric logged with ``step=`` keeps, and the aggregates that name it.

Points live in append-only chunk files (``core/chunks.py``); each series (one metric key
in one stage) keeps a :class:`SeriesSummary` in the run's ``series.toml``, rewritten at
every flush, so listings, ``diff``, ``gate`` and ``best`` never read points.

Order: the points of a series are in the order they were logged (chunks by sequence
number, then position). ``first`` and ``last`` are the first and the last point logged,
whatever their steps; ``min`` and ``max`` keep the step of the earliest point that
reached them. Summaries of one key in several stages (or from several sources) combine
by time: the last is the one logged latest.

A metric reference names a value of a run: ``loss`` (the latest value, see
:func:`latest`) or ``loss.<aggregate>``, one of :data:`AGGREGATES`. Metric keys may hold
dots, so :func:`resolve` tries the exact key first, then the key before the last dot
with that aggregate: a metric literally named ``loss.min`` wins over the minimum of the
series ``loss``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from contexta_git.core.time import EARLIEST, sort_key, stamp

#: the aggregates a metric reference may name; ``last`` is the latest value, the default
AGGREGATES = ("last", "first", "min", "max", "count")
#: the numbers of a summary, as listings keep them (RunSummary.series)
NUMBERS = ("count", "first", "last", "min", "max", "first_step", "last_step", "min_step",
           "max_step")


@dataclass(frozen=True, slots=True)
class SeriesSummary:
    """One series (a metric key in one stage, or in every stage when combined)."""

    key: str
    stage: str | None
    count: int
    first_step: int
    last_step: int
    first: float
    last: float
    min: float
    max: float
    min_step: int
    max_step: int
    first_at: str | None = None
    last_at: str | None = None

    def numbers(self) -> dict[str, float]:
        """The aggregates and their steps, as plain numbers (what listings keep)."""
        return {name: getattr(self, name) for name in NUMBERS}

    def record(self) -> dict[str, Any]:
        """The entry of ``series.toml``."""
        return {"key": self.key, "stage": self.stage, **self.numbers(),
                "first_at": self.first_at, "last_at": self.last_at}

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> SeriesSummary:
        """An entry of ``series.toml`` as core/schema.py checked it."""
        return cls(row["key"], row.get("stage"), row["count"], row["first_step"],
                   row["last_step"], row["first"], row["last"], row["min"], row["max"],
                   row["min_step"], row["max_step"], row.get("first_at"), row.get("last_at"))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_stamp(ms: int) -> str:
    """Milliseconds since the epoch in the stored time format."""
    return stamp(_EPOCH + timedelta(milliseconds=ms))


def stamp_ms(moment: str | None) -> int:
    """A stored time in milliseconds since the epoch (0 when missing or unreadable)."""
    found = sort_key(moment)
    return 0 if found == EARLIEST else (found - _EPOCH) // timedelta(milliseconds=1)


def summarize(key: str, stage: str | None, steps: Sequence[int], values: Sequence[float],
              times: Sequence[int]) -> SeriesSummary:
    """The summary of points in logged order (``times`` in ms since the epoch)."""
    low, high = min(values), max(values)
    at_low, at_high = values.index(low), values.index(high)
    return SeriesSummary(key, stage, len(values), steps[0], steps[-1], values[0], values[-1],
                         low, high, steps[at_low], steps[at_high], ms_stamp(times[0]),
                         ms_stamp(times[-1]))


def extend(old: SeriesSummary | None, new: SeriesSummary) -> SeriesSummary:
    """The summary of ``old``'s points followed by ``new``'s."""
    if old is None:
        return new
    low = new if new.min < old.min else old
    high = new if new.max > old.max else old
    return replace(old, count=old.count + new.count, last_step=new.last_step, last=new.last,
                   min=low.min, min_step=low.min_step, max=high.max, max_step=high.max_step,
                   last_at=new.last_at)


def combine(parts: Iterable[SeriesSummary], stage: str | None = None) -> SeriesSummary:
    """One summary of several series of one key, ordered by time (see the module)."""
    ordered = sorted(parts, key=lambda s: sort_key(s.first_at))
    first = ordered[0]
    last = max(reversed(ordered), key=lambda s: sort_key(s.last_at))
    low = min(ordered, key=lambda s: s.min)
    high = max(ordered, key=lambda s: s.max)
    return SeriesSummary(first.key, stage, sum(s.count for s in ordered), first.first_step,
                         last.last_step, first.first, last.last, low.min, high.max,
                         low.min_step, high.max_step, first.first_at, last.last_at)


def by_key(found: Iterable[SeriesSummary], stage: str | None = None) -> dict[str, SeriesSummary]:
    """One summary per key: of stage ``stage``, or of every stage combined (None)."""
    grouped: dict[str, list[SeriesSummary]] = {}
    for summary in found:
        if stage is None or summary.stage == stage:
            grouped.setdefault(summary.key, []).append(summary)
    return {key: parts[0] if len(parts) == 1 else combine(parts, stage)
            for key, parts in grouped.items()}


def from_rows(rows: Iterable[Mapping[str, Any]]) -> list[SeriesSummary]:
    """Series of the stepped entries of ``metrics.toml`` (runs written by format 1, and the
    seeds' ``record_store``), one per (key, stage), in recorded order."""
    grouped: dict[tuple[str, str | None], list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("step") is not None:
            grouped.setdefault((row["key"], row.get("stage")), []).append(row)
    out = []
    for (key, stage), entries in grouped.items():
        values = [e["value"] for e in entries]
        steps = [e["step"] for e in entries]
        low, high = values.index(min(values)), values.index(max(values))
        out.append(SeriesSummary(key, stage, len(values), steps[0], steps[-1], values[0],
                                 values[-1], values[low], values[high], steps[low], steps[high],
                                 entries[0].get("observed_at"), entries[-1].get("observed_at")))
    return out


def latest(rows: Iterable[Mapping[str, Any]], chunked: Iterable[SeriesSummary]
           ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The latest value of every metric key: overall, and per stage (``""``: no stage).

    ``rows`` are the entries of ``metrics.toml`` in recorded order (the last of a key
    wins); ``chunked`` the summaries of ``series.toml``. A series' last value replaces a
    value of ``metrics.toml`` only when it was logged later (times compared to the
    millisecond, which is what chunks keep; a tie keeps the value of ``metrics.toml``).
    """
    overall: dict[str, float] = {}
    stages: dict[str, dict[str, float]] = {}
    seen: dict[tuple[str, str], Any] = {}
    chunked = list(chunked)
    for row in rows:
        key, stage, value = row["key"], row.get("stage") or "", row["value"]
        overall[key] = value
        stages.setdefault(stage, {})[key] = value
        if chunked:  # times matter only where a key also has a series
            seen[(key, stage)] = seen[(key, "\0")] = row.get("observed_at")
    newest: dict[str, SeriesSummary] = {}
    for summary in chunked:
        stage = summary.stage or ""
        if _later(summary.last_at, seen.get((summary.key, stage), _NEVER)):
            stages.setdefault(stage, {})[summary.key] = summary.last
        best = newest.get(summary.key)
        if best is None or sort_key(summary.last_at) >= sort_key(best.last_at):
            newest[summary.key] = summary
    for key, summary in newest.items():
        if _later(summary.last_at, seen.get((key, "\0"), _NEVER)):
            overall[key] = summary.last
    return overall, stages


_NEVER = object()


def _later(series_at: str | None, value_at: Any) -> bool:
    if value_at is _NEVER:
        return True
    return _ms(sort_key(series_at)) > _ms(sort_key(value_at))


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def resolve(ref: str, metrics: Mapping[str, float],
            series: Mapping[str, Mapping[str, float]]) -> float | None:
    """The value ``ref`` names (see the module): the exact metric key first, then
    ``<key>.<aggregate>``; None when the run has no such value. ``metrics`` holds the
    latest values, ``series`` the numbers of each series by key."""
    if ref in metrics:
        return metrics[ref]
    key, dot, aggregate = ref.rpartition(".")
    if not dot or aggregate not in AGGREGATES:
        return None
    if aggregate == "last":
        return metrics.get(key)
    found = series.get(key)
    return None if found is None else found.get(aggregate)
