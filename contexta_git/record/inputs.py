"""User input from the command line and from files: parsed and checked before any write."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from contexta_git.core.files import NotUtf8, read_utf8
from contexta_git.errors import InvalidValue
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
        except InvalidValue:
            raise
        except Exception as exc:
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
    return params
