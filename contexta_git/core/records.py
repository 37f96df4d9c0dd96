"""The files of one run folder: how they are written, read and merged.

Generated record files are written with tomli-w and read with stdlib tomllib:
both are an order of magnitude faster than tomlkit on this hot path (see
benchmarks/toml_io.py); tomlkit is kept for files people edit. Timestamps are
RFC 3339 strings. Append-only files (metrics, events, datasets, artifacts) grow
by concatenating a new ``[[table]]`` block, so recording never re-serialises
what is already there; every entry carries an ``id`` and a merge is a union by id.

``dumps`` is the one way a record becomes bytes, and it redacts secrets
(``redact.redact_record``) on the way: no write path can forget to.
"""

from __future__ import annotations

import math
import numbers
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import tomli_w

from contexta_git.core import series
from contexta_git.core.redact import is_secret_key, redact_record
from contexta_git.core.series import SeriesSummary
from contexta_git.errors import ContextaError, InvalidValue

RUN = "run.toml"
STAGES = "stages.toml"
ENVIRONMENT = "environment.toml"
LOCK = "pylock.toml"
SERIES = "series.toml"  # the summary of every step series; points are in series/ chunks
#: append-only files and the name of their array of tables
APPEND = {"metrics.toml": "metrics", "events.toml": "events",
          "datasets.toml": "datasets", "artifacts.toml": "artifacts",
          # upstream Contexta's record kinds (compat/contexta.py): batches and samples of a
          # stage, degraded records, lineage relations and their provenance assertions
          "batches.toml": "batches", "samples.toml": "samples", "degraded.toml": "degraded",
          "relations.toml": "relations", "provenance.toml": "provenance", "spans.toml": "spans"}
#: the upstream kinds: read back as plain tables (RunData.tables), not dataclasses
TABLES = ("batches.toml", "samples.toml", "degraded.toml", "relations.toml", "provenance.toml",
          "spans.toml")
QUARANTINE_EVENT = "contexta.quarantine"
RELEASE_EVENT = "contexta.release"  # appended by ``quarantine --undo``: cancels earlier quarantines


def clean(value: Any) -> Any:
    """Drop None (TOML has no null) recursively, keeping key order."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value if v is not None]
    return value


def dumps(doc: Mapping[str, Any]) -> bytes:
    """A record as TOML bytes, secrets redacted."""
    return tomli_w.dumps(redact_record(clean(doc))).encode()


def loads(data: bytes | None, name: str = "record") -> dict[str, Any]:
    if not data:
        return {}
    try:
        return tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContextaError(f"corrupt {name} on the runs branch: {exc}") from exc


def append(existing: bytes | None, table: str, entries: Iterable[Mapping[str, Any]],
           known_ids: set[str] | None = None) -> bytes | None:
    """``existing`` with ``entries`` appended; entries whose id is known are skipped."""
    if known_ids is None:
        known_ids = {e.get("id") for e in loads(existing).get(table, [])} if existing else set()
    fresh = [e for e in entries if e.get("id") not in known_ids]
    if not fresh:
        return None
    block = dumps({table: fresh})
    if not existing:
        return block
    header = f"[[{table}]]".encode()
    if block.startswith(header) and existing.lstrip().startswith(header):
        return existing.rstrip(b"\n") + b"\n\n" + block
    # tomli-w writes short tables inline (``table = [{...}]``): concatenating that after (or
    # before) a ``[[table]]`` block would nest it in the last table. Rewrite the union instead.
    return dumps({table: [*loads(existing).get(table, []), *fresh]})


def merge_append(ours: bytes | None, theirs: bytes | None, table: str) -> bytes | None:
    """Union of two append-only files by record id: ours first, then what only theirs has."""
    if not theirs or ours == theirs:
        return ours
    return append(ours, table, loads(theirs).get(table, [])) or ours


def upsert_stages(existing: bytes | None, stages: Iterable[Mapping[str, Any]]) -> bytes:
    current = {s["name"]: s for s in loads(existing).get("stages", [])}
    for stage in stages:
        merged = {**current.get(stage["name"], {}), **clean(stage)}
        merged.setdefault("order", len(current))
        current[stage["name"]] = merged
    ordered = sorted(current.values(), key=lambda s: (s.get("order", 0), s["name"]))
    return dumps({"stages": ordered})


def merge_header(existing: bytes | None, update: Mapping[str, Any]) -> bytes:
    """run.toml with ``update`` applied: scalars replaced, tables merged one level deep."""
    doc = loads(existing)
    for key, value in clean(update).items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return dumps(doc)


def check_number(key: str, value: object) -> float | int:
    """A metric value: a finite real number, never a bool, NaN or infinity. Any
    ``numbers.Real`` (numpy scalars, fractions) is converted to a plain int or float."""
    if type(value) is float and math.isfinite(value):
        return value  # the common case, once per logged point: no ABC checks
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        # the message may be recorded (``run``'s metrics.invalid event): never echo a
        # value whose key looks like a secret
        shown = (f"a {type(value).__name__}" if is_secret_key(key) or not isinstance(
            value, (str, int, float)) else repr(value))
        raise InvalidValue(f"metric {key!r} must be a number, got {shown}")
    try:
        number = int(value) if isinstance(value, numbers.Integral) else float(value)
    except (OverflowError, ValueError):
        raise InvalidValue(f"metric {key!r} is out of range: {value!r}") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidValue(f"metric {key!r} must be finite, got {number!r}")
    if isinstance(number, int) and abs(number) >= 2**63:
        raise InvalidValue(f"metric {key!r} is out of range: {number!r}")
    return number


def active_quarantines(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The quarantine events in force: ``{event id: reason}``.

    A release names the quarantine events it cancels (``attributes.releases``), so a merge
    that brings in another clone's release never cancels a quarantine that clone did not
    see, and the order in which a merge or a ledger lists them does not matter. A release
    without that list (an older record) cancels every quarantine before it.
    """
    events = list(events)
    released: set[str] = set()
    for event in events:
        listed = (event.get("attributes") or {}).get("releases")
        if event.get("key") == RELEASE_EVENT and isinstance(listed, list):
            released.update(str(i) for i in listed)
    active: dict[str, str] = {}
    for event in events:
        key = event.get("key")
        if key == QUARANTINE_EVENT and str(event.get("id")) not in released:
            active[str(event.get("id"))] = event.get("message") or "no reason given"
        elif key == RELEASE_EVENT and not isinstance(
                (event.get("attributes") or {}).get("releases"), list):
            active.clear()
    return active


# -- the read side: plain frozen data ---------------------------------------------------
@dataclass(frozen=True)
class Metric:
    id: str
    key: str
    value: float
    stage: str | None = None
    step: int | None = None
    observed_at: str | None = None
    batch: str | None = None  # the batch (``<stage>.<batch>``) or sample it was observed in
    sample: str | None = None


@dataclass(frozen=True)
class Event:
    id: str
    key: str
    message: str = ""
    level: str = "info"
    attributes: dict[str, Any] = field(default_factory=dict)
    observed_at: str | None = None
    stage: str | None = None
    batch: str | None = None
    sample: str | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    order: int = 0


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    version: str | None = None
    digest: str | None = None
    source: str | None = None
    split: str | None = None
    rows: int | None = None
    path: str | None = None
    sha256: str | None = None
    git_blob: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Artifact:
    id: str
    name: str
    path: str | None = None
    kind: str | None = None
    sha256: str | None = None
    size: int | None = None
    stage: str | None = None
    created_at: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def _build(cls: type, rows: Iterable[Mapping[str, Any]]) -> tuple[Any, ...]:
    names = {f.name for f in fields(cls)}
    return tuple(cls(**{k: v for k, v in row.items() if k in names}) for row in rows)


@dataclass(frozen=True)
class RunData:
    """Everything recorded for one run, as read from one commit of the branch."""

    project: str
    name: str
    status: str
    started_at: str | None
    ended_at: str | None
    params: dict[str, Any]
    tags: dict[str, Any]
    notes: str | None
    source: dict[str, Any]
    environment: dict[str, Any]
    stages: tuple[Stage, ...]
    metrics: tuple[Metric, ...]
    events: tuple[Event, ...]
    datasets: tuple[Dataset, ...]
    artifacts: tuple[Artifact, ...]
    lockfile: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    series: tuple[SeriesSummary, ...] = ()  # what series.toml summarises (points: chunks)
    #: upstream's record kinds, one list of rows per file of TABLES ("batches.toml": [...])
    tables: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)

    def rows(self, filename: str) -> tuple[dict[str, Any], ...]:
        """The rows of one of TABLES: ``run.rows("degraded.toml")``."""
        return self.tables.get(filename, ())

    @property
    def run_id(self) -> str:
        return f"{self.project}.{self.name}"

    @property
    def ref(self) -> str:
        return f"run:{self.run_id}"

    @property
    def packages(self) -> dict[str, str]:
        return dict(self.environment.get("packages", {}))

    @property
    def quarantines(self) -> dict[str, str]:
        """The quarantines in force, ``{event id: reason}`` (see active_quarantines)."""
        return active_quarantines({"id": e.id, "key": e.key, "message": e.message,
                                   "attributes": e.attributes} for e in self.events)

    @property
    def quarantine_reason(self) -> str | None:
        """The reasons of the quarantines in force, or None."""
        reasons = list(dict.fromkeys(self.quarantines.values()))
        return "; ".join(reasons) if reasons else None

    @property
    def quarantined(self) -> bool:
        return bool(self.quarantines)

    def latest_metrics(self, stage: str | None = None) -> dict[str, float]:
        """The latest value of each metric key (of one stage, or of any), step series'
        last values included (the rule: core/series.py ``latest``)."""
        rows = ({"key": m.key, "stage": m.stage, "value": m.value, "observed_at": m.observed_at}
                for m in self.metrics)
        overall, stages = series.latest(rows, self.series)
        return overall if stage is None else stages.get(stage, {})

    def all_series(self) -> list[SeriesSummary]:
        """One summary per step series (key and stage): ``series.toml``'s, and those of
        stepped entries of ``metrics.toml`` (format 1, the seeds' API)."""
        stepped = series.from_rows({"key": m.key, "stage": m.stage, "value": m.value,
                                    "step": m.step, "observed_at": m.observed_at}
                                   for m in self.metrics if m.step is not None)
        return [*stepped, *self.series]

    def series_summaries(self, stage: str | None = None) -> dict[str, SeriesSummary]:
        """One summary per step series key, of one stage or of every stage combined."""
        return series.by_key(self.all_series(), stage)

    def metric(self, ref: str, stage: str | None = None) -> float | None:
        """The value a metric reference names (``loss``, ``loss.min``: core/series.py)."""
        found = self.series_summaries(stage)
        return series.resolve(ref, self.latest_metrics(stage),
                              {key: summary.numbers() for key, summary in found.items()})

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], folder: str = "",
                   subfolders: Iterable[str] = ()) -> RunData:
        """The run held by the files of run folder ``folder`` (checked by schema.parse:
        CorruptRun names the file and the problem when they cannot be read)."""
        import copy

        from contexta_git.core import schema

        docs = schema.parse(folder, files, subfolders)
        head = docs[RUN]
        known = {"project", "name", "status", "started_at", "ended_at", "params", "tags",
                 "notes", "source"}
        return cls(
            project=head.get("project", ""),
            name=head.get("name", ""),
            status=head.get("status", "unknown"),
            started_at=head.get("started_at"),
            ended_at=head.get("ended_at"),
            params=head.get("params", {}),
            tags=head.get("tags", {}),
            notes=head.get("notes"),
            source=head.get("source", {}),
            environment=copy.deepcopy(docs[ENVIRONMENT]),  # schema caches the parsed table
            stages=_build(Stage, docs[STAGES]),
            metrics=_build(Metric, docs["metrics.toml"]),
            events=_build(Event, docs["events.toml"]),
            datasets=_build(Dataset, docs["datasets.toml"]),
            artifacts=_build(Artifact, docs["artifacts.toml"]),
            lockfile=files.get(LOCK),
            extra={k: v for k, v in head.items() if k not in known},
            series=tuple(SeriesSummary.from_record(row) for row in docs[SERIES]),
            tables={name: tuple(copy.deepcopy(docs[name])) for name in TABLES if docs[name]},
        )
