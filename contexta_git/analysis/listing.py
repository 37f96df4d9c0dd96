"""List the runs on the branch, oldest first, with filters.

Every listing reads through :func:`run_summaries`, which turns run folders of one
commit into small :class:`RunSummary` values. It is the one place a tip-keyed index
can later replace: filters and sorting only ever see summaries.
"""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from contexta_git.core.time import parse as parse_time
from contexta_git.core.time import sort_key
from contexta_git.store import index, quarantines
from contexta_git.core import records
from contexta_git.errors import InvalidValue
from contexta_git.git.repo import View
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs


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

    @property
    def run_id(self) -> str:
        return f"{self.project}.{self.name}"

    @property
    def ref(self) -> str:
        return f"run:{self.run_id}"

    def latest_metrics(self, stage: str | None = None) -> dict[str, float]:
        return dict(self.metrics if stage is None else self.stage_metrics.get(stage, {}))

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "ref": self.ref, "project": self.project,
                "name": self.name, "status": self.status, "started_at": self.started_at,
                "ended_at": self.ended_at, "quarantined": self.quarantined,
                "metrics": self.metrics}


def _loads(data: bytes | None, name: str) -> dict[str, Any]:
    return records.loads(data, name) if data else {}


def _head(data: bytes) -> dict[str, Any]:
    """The top-level scalars of run.toml (status, times) without parsing its tables.

    tomli-w writes every top-level scalar before the first table and escapes newlines
    inside strings, so the text before the first ``\n[`` is TOML on its own; parsing
    only that halves the cost of listing. Anything unexpected falls back to a full parse.
    """
    cut = data.find(b"\n[")
    if cut > 0:
        try:
            return tomllib.loads(data[:cut].decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
    return records.loads(data, records.RUN)


_FILES = (records.RUN, "events.toml", "metrics.toml")


def _summary(run_id: RunId, files: dict[str, bytes], detail: bool) -> RunSummary | None:
    raw = files.get(records.RUN)
    if not raw:
        return None
    head = records.loads(raw, records.RUN) if detail else _head(raw)
    events_raw = files.get("events.toml")
    keys: tuple[str, ...] = ()
    quarantined = False
    if events_raw and (detail or records.QUARANTINE_EVENT.encode() in events_raw):
        events = _loads(events_raw, "events.toml").get("events", [])
        keys = tuple(e.get("key", "") for e in events)
        quarantined = bool(records.active_quarantines(events))
    metrics: dict[str, float] = {}
    by_stage: dict[str, dict[str, float]] = {}
    if detail:
        for m in _loads(files.get("metrics.toml"), "metrics.toml").get("metrics", []):
            metrics[m["key"]] = m["value"]  # recorded order: the last value of a key wins
            by_stage.setdefault(m.get("stage") or "", {})[m["key"]] = m["value"]
    return RunSummary(
        project=run_id.project, name=run_id.name, status=head.get("status", "unknown"),
        started_at=head.get("started_at"), ended_at=head.get("ended_at"),
        quarantined=quarantined, event_keys=keys if detail else (),
        metrics=metrics, stage_metrics=by_stage,
        source_commit=(head.get("source") or {}).get("commit"),
        patch_id=(head.get("tags") or {}).get("patch_id"))


def run_summaries(view: View, project: str | None = None, run_ids: Iterable[RunId] | None = None,
                  *, detail: bool = False) -> list[RunSummary]:
    """Summaries of the runs of ``project`` (or of all projects, or exactly ``run_ids``)
    at ``view``; ``detail`` also parses event keys and metrics.

    Listing all runs goes through the tip-keyed index (index.py), which keeps detailed
    summaries and re-parses only run folders whose tree changed; exact ``run_ids`` are
    read directly, and without ``detail`` only the head of run.toml is parsed.
    """
    if run_ids is None:
        if not detail:
            lights = index.summaries(view, _split, "summaries", SUMMARY_VERSION, project, _FILES)
            return _with_ledgers(view, [light for light in lights if light is not None], project)
        pairs = index.summaries(view, _split, "summaries", SUMMARY_VERSION, project, _FILES,
                                detail=True)
        return _with_ledgers(view, [full for _light, full in pairs if full is not None], project)
    names = _FILES if detail else _FILES[:2]
    found: list[tuple[RunId, dict[str, bytes]]] = []
    for run_id in run_ids:
        found += [(run_id, files) for _, files in view.read_folders(run_id.path, 0, names)]
    out = [_summary(run_id, files, detail) for run_id, files in found]
    return _with_ledgers(view, [s for s in out if s is not None], project)


def _with_ledgers(view: View, found: list[RunSummary], project: str | None) -> list[RunSummary]:
    """The summaries with each run's quarantine ledger applied (see store/quarantines.py):
    a quarantine outlives rm, re-recording and merges. Only runs with a ledger are read."""
    held = {(run.project, run.name): data for run, data in quarantines.ledgers(view, project)}
    if not held:
        return found
    out = []
    for summary in found:
        ledger = held.get((summary.project, summary.name))
        if ledger is not None:
            run = RunId(summary.project, summary.name)
            keys = summary.event_keys
            if keys:
                keys += tuple(k for k in quarantines.KEYS if k not in keys and k.encode() in ledger)
            summary = summary._replace(quarantined=quarantines.active(view, run, ledger),
                                       event_keys=keys)
        out.append(summary)
    return out


SUMMARY_VERSION = 5  # bump when RunSummary or _summary changes: cached summaries are rebuilt


def _split(run_id: RunId, files: dict[str, bytes]
           ) -> tuple[RunSummary | None, RunSummary | None]:
    """The index's two halves of a run: what a plain listing shows, and the whole
    summary (metrics, event keys) that filters, sorting and selection read."""
    full = _summary(run_id, files, detail=True)
    if full is None:  # a folder without run.toml is no run
        return None, None
    return full._replace(event_keys=(), metrics={}, stage_metrics={}), full


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

    def holds(self, metrics: dict[str, float]) -> bool:
        return self.key in metrics and _OPS[self.op](metrics[self.key], self.value)


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
              detail: bool = False) -> list[RunSummary]:
    """Runs of ``project`` (or of all projects), oldest first, or by ``sort`` metric.

    ``quarantined``: False leaves quarantined runs out (the default), True keeps only
    them, None keeps both. ``metric`` is a condition like ``auc>=0.9`` on the latest
    value of that metric. With ``sort``, runs without that metric are left out.
    """
    window = window_of(started_between)
    condition = MetricCondition.parse(metric) if isinstance(metric, str) else metric
    view = runs.view()
    need = detail or bool(event or condition or sort)
    found = []
    for summary in run_summaries(view, project, detail=need):
        if status and summary.status != status:
            continue
        if quarantined is not None and summary.quarantined != quarantined:
            continue
        if window and not started_within(summary, window):
            continue
        if event and event not in summary.event_keys:
            continue
        if condition and not condition.holds(summary.metrics):
            continue
        found.append(summary)
    found.sort(key=lambda r: (sort_key(r.started_at), r.project, r.name))
    if sort:
        found = [r for r in found if sort in r.metrics]
        found.sort(key=lambda r: r.metrics[sort], reverse=descending)
    return found
