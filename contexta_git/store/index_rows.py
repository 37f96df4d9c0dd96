"""Summaries as index rows, generically: any NamedTuple is stored by its fields.

A row holds a few columns SQL filters and sorts on, taken from the summary's fields of
those names when it has them (``name``, ``status``, ``started_at`` as UTC microseconds,
``quarantined``, ``source_commit``, ``patch_id``), the numbers SQL selects on (``nums``:
what the codec's ``numbers`` makes of the summary, as JSON SQLite reads), and the whole
summary as one JSON array in field order. Nothing here names the other fields: a field added to the summary
type is stored and read back with no change to the index (the types' fields are part of
the index's stamp, so the index is rebuilt when they change).

Values must be JSON-like: str, int, float (NaN and infinities included), bool, None,
tuples and lists, dicts with str keys, and NamedTuples of those; a date, time or date-time
inside them (a TOML date param) is stored, and comes back, as its ISO text. Tuples, NamedTuples and
dicts of them are rebuilt from the field's type annotation.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from contexta_git.core.time import sort_key

Convert = Callable[[Any], Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


class Row(NamedTuple):
    """One run folder in the index: where, from which tree, what kind of summary, the
    columns, and the summary itself (JSON)."""

    folder: str
    project: str
    shard: str
    tree: str
    kind: int
    name: str | None
    status: str | None
    started: int | None
    quarantined: int | None
    source_commit: str | None
    patch_id: str | None
    nums: str | None  # the numbers SQL selects on (Codec ``numbers``), strict JSON
    data: str


def started(value: Any) -> int:
    """A run's start as sortable UTC microseconds since 1970, in the order of
    ``core.time.sort_key`` (missing or unreadable times first)."""
    return (sort_key(value) - _EPOCH) // _MICRO


class Codec:
    """How summaries of ``kinds`` (NamedTuple types) become rows and come back."""

    def __init__(self, kinds: Sequence[type],
                 numbers: Callable[[Any], dict[str, Any] | None] | None = None) -> None:
        self.kinds = tuple(kinds)
        self.numbers = numbers  # a summary -> a JSON object SQL reads (json_extract), or None
        self._convert = [_field_converters(kind) for kind in self.kinds]
        self.stamp = json.dumps([[kind.__name__, list(kind._fields)] for kind in self.kinds])  # type: ignore[attr-defined]

    def row(self, folder: str, tree: str, item: Any) -> Row:
        parts = folder.split("/")
        project, shard = parts[1], parts[3]
        get = item._asdict().get
        start = get("started_at")
        flag = get("quarantined")
        return Row(folder, project, shard, tree, self.kinds.index(type(item)), _text(get("name")),
                   _text(get("status")), None if "started_at" not in item._fields else started(start),
                   None if flag is None else int(bool(flag)), _text(get("source_commit")),
                   _text(get("patch_id")), self._numbers(item),
                   json.dumps(list(item), separators=(",", ":"), default=_iso))

    def _numbers(self, item: Any) -> str | None:
        """The ``numbers`` of a summary as JSON SQLite can read: no NaN or infinity tokens
        (they are stored as the text "nan", "inf", "-inf": SQL sees them as not numbers)."""
        found = self.numbers(item) if self.numbers is not None else None
        if found is None:
            return None
        return json.dumps(_finite(found), separators=(",", ":"), allow_nan=False, default=_iso)

    def decode(self, kind: int, values: list[Any]) -> Any:
        for at, convert in self._convert[kind]:
            values[at] = convert(values[at])
        return self.kinds[kind]._make(values)  # type: ignore[attr-defined]


def _iso(value: Any) -> str:
    """A TOML date, time or date-time (a param, a tag) as its ISO text; nothing else."""
    if isinstance(value, date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be stored in the run index")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _field_converters(kind: type) -> list[tuple[int, Convert]]:
    """(position, converter) of each field JSON cannot give back as it was."""
    try:
        hints = typing.get_type_hints(kind)
    except Exception:  # an annotation that cannot be resolved: read the field as JSON gave it
        hints = {}
    out = []
    for at, name in enumerate(kind._fields):  # type: ignore[attr-defined]
        convert = _converter(hints.get(name, Any))
        if convert is not None:
            out.append((at, convert))
    return out


def _converter(hint: Any) -> Convert | None:
    """What turns the JSON of a value of type ``hint`` back into one (None: nothing)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields"):
        fields = _field_converters(hint)
        return lambda v: _named(hint, fields, v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            if item is None:
                return tuple
            one = item
            return lambda v: tuple(map(one, v))
        parts = [_converter(a) or _same for a in args]
        return lambda v: tuple(c(x) for c, x in zip(parts, v, strict=False))
    if origin in (list, set, frozenset):
        each = _converter(args[0]) if args else None
        make = origin
        if each is None:
            return None if origin is list else make
        convert = each
        return lambda v: make(map(convert, v))
    if origin is dict:
        value = _converter(args[1]) if len(args) == 2 else None
        return None if value is None else (lambda v: {k: value(x) for k, x in v.items()})
    if origin in (typing.Union, types.UnionType):
        inner = [c for a in args if a is not type(None) if (c := _converter(a)) is not None]
        if len(inner) == 1:
            only = inner[0]
            return lambda v: None if v is None else only(v)
    return None


def _same(value: Any) -> Any:
    return value


def _named(kind: Any, fields: list[tuple[int, Convert]], value: list[Any]) -> Any:
    value = list(value)
    for at, convert in fields:
        value[at] = convert(value[at])
    return kind._make(value)
