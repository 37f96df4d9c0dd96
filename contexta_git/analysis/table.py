"""The run table behind ``contexta-git runs``: columns, filter, sort, limit.

A column is named the way people write it (like ``dvc exp show`` and MLflow's
``search_runs``):

- ``run``, ``project``, ``name``, ``status``, ``started``, ``ended``, ``quarantined``, ``commit``
- ``params.<key>``, ``tags.<key>``, ``datasets.<name>.version``, ``datasets.<name>.digest``,
  ``env.python``, ``env.platform``
- a metric: ``<stage>.<key>`` for a metric recorded in a stage, ``<key>`` for its latest
  value in any stage; an aggregate suffix ``.last`` (the default), ``.min``, ``.max``,
  ``.first`` or ``.count`` reads a step series' summary when the run has one.

``--columns`` takes comma-separated names and ``*`` patterns (``params.*``); ``--sort``
comma-separated names, ``-`` before a name for descending (missing values always last).
"""

from __future__ import annotations

import fnmatch
import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contexta_git.analysis.query import Compare, Logic, QueryError, check_columns, parse
from contexta_git.core.series import AGGREGATES
from contexta_git.core.time import sort_key
from contexta_git.errors import InvalidValue

FIXED = ("run", "project", "name", "status", "started", "ended", "quarantined", "commit")
DEFAULT_FIXED = ("run", "status", "started")
DATES = {"started", "ended"}


def _fixed(summary: Any, name: str) -> Any:
    if name == "run":
        return summary.ref
    if name == "started":
        return summary.started_at
    if name == "ended":
        return summary.ended_at
    if name == "commit":
        return summary.source_commit
    return getattr(summary, name)


def value(summary: Any, name: str) -> Any:
    """The value of column ``name`` for one run (None when it has none)."""
    return getter(name)(summary)


@functools.lru_cache(maxsize=4096)
def getter(name: str) -> Callable[[Any], Any]:
    """What reads column ``name`` of a run (see ``value``), decided once per column: a
    table of 100,000 runs reads millions of cells."""
    if name in FIXED:
        return lambda summary: _fixed(summary, name)
    head, _, rest = name.partition(".")
    if head == "params":
        return lambda summary: summary.params.get(rest)
    if head == "tags":
        return lambda summary: summary.tags.get(rest)
    if head == "env":
        if rest not in ("python", "platform"):
            return lambda summary: None
        return operator.attrgetter(rest)
    if head == "datasets":
        data, _, field = rest.rpartition(".")
        return lambda summary: (summary.datasets.get(data) or {}).get(field)
    return _metric_getter(name)


def _resolver(ref: str) -> Callable[[dict[str, float], dict[str, dict[str, float]]], Any]:
    """``core.series.resolve`` for one reference, its parsing done once."""
    key, dot, aggregate = ref.rpartition(".")
    if not dot or aggregate not in AGGREGATES:
        return lambda metrics, _by_key: metrics.get(ref)
    if aggregate == "last":
        def last(metrics: dict[str, float], _by_key: dict[str, dict[str, float]]) -> Any:
            found = metrics.get(ref)
            return metrics.get(key) if found is None and ref not in metrics else found
        return last

    def other(metrics: dict[str, float], by_key: dict[str, dict[str, float]]) -> Any:
        if ref in metrics:
            return metrics[ref]
        numbers = by_key.get(key)
        return None if numbers is None else numbers.get(aggregate)
    return other


def _metric_getter(name: str) -> Callable[[Any], Any]:
    """``_metric`` for one column: any stage first, then ``<stage>.<reference>``."""
    anywhere = _resolver(name)
    stage, _, rest = name.partition(".")
    staged = _resolver(rest) if rest else None

    def read(summary: Any) -> Any:
        found = anywhere(summary.metrics, summary.series)
        if found is not None or staged is None:
            return found
        in_metrics, in_series = summary.stage_metrics.get(stage), summary.stage_series.get(stage)
        if in_metrics is None and in_series is None:
            return None
        return staged(in_metrics or {}, in_series or {})
    return read


def columns_of(summaries: Iterable[Any]) -> list[str]:
    """Every column some run has a value for, in a stable order: params, tags, metrics,
    datasets, environment."""
    params: set[str] = set()
    tags: set[str] = set()
    datasets: set[str] = set()
    by_stage: dict[str, set[str]] = {}
    for s in summaries:  # keys gathered a dict at a time (C speed), named once at the end
        params.update(s.params)
        tags.update(s.tags)
        datasets.update(s.datasets)
        for found in (s.stage_metrics, s.stage_series):
            for stage, values in found.items():
                if stage not in by_stage:
                    by_stage[stage] = set()
                by_stage[stage].update(values)
    metrics = {f"{stage}.{k}" if stage else k for stage, keys in by_stage.items() for k in keys}
    data = [f"datasets.{d}.{field}" for d in datasets for field in ("version", "digest")]
    return [*sorted(f"params.{k}" for k in params), *sorted(f"tags.{k}" for k in tags),
            *sorted(metrics), *sorted(data), "env.python", "env.platform"]


def known(name: str, available: Sequence[str]) -> bool:
    """Whether a filter or sort may name ``name``: a fixed column, one of ``available``, a
    metric key recorded in some stage (``auc`` for ``evaluate.auc``), or an aggregate of
    one of those."""
    if name in FIXED or name in available:
        return True
    if name.startswith(_NAMESPACES):
        return True
    base, _, agg = name.rpartition(".")
    for candidate in (name, base) if agg in AGGREGATES else (name,):
        if candidate in available or any(
                col.endswith("." + candidate) for col in available
                if not col.startswith(_NAMESPACES)):
            return True
    return False


_NAMESPACES = ("params.", "tags.", "datasets.", "env.")


def suggest(name: str, available: Sequence[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, [*FIXED, *available], n=3, cutoff=0.6)


def select_columns(spec: str | None, available: Sequence[str]) -> list[str]:
    """The columns ``spec`` names, patterns expanded against ``available`` (default: the
    run, its status and start, then every metric and the params)."""
    if not spec:
        metric_cols = [c for c in available if not c.startswith(("params.", "tags.", "datasets.",
                                                                "env."))]
        params = [c for c in available if c.startswith("params.")]
        return [*DEFAULT_FIXED, *metric_cols, *params]
    chosen: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if any(ch in part for ch in "*?["):
            matched = [c for c in [*FIXED, *available] if fnmatch.fnmatchcase(c, part)]
            if not matched:
                raise InvalidValue(f"--columns {part!r} matches no column")
            chosen += matched
        elif known(part, available):
            chosen.append(part)
        else:
            hints = suggest(part, available)
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            raise InvalidValue(f"--columns: no column {part!r}{hint}")
    return list(dict.fromkeys(chosen))


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool


def parse_sort(spec: str | None, available: Sequence[str]) -> list[SortKey]:
    keys = []
    for part in (p.strip() for p in (spec or "").split(",")):
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("+-")
        if not re.fullmatch(r"[\w.\-]+", name) or not known(name, available):
            hints = suggest(name, available)
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            raise InvalidValue(f"--sort: no column {name!r}{hint}")
        keys.append(SortKey(name, descending))
    return keys


def _present(raw: Any) -> bool:
    """A value a sort can place (NaN and infinities, which no record should hold, and
    missing values go last)."""
    return raw is not None and not (isinstance(raw, float) and not math.isfinite(raw))


def _order(item: Any, name: str) -> tuple[int, Any]:
    raw = value(item, name)
    if raw is None:
        return (2, 0)
    if name in DATES:
        return (0, sort_key(raw).timestamp())
    if isinstance(raw, bool):
        return (0, int(raw))
    if isinstance(raw, int | float):
        return (0, raw)
    return (1, str(raw))


def sort_rows(rows: list[Any], keys: Sequence[SortKey]) -> list[Any]:
    """Stable multi-key sort; missing values last whatever the direction."""
    for key in reversed(keys):
        column = key.column
        present = [r for r in rows if _present(value(r, column))]
        missing = [r for r in rows if not _present(value(r, column))]
        numbers = [r for r in present if _order(r, column)[0] == 0]
        texts = [r for r in present if _order(r, column)[0] != 0]
        numbers.sort(key=lambda r: _order(r, column), reverse=key.descending)
        texts.sort(key=lambda r: _order(r, column), reverse=key.descending)
        rows = numbers + texts + missing  # in a mixed column, numbers before text either way
    return rows


def filter_rows(rows: Iterable[Any], text: str | None, available: Sequence[str]) -> Iterable[Any]:
    """The rows the filter expression holds for; QueryError names a wrong column."""
    if not text:
        return rows
    expr = parse(text)
    check_columns(expr, text, lambda c: known(c, available), lambda c: suggest(c, available))

    def lookup_for(row: Any) -> Callable[[str], Any]:
        def lookup(name: str) -> Any:
            raw = value(row, name)
            return sort_key(raw) if name in DATES and raw is not None else raw
        return lookup

    return (row for row in rows if expr.evaluate(lookup_for(row)))


_SQL_OPS = {"==": "=", "!=": None, "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_PATH_PART = re.compile(r"[A-Za-z0-9_.:/@-]+")  # a name a JSON path quotes safely
_EXACT = 9e15  # beyond this, numbers in SQL (doubles) may differ from Python's exact ints


def sql_superset(text: str | None) -> tuple[str, list[Any]] | None:
    """SQL over the index's ``nums`` (listing._numbers) that holds for every run the
    filter ``text`` holds for, and for as few others as it simply can: comparisons of a
    metric or param with a number, joined by ``and``/``or``; anything else reads as true.
    None when nothing narrows the runs (or the text does not parse: the caller's own
    filtering names the problem). The caller filters the runs SQL keeps exactly."""
    if not text:
        return None
    try:
        return _superset(parse(text))
    except QueryError:
        return None


def _superset(expr: Any) -> tuple[str, list[Any]] | None:
    if isinstance(expr, Logic):
        parts = [_superset(part) for part in expr.parts]
        kept = [part for part in parts if part is not None]
        if (expr.op == "or" and len(kept) < len(parts)) or not kept:
            return None  # an or with a side SQL cannot narrow holds anywhere
        joined = f" {expr.op.upper()} ".join(f"({sql})" for sql, _args in kept)
        return joined, [arg for _sql, args in kept for arg in args]
    if not isinstance(expr, Compare) or _SQL_OPS.get(expr.op) is None:
        return None  # not, in, like, !=: no narrowing
    number = expr.value
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        return None
    column = _sql_column(expr.column.name)
    if column is None:
        return None
    sql, args = column
    # a number compares as in Python; text (a number written as text, NaN) is left to Python;
    # a missing value never holds for these comparisons
    return (f"typeof({sql}) = 'text' OR abs({sql}) > {_EXACT:.0f} OR {sql} {_SQL_OPS[expr.op]} ?",
            [*args, *args, *args, number])


def _sql_column(name: str) -> tuple[str, list[Any]] | None:
    """The SQL reading column ``name``'s value from ``nums``, as ``value`` reads it from
    a summary (a metric reference in any stage first, then ``<stage>.<reference>``;
    ``params.<key>``), or None for a column SQL does not read."""
    if name in FIXED or name.startswith(("tags.", "datasets.", "env.")):
        return None
    head, _, rest = name.partition(".")
    if head == "params":
        return ("json_extract(nums, ?)", [_path("p", rest)]) if _PATH_PART.fullmatch(rest) else None
    if not _PATH_PART.fullmatch(name):
        return None
    if not rest:
        return "json_extract(nums, ?)", [_path("a", name)]
    return "coalesce(json_extract(nums, ?), json_extract(nums, ?))", [
        _path("a", name), _path("st", head, rest)]


def _path(*names: str) -> str:
    return "$" + "".join(f'."{name}"' for name in names)


def columns_known(text: str | None, available: Sequence[str]) -> bool:
    """Whether every column the filter ``text`` names is known among ``available``."""
    if not text:
        return True
    try:
        check_columns(parse(text), text, lambda c: known(c, available))
    except QueryError:
        return False
    return True


def changed_only(rows: Sequence[Any], columns: Sequence[str]) -> list[str]:
    """The columns whose value is not the same in every row (fixed ones always stay)."""
    kept = []
    for name in columns:
        if name in DEFAULT_FIXED or len({repr(value(r, name)) for r in rows}) > 1:
            kept.append(name)
    return kept


__all__ = ["QueryError", "changed_only", "columns_known", "columns_of", "filter_rows",
           "parse_sort", "select_columns", "sort_rows", "sql_superset", "value"]
