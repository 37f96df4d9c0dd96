"""Quality policies: what a run must reach before it may ship.

A policy file is TOML, one table per metric::

    baseline = "run:churn.v1"        # optional: the run that change checks compare against

    [metrics.accuracy]
    min = 0.90                       # value >= min
    stage = "evaluate"               # optional: no stage means the latest value from any stage
    severity = "fail"                # or "warn" (default "fail")

    [metrics.loss]
    max = 0.3                        # value <= max
    range = [0.0, 0.3]               # same as min and max together

    [metrics.auc]
    min_abs_change = 0.0             # value - baseline >= min_abs_change
    min_rel_change = 0.01            # (value - baseline) / |baseline| >= min_rel_change
    max_drop = 0.02                  # baseline - value <= max_drop

    [metrics."val_loss.min"]         # an aggregate of a step series (quoted: one key)
    max = 0.25                       # .last (the latest, as a bare key), .first, .min,
                                     # .max or .count: see core/series.py

Each bound is one check. A policy that checks nothing is refused: it could only
pass vacuously. The parsed policy is a plain dict-able value, stored inside every
certificate so the gate can be recomputed without the user's file.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from contexta_git.core.files import NotUtf8, read_utf8
from contexta_git.errors import ContextaError
from contexta_git.core.names import check_key, check_stage
from contexta_git.core.series import AGGREGATES

#: check kinds: the bound ones compare the value, the change ones compare it with a baseline
BOUND_KINDS = ("min", "max")
CHANGE_KINDS = ("min_abs_change", "min_rel_change", "max_drop")
SEVERITIES = ("fail", "warn")
_METRIC_KEYS = {"min", "max", "range", "stage", "severity", *CHANGE_KINDS}


class InvalidPolicy(ContextaError):
    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"invalid policy {source}: {reason}")


@dataclass(frozen=True)
class Check:
    """One bound on one metric."""

    metric: str
    kind: str  # one of BOUND_KINDS or CHANGE_KINDS
    bound: float
    stage: str | None = None
    severity: str = "fail"

    @property
    def needs_baseline(self) -> bool:
        return self.kind in CHANGE_KINDS

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Policy:
    checks: tuple[Check, ...]
    baseline: str | None = None
    source: str = "<policy>"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"checks": [c.to_dict() for c in self.checks]}
        if self.baseline:
            out["baseline"] = self.baseline
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = "<certificate>") -> Policy:
        """The stored form (``to_dict``) back into a policy."""
        try:
            checks = tuple(Check(metric=c["metric"], kind=c["kind"], bound=float(c["bound"]),
                                 stage=c.get("stage"), severity=c.get("severity", "fail"))
                           for c in doc.get("checks", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPolicy(source, f"malformed stored check ({exc})") from exc
        return cls(checks, doc.get("baseline"), source)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file."""
    target = Path(path)
    try:
        text = read_utf8(target)
    except NotUtf8 as exc:
        raise InvalidPolicy(str(path), str(exc)) from exc
    except OSError as exc:
        raise InvalidPolicy(str(path), f"cannot read it ({type(exc).__name__})") from exc
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidPolicy(source, f"not valid TOML ({exc})") from exc
    unknown = set(doc) - {"metrics", "baseline"}
    if unknown:
        raise InvalidPolicy(source, f"unknown top-level key {min(unknown)!r}")
    baseline = doc.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline):
        raise InvalidPolicy(source, "baseline must be a run name")
    metrics = doc.get("metrics", {})
    if not isinstance(metrics, dict):
        raise InvalidPolicy(source, "[metrics] must be a table of metric tables")
    checks: list[Check] = []
    for name, table in metrics.items():
        checks.extend(_metric_checks(source, name, table))
    if not checks:
        raise InvalidPolicy(source, "it checks nothing (add e.g. [metrics.accuracy] min = 0.9)")
    return Policy(tuple(checks), baseline, source)


def _number(source: str, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidPolicy(source, f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InvalidPolicy(source, f"{where} must be finite, got {value!r}")
    return float(value)


def _metric_checks(source: str, name: str, table: Any) -> list[Check]:
    try:
        check_key(name)
    except ContextaError as exc:
        raise InvalidPolicy(source, str(exc)) from exc
    where = f"[metrics.{name}]"
    if not isinstance(table, dict):
        raise InvalidPolicy(source, f"{where} must be a table")
    for aggregate in AGGREGATES:  # [metrics.loss.min] is a table "min" inside [metrics.loss]
        if isinstance(table.get(aggregate), dict):
            raise InvalidPolicy(source, f"{where} holds a table {aggregate!r}: quote a series "
                                        f"aggregate as one key, [metrics.\"{name}.{aggregate}\"]")
    unknown = set(table) - _METRIC_KEYS
    if unknown:
        raise InvalidPolicy(source, f"{where} has unknown key {min(unknown)!r}")
    stage = table.get("stage")
    if stage is not None:
        try:
            check_stage(stage)
        except ContextaError as exc:
            raise InvalidPolicy(source, f"{where} {exc}") from exc
    severity = table.get("severity", "fail")
    if severity not in SEVERITIES:
        raise InvalidPolicy(source, f"{where} severity must be \"fail\" or \"warn\", got {severity!r}")
    bounds: dict[str, float] = {}
    if "range" in table:
        pair = table["range"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidPolicy(source, f"{where} range must be [low, high]")
        if "min" in table or "max" in table:
            raise InvalidPolicy(source, f"{where} use range or min/max, not both")
        bounds["min"] = _number(source, f"{where} range", pair[0])
        bounds["max"] = _number(source, f"{where} range", pair[1])
    for kind in (*BOUND_KINDS, *CHANGE_KINDS):
        if kind in table:
            bounds[kind] = _number(source, f"{where} {kind}", table[kind])
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        raise InvalidPolicy(source, f"{where} min {bounds['min']} is above max {bounds['max']}")
    if not bounds:
        raise InvalidPolicy(source, f"{where} sets no bound (min, max, range, min_abs_change, "
                                    "min_rel_change or max_drop)")
    return [Check(name, kind, value, stage, severity) for kind, value in bounds.items()]
