"""User input from the command line and from files: parsed and checked before any write."""

from __future__ import annotations

import datetime
import json
import math
import numbers
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from contexta_git.core.files import NotUtf8, read_utf8
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.core.names import check_key
from contexta_git.core.records import check_number


def read_mapping(path: str | Path, text: str | None = None) -> dict[str, Any]:
    """A JSON, TOML or YAML 1.2 file (chosen by suffix, UTF-8) holding one table at the top."""
    path = Path(path)
    try:
        text = read_utf8(path) if text is None else text
    except OSError as exc:
        raise InvalidValue(f"cannot read {path}: {exc.strerror or exc}") from exc
    except NotUtf8 as exc:
        raise InvalidValue(f"{path}: {exc}") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text, parse_constant=lambda c: float(c))
        elif suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in {".yaml", ".yml"}:
            from contexta_git.record import yaml12

            data = yaml12.load(text)
        else:
            raise InvalidValue(f"{path}: unknown file type {suffix or '(none)'}; use .json, .toml or .yaml")
    except InvalidValue:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidValue(f"{path}: not valid {suffix[1:].upper()}: {first}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidValue(f"{path}: expected a table of names and values at the top")
    return data


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables become dotted keys: ``{"eval": {"auc": 1}}`` -> ``{"eval.auc": 1}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def metrics_from(data: Mapping[str, Any], origin: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in flatten(data).items():
        check_key(key)
        try:
            out[key] = check_number(key, value)
        except ContextaError as exc:
            raise InvalidValue(f"{origin}: {exc}") from exc
    return out


def parse_number(key: str, text: str) -> float:
    try:
        value: float = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise InvalidValue(f"metric {key!r} must be a number, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"metric {key!r} must be finite, got {text!r}")
    return check_number(key, value)


def parse_param(text: str) -> Any:
    """A param value from the command line: TOML scalars are typed, the rest is a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def pairs(items: Iterable[str], what: str) -> list[tuple[str, str]]:
    """``KEY=VALUE`` strings, split and with the key checked."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidValue(f"{what} {item!r} must look like KEY=VALUE")
        out.append((check_key(key.strip(), what), value))
    return out


def metrics_args(items: Iterable[str], files: Iterable[str]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for path in files:
        metrics.update(metrics_from(read_mapping(path), str(path)))
    for key, text in pairs(items, "metric"):
        metrics[key] = parse_number(key, text)
    return metrics


def params_args(items: Iterable[str], files: Iterable[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for path in files:
        params.update(flatten(read_mapping(path)))
    for key, text in pairs(items, "param"):
        params[key] = parse_param(text)
    return {key: value for key, value in params.items() if value is not None}  # null: unset


# -- values handed to the Python API ------------------------------------------------------
KINDS = "a string, number, boolean, date, list or table"


def plain(value: Any, what: str, name: str) -> Any:
    """``value`` as a TOML record holds it, checked now rather than when it is written:
    ``numbers.Real`` values (numpy scalars, fractions) become int or float, numpy booleans
    bool, tuples lists; strings, dates and times stay; anything else (arrays, paths,
    objects) is refused, naming it as
    ``{what} '{name}'`` (``param 'model.depth'``)."""
    if value is None or isinstance(value, (bool, datetime.date, datetime.time)):
        return value  # TOML holds dates and times as they are (a datetime is a date)
    if isinstance(value, str):
        return text(value, f"{what} {name!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    if isinstance(value, Mapping):
        return plain_table(value, what, f"{name}.")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if item is None:  # dropping it would shift every later item
                raise InvalidValue(f"{what} '{name}[{i}]' is None: TOML has no null, so a "
                                   "list cannot hold one; use a value such as 0 or \"\"")
        return [plain(v, what, f"{name}[{i}]") for i, v in enumerate(value)]
    raise InvalidValue(f"{what} {name!r} must be {KINDS}, got {type(value).__name__}")


def plain_table(values: Any, what: str, prefix: str = "") -> dict[str, Any]:
    """Every value of a table through :func:`plain` (keys: strings, or integers made strings)."""
    if not isinstance(values, Mapping):
        where = f"{what} {prefix[:-1]!r}" if prefix else f"{what}s"
        raise InvalidValue(f"{where} must be a table (a dict), got {type(values).__name__}")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise InvalidValue(f"{what} names must be strings, got {type(key).__name__} "
                               f"in {prefix[:-1] or what + 's'}")
        if value is None:
            continue  # a null param is an unset one: left out, and not counted
        out[str(key)] = plain(value, what, f"{prefix}{key}")
    return out


def text(value: Any, what: str) -> str:
    """A string that UTF-8 can encode (no lone surrogates)."""
    if not isinstance(value, str):
        raise InvalidValue(f"{what} must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValue(f"{what} is not valid Unicode (it holds a lone surrogate)") from None
    return value


def whole(value: Any, what: str) -> int:
    """A whole number (numpy integers too), never a bool."""
    if type(value) is int:
        return value  # the common case (a step): no ABC checks
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidValue(f"{what} must be an integer, got {type(value).__name__}")
    return int(value)
