"""Strict JSON (RFC 8259) for every JSON output: one encoder, never NaN or Infinity.

JSON has no NaN or infinities, and Python's json module writes them as bare ``NaN`` and
``Infinity`` tokens that strict parsers reject. A record can hold them: params accept
them (``inf`` is a real setting for gradient clipping or patience, and TOML writes
both), and a hand-made record can hold them in metrics. Every non-finite float is
written as a string, ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (the spellings of
JavaScript and JSON5), so nothing is lost and every parser reads the output. Dates and
times become ISO 8601 strings, named tuples objects, bytes and anything else ``str()``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types, non-finite floats as strings (see the module)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else NON_FINITE[value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return jsonable(value._asdict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def dumps(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """Strict JSON text of ``value``; ``allow_nan=False`` proves no bare NaN slips out."""
    return json.dumps(jsonable(value), indent=indent, sort_keys=sort_keys, allow_nan=False)
