"""List the runs on the branch, oldest first, with filters.

Every listing reads through :func:`run_summaries` (or, for the newest few runs,
:func:`newest_summaries`), which turn run folders of one commit into small
:class:`RunSummary` values, served by the index (store/index.py): filters and sorting
only ever see summaries.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from contexta_git.core.time import parse as parse_time
from contexta_git.core.time import sort_key
from contexta_git.store import index, quarantines
from contexta_git.core import records, series
from contexta_git.core.series import SeriesSummary
from contexta_git.core.schema import RunProblem
from contexta_git.errors import ContextaError, CorruptRun, InvalidValue
from contexta_git.git.repo import View
from contexta_git.core.names import RunId
from contexta_git.store.index_rows import Codec
from contexta_git.store.runs import Runs, read_records


class RunSummary(NamedTuple):
    """What listing, filtering and selecting need of one run.

    A NamedTuple rather than a frozen dataclass: listing 100,000 runs builds 100,000
    of these from the index, and a tuple is several times cheaper to create and to
    unpickle. Treat the dicts as read-only.
    """

    project: str
    name: str
    status: str
    started_at: str | None
    ended_at: str | None
    quarantined: bool
    event_keys: tuple[str, ...] = ()
    metrics: dict[str, float] = {}  # noqa: RUF012 - latest value per key, any stage
    stage_metrics: dict[str, dict[str, float]] = {}  # noqa: RUF012
    source_commit: str | None = None  # the code commit the run was recorded from
    patch_id: str | None = None  # set by the post-commit hook: the change, across amend/rebase
    params: dict[str, Any] = {}  # noqa: RUF012
    tags: dict[str, Any] = {}  # noqa: RUF012
    datasets: dict[str, dict[str, Any]] = {}  # noqa: RUF012 - name -> version, digest
    python: str | None = None
    platform: str | None = None
    #: step series by key, every stage combined: {"loss": {"count": .., "min": .., ...}}
    #: (core/series.py NUMBERS), and the same per stage ("": no stage)
    series: dict[str, dict[str, float]] = {}  # noqa: RUF012
    stage_series: dict[str, dict[str, dict[str, float]]] = {}  # noqa: RUF012

    @property
    def run_id(self) -> str:
        return f"{self.project}.{self.name}"

    @property
    def ref(self) -> str:
        return f"run:{self.run_id}"

    def latest_metrics(self, stage: str | None = None) -> dict[str, float]:
        return dict(self.metrics if stage is None else self.stage_metrics.get(stage, {}))

    def metric(self, ref: str, stage: str | None = None) -> float | None:
        """The value a metric reference names (``loss``, ``loss.min``: core/series.py)."""
        if stage is None:
            return series.resolve(ref, self.metrics, self.series)
        return series.resolve(ref, self.stage_metrics.get(stage, {}),
                              self.stage_series.get(stage, {}))

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "ref": self.ref, "project": self.project,
                "name": self.name, "status": self.status, "started_at": self.started_at,
                "ended_at": self.ended_at, "quarantined": self.quarantined,
                "metrics": self.metrics}


class Listing(list[RunSummary]):
    """The readable runs, as a list; ``skipped`` names every run folder that could not
    be read (one unreadable run never breaks a listing: it is left out and named)."""

    def __init__(self, found: Iterable[RunSummary] = (),
                 skipped: Iterable[RunProblem] = ()) -> None:
        super().__init__(found)
        self.skipped: tuple[RunProblem, ...] = tuple(skipped)

    def keep(self, found: Iterable[RunSummary]) -> Listing:
        """Other runs (filtered, sorted), the same skipped folders."""
        return Listing(found, self.skipped)


def _summary(folder: str, docs: dict[str, Any]) -> RunSummary:
    run_id = RunId.from_path(folder)
    head = docs[records.RUN]
    events = docs["events.toml"]
    env = docs[records.ENVIRONMENT] if isinstance(docs[records.ENVIRONMENT], dict) else {}
    rows = docs["metrics.toml"]
    chunked = [SeriesSummary.from_record(row) for row in docs[records.SERIES]]
    metrics, by_stage = series.latest(rows, chunked)
    found = [*series.from_rows(rows), *chunked]
    stages = {s.stage or "" for s in found}
    return RunSummary(
        project=run_id.project, name=run_id.name, status=head.get("status", "unknown"),
        started_at=head.get("started_at"), ended_at=head.get("ended_at"),
        quarantined=bool(records.active_quarantines(events)),
        event_keys=tuple(e["key"] for e in events), metrics=metrics, stage_metrics=by_stage,
        source_commit=(head.get("source") or {}).get("commit"),
        patch_id=_text((head.get("tags") or {}).get("patch_id")),
        series={k: s.numbers() for k, s in series.by_key(found).items()},
        stage_series={stage: {k: s.numbers() for k, s in series.by_key(
            [f for f in found if (f.stage or "") == stage], None).items()} for stage in stages},
        params=head.get("params") or {}, tags=head.get("tags") or {},
        datasets={d["name"]: {"version": d.get("version"), "digest": d.get("digest")}
                  for d in docs["datasets.toml"] if isinstance(d.get("name"), str)},
        python=_text((env.get("python") or {}).get("version")),
        platform=_text(env.get("platform")))


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _read(view: View, folder: str) -> RunSummary | RunProblem:
    """The summary of one run folder, or what makes it unreadable (see core/schema.py)."""
    try:
        return _summary(folder, read_records(view, folder))
    except CorruptRun as exc:
        return RunProblem.of(exc)


def run_summaries(view: View, project: str | None = None, run_ids: Iterable[RunId] | None = None,
                  *, detail: bool = False, prefilter: tuple[str, list[Any]] | None = None) -> Listing:
    """Summaries of the runs of ``project`` (or of all projects, or exactly ``run_ids``)
    at ``view``, with event keys and metrics (``detail`` is kept for callers: summaries
    always hold everything). Run folders that cannot be read are left out and named in
    the result's ``skipped``.

    Listing all runs goes through the index (store/index.py), which re-reads only run
    folders whose tree changed since it last followed the branch. ``prefilter`` (SQL over
    the index's ``nums`` with its arguments, see ``table.sql_superset``) may leave out runs
    it is false for; it may also be ignored, so callers filter the result themselves.
    """
    if run_ids is None:
        found: list[Any] = index.summaries(view, _INDEX, project, prefilter)
    else:
        found = [_read(view, run_id.path) for run_id in run_ids if view.exists(run_id.path)]
    problems = [p for p in found if isinstance(p, RunProblem)]
    ledger = ledger_of(view, project, problems)
    listed = [s for s in map(ledger, (f for f in found if isinstance(f, RunSummary))) if s]
    return Listing(listed, sorted(problems, key=lambda p: p.folder))


def newest_summaries(view: View, project: str | None, keep: Callable[[RunSummary], bool],
                     limit: int) -> Listing:
    """The ``limit`` newest runs (by start time, then project and name) that ``keep``
    accepts, quarantine ledgers applied, newest first, read from the index without
    reading the other runs; ``skipped`` names every unreadable run folder."""
    unreadable: list[RunProblem] = []
    ledger = ledger_of(view, project, unreadable)

    def pick(summary: RunSummary) -> RunSummary | None:
        applied = ledger(summary)
        return applied if applied is not None and keep(applied) else None

    found, problems = index.newest(view, _INDEX, pick, limit, project)
    return Listing(found, sorted([*problems, *unreadable], key=lambda p: p.folder))


def recorded_from(view: View, project: str, commit: str, patch_id: str | None) -> list[RunSummary]:
    """The runs of ``project`` recorded from ``commit``, or from the same change rewritten
    (``patch_id``): one indexed lookup, whatever the number of runs."""
    return index.find(view, _INDEX, project, {"source_commit": [commit],
                                              "patch_id": [patch_id] if patch_id else []})


def ledger_of(view: View, project: str | None,
               problems: list[RunProblem]) -> Callable[[RunSummary], RunSummary | None]:
    """What applies its quarantine ledger (see store/quarantines.py) to a summary of
    ``project``'s runs: a quarantine outlives rm, re-recording and merges. A run whose
    ledger cannot be read gives None and is named in ``problems`` (its quarantine state
    is unknown, so it is never listed as if it had none)."""
    held = {(run.project, run.name): data for run, data in quarantines.ledgers(view, project)}
    if not held:
        return _unchanged

    def apply(summary: RunSummary) -> RunSummary | None:
        ledger = held.get((summary.project, summary.name))
        if ledger is None:
            return summary
        run = RunId(summary.project, summary.name)
        keys = summary.event_keys
        if keys:
            keys += tuple(k for k in quarantines.KEYS if k not in keys and k.encode() in ledger)
        try:
            quarantined = quarantines.active(view, run, ledger)
        except ContextaError as exc:
            problems.append(RunProblem(run.path, None, f"its quarantine ledger "
                                       f"{quarantines.ledger_path(run)} cannot be read: {exc}"))
            return None
        return summary._replace(quarantined=quarantined, event_keys=keys)

    return apply


def ledgers_readable(view: View, project: str | None) -> bool:
    """Whether every quarantine ledger of ``project`` (or of all) can be read."""
    for run, data in quarantines.ledgers(view, project):
        try:
            quarantines.active(view, run, data)
        except ContextaError:
            return False
    return True


def _unchanged(summary: RunSummary) -> RunSummary | None:
    return summary


def _numbers(item: Any) -> dict[str, Any] | None:
    """What SQL selects runs by (index ``nums``): every name a metric reference resolves
    to (``RunSummary.metric``) with its value, in any stage (``a``) and by stage (``st``),
    and the params (``p``)."""
    if not isinstance(item, RunSummary):
        return None
    return {"a": _resolvable(item.metrics, item.series),
            "st": {stage: _resolvable(item.stage_metrics.get(stage, {}),
                                      item.stage_series.get(stage, {}))
                   for stage in {*item.stage_metrics, *item.stage_series}},
            "p": item.params}


def _resolvable(metrics: dict[str, float], by_key: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Each reference ``series.resolve`` answers for these values, and its answer: the
    key's latest value for ``<key>.last``, a series' aggregates, then the exact keys."""
    found: dict[str, Any] = {f"{key}.last": value for key, value in metrics.items()}
    for key, numbers in by_key.items():
        found.update((f"{key}.{agg}", numbers[agg]) for agg in series.AGGREGATES
                     if agg != "last" and agg in numbers)
    found.update(metrics)
    return {ref: value for ref, value in found.items()
            if isinstance(value, int | float) and not isinstance(value, bool)}


_ADDRESSABLE = re.compile(r"[A-Za-z0-9_.:/@-]+")  # names a JSON path quotes safely (metric keys)


def ranked_summaries(view: View, project: str | None, ref: str, stage: str | None, *,
                     descending: bool, limit: int) -> tuple[list[RunSummary], list[RunProblem]] | None:
    """Up to ``limit`` runs with a finite value for metric reference ``ref`` (in ``stage``,
    or any), best first, ties to the earlier run, selected in SQL by the index; and the
    unreadable folders. Quarantine ledgers are not applied. None when the index cannot
    answer (no sealed index, or a name SQL cannot address): read every run instead."""
    names = [ref] if stage is None else [stage, ref]
    if not all(map(_ADDRESSABLE.fullmatch, names)):
        return None
    path = "$" + "".join(f'."{name}"' for name in ["a" if stage is None else "st", *names])
    return index.ranked(view, _INDEX, path, descending=descending, limit=limit, project=project)


SUMMARY_VERSION = 11  # bump when _summary changes what it makes of a run: cached summaries are rebuilt
_INDEX = index.Spec(_read, Codec((RunSummary, RunProblem), numbers=_numbers), SUMMARY_VERSION)


# -- filters -------------------------------------------------------------------------------
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
    ">": operator.gt, "<": operator.lt, "=": operator.eq,
}
_CONDITION = re.compile(r"\s*([^<>=!\s]+)\s*(>=|<=|==|!=|>|<|=)\s*([^<>=!\s]+)\s*")


@dataclass(frozen=True)
class MetricCondition:
    key: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> MetricCondition:
        match = _CONDITION.fullmatch(text)
        if not match:
            raise InvalidValue(f"metric condition {text!r} must look like auc>=0.9 "
                               "(operators: > >= < <= == !=)")
        try:
            value = float(match.group(3))
        except ValueError:
            raise InvalidValue(f"metric condition {text!r}: {match.group(3)!r} is not a number") from None
        return cls(match.group(1), match.group(2), value)

    def holds(self, metrics: dict[str, float] | RunSummary) -> bool:
        """Whether the value the key names (a metric reference: ``auc``, ``loss.min``)
        holds; a run without it never does."""
        if isinstance(metrics, RunSummary):
            value = metrics.metric(self.key)
        else:
            value = series.resolve(self.key, metrics, {})
        return value is not None and _OPS[self.op](value, self.value)


def started_within(summary: RunSummary, window: tuple[datetime, datetime]) -> bool:
    if not summary.started_at:
        return False
    try:
        started = parse_time(summary.started_at)
    except InvalidValue:
        return False
    return window[0] <= started <= window[1]


def window_of(started_between: Sequence[str] | None) -> tuple[datetime, datetime] | None:
    if not started_between:
        return None
    low, high = parse_time(started_between[0]), parse_time(started_between[1], end=True)
    if low > high:
        raise InvalidValue(f"time window starts after it ends: {started_between[0]} > "
                           f"{started_between[1]}")
    return low, high


def list_runs(runs: Runs, project: str | None = None, *, status: str | None = None,
              started_between: Sequence[str] | None = None, event: str | None = None,
              metric: str | MetricCondition | None = None, quarantined: bool | None = False,
              sort: str | None = None, descending: bool = True,
              detail: bool = False, limit: int | None = None,
              prefilter: tuple[str, list[Any]] | None = None) -> Listing:
    """Runs of ``project`` (or of all projects), oldest first, or by ``sort`` metric.

    ``quarantined``: False leaves quarantined runs out (the default), True keeps only
    them, None keeps both. ``metric`` is a condition like ``auc>=0.9`` or ``loss.min<0.1``
    on the value a metric reference names (core/series.py: the latest value, or an
    aggregate of a step series); ``sort`` is such a reference. With ``sort``, runs without
    that value (or whose value is NaN or infinite, which no record should hold) are left
    out. ``limit`` keeps the newest ``limit`` runs (with ``sort``: the first ``limit``),
    read without reading the others. Unreadable run folders are never listed: the
    result's ``skipped`` names them. ``prefilter``: see ``run_summaries``.
    """
    window = window_of(started_between)
    condition = MetricCondition.parse(metric) if isinstance(metric, str) else metric

    def keep(summary: RunSummary) -> bool:
        return not ((status and summary.status != status)
                    or (quarantined is not None and summary.quarantined != quarantined)
                    or (window and not started_within(summary, window))
                    or (event and event not in summary.event_keys)
                    or (condition and not condition.holds(summary)))

    view = runs.view()
    if limit is not None and not sort:
        newest = newest_summaries(view, project, keep, limit)
        return newest.keep(reversed(newest))
    listed = run_summaries(view, project, detail=True, prefilter=prefilter)
    found = [summary for summary in listed if keep(summary)]
    found.sort(key=lambda r: (sort_key(r.started_at), r.project, r.name))
    if sort:
        scored = [(value, r) for r in found
                  if math.isfinite(value := _number(r.metric(sort)))]
        scored.sort(key=lambda pair: pair[0], reverse=descending)
        found = [r for _value, r in scored]
    if limit is not None:
        found = found[:max(limit, 0)]
    return listed.keep(found)
