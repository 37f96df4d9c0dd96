"""The gate: a run's recorded metrics against a policy, one row per check.

Statuses: PASS; FAIL when a ``severity = "fail"`` check is not met; WARN when a
``severity = "warn"`` check is not met. A missing metric, a NaN and a change check
without a usable baseline are FAIL whatever the severity: what cannot be measured
never passes. The decision is FAIL when any row fails, else WARN when any row
warns, else PASS; exit codes treat WARN as a pass.

Margins are signed room to spare: positive passes, negative fails.
``min``: value - min. ``max``: max - value. ``min_abs_change``: (value - base) - bound.
``min_rel_change``: (value - base) / |base| - bound, i.e. the bound is a fraction
of the baseline's magnitude (0.01 = at least 1 % better than the baseline).
``max_drop``: bound - (base - value).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from contexta_git.errors import ContextaError
from contexta_git.core.names import RunId
from contexta_git.release.policy import Check, Policy
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class CheckResult:
    metric: str
    kind: str
    bound: float
    stage: str | None
    severity: str
    value: float | None
    baseline: float | None
    margin: float | None
    status: str  # PASS, WARN or FAIL
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class GateResult:
    run: str
    runs_commit: str | None
    policy: Policy
    baseline: str | None
    rows: tuple[CheckResult, ...]

    @property
    def decision(self) -> str:
        statuses = {r.status for r in self.rows}
        return "FAIL" if "FAIL" in statuses or not self.rows else (
            "WARN" if "WARN" in statuses else "PASS")

    @property
    def passed(self) -> bool:
        return self.decision != "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run, "runs_commit": self.runs_commit, "baseline": self.baseline,
                "decision": self.decision, "checks": [r.to_dict() for r in self.rows]}


class GateFailed(ContextaError):
    exit_code = 1

    def __init__(self, result: GateResult) -> None:
        self.result = result
        failed = [r for r in result.rows if r.status == "FAIL"]
        detail = "; ".join(f"{r.metric}: {r.reason}" for r in failed[:3])
        super().__init__(f"gate FAIL for {result.run}: {detail}")


def gate(runs: Runs, run: str | RunId, policy: Policy, *, baseline: str | None = None,
         project: str | None = None, at: str | None = None) -> GateResult:
    """Evaluate ``policy`` on ``run`` as recorded at runs-branch commit ``at`` (default: tip)."""
    commit = at or runs.store.tip()
    run_id = run if isinstance(run, RunId) else runs.resolve(run, project)
    data = runs.get(run_id, at=commit)
    base_name = baseline or policy.baseline
    base_data = None
    if base_name is not None:
        base_id = runs.resolve(base_name, run_id.project)
        base_data = runs.get(base_id, at=commit)
    return evaluate(policy, data, base_data, runs_commit=commit)


def evaluate(policy: Policy, run: RunData, baseline: RunData | None = None,
             runs_commit: str | None = None) -> GateResult:
    """The pure gate: no repository, just recorded data (certificates recompute with it)."""
    rows = tuple(_check(c, run, baseline) for c in policy.checks)
    return GateResult(run.ref, runs_commit, policy, baseline.ref if baseline else None, rows)


def _value(run: RunData | None, check: Check) -> float | None:
    if run is None:
        return None
    value = run.metric(check.metric, check.stage)  # a metric reference: loss, loss.min
    return None if value is None else float(value)


def _check(check: Check, run: RunData, baseline: RunData | None) -> CheckResult:
    value = _value(run, check)
    base = _value(baseline, check) if check.needs_baseline else None
    where = f" in stage {check.stage}" if check.stage else ""

    def row(status: str, margin: float | None, reason: str) -> CheckResult:
        return CheckResult(check.metric, check.kind, check.bound, check.stage, check.severity,
                           value, base, margin, status, reason)

    if value is None:
        return row("FAIL", None, f"metric not recorded{where}")
    if math.isnan(value):
        return row("FAIL", None, "value is NaN")
    if check.needs_baseline:
        if baseline is None:
            return row("FAIL", None, f"{check.kind} needs a baseline run")
        if base is None or math.isnan(base):
            return row("FAIL", None, f"baseline {baseline.ref} has no value{where}")
    margin, text = _margin(check, value, base)
    if margin is None:
        return row("FAIL", None, text)
    if margin >= 0:
        return row("PASS", margin, text)
    text = text.replace(">=", "<", 1) if ">=" in text else text.replace("<=", ">", 1)
    return row("WARN" if check.severity == "warn" else "FAIL", margin, text)


def _margin(check: Check, value: float, base: float | None) -> tuple[float | None, str]:
    bound = check.bound
    if check.kind == "min":
        return value - bound, f"{value:.6g} >= min {bound:.6g}"
    if check.kind == "max":
        return bound - value, f"{value:.6g} <= max {bound:.6g}"
    assert base is not None
    if check.kind == "min_abs_change":
        change = value - base
        return change - bound, f"change {change:+.6g} >= {bound:+.6g}"
    if check.kind == "min_rel_change":
        if base == 0:
            return None, "relative change against a baseline of 0 is undefined"
        rel = (value - base) / abs(base)
        return rel - bound, f"relative change {rel:+.4%} >= {bound:+.4%}"
    drop = base - value
    return bound - drop, f"drop {drop:.6g} <= {bound:.6g}"
