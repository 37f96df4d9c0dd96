"""Time is a datetime: parsed once, compared as aware datetimes, stored in one format.

Stored timestamps are UTC with microseconds and a ``Z`` (``2025-04-01T15:00:00.500000Z``).
Strings never decide an order: ``...15:00:00Z`` sorts before ``...15:00:00.500000Z``,
and ``17:30:00+02:00`` before ``16:00:00Z``, once both are parsed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from contexta_git.errors import InvalidValue

#: where a missing or unreadable timestamp sorts: before every real one
EARLIEST = datetime.min.replace(tzinfo=UTC)


def now() -> str:
    """The current time in the stored format."""
    return stamp(datetime.now(UTC))


def stamp(moment: datetime) -> str:
    """``moment`` in the stored format (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse(text: str, *, end: bool = False) -> datetime:
    """An aware datetime from an ISO date or date-time; a date alone is its first (or,
    with ``end``, its last) microsecond, and a time without an offset is UTC."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # its last microsecond set, not reached by adding a day (9999-12-31 has no next day)
            return moment.replace(hour=23, minute=59, second=59, microsecond=999999) if end else moment
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidValue(f"{text!r} is not an ISO date or date-time (e.g. 2025-04-01 or "
                           "2025-04-01T09:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sort_key(value: Any) -> datetime:
    """Order of a stored timestamp: parsed; missing or unreadable ones sort first."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return EARLIEST
    try:
        return parse(value)
    except InvalidValue:
        return EARLIEST


def normalize(value: Any) -> str | None:
    """A timestamp given by a caller (string or datetime) in the stored format;
    None stays None. Refuses what is not a date-time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return stamp(value)
    if not isinstance(value, str):
        raise InvalidValue(f"{value!r} is not a date-time")
    return stamp(parse(value))


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: object, what: str = "duration") -> float:
    """Seconds in ``90``, ``30s``, ``10m``, ``1h30m``, ``250ms`` or ``1d``; InvalidValue
    for anything else, for a zero duration too."""
    spelled = str(text).strip().replace(" ", "")
    parts = list(_DURATION.finditer(spelled))
    covered = "".join(m.group(0) for m in parts)
    if not parts or covered != spelled or (len(parts) > 1 and not all(m.group(2) for m in parts)):
        raise InvalidValue(f"{what} {text!r}: give seconds or a duration such as 30s, 10m, 1h")
    seconds = sum(float(m.group(1)) * _UNIT[m.group(2) or "s"] for m in parts)
    if not 0 < seconds < float("inf"):
        raise InvalidValue(f"{what} {text!r} must be longer than zero")
    return seconds
