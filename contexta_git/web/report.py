"""``html_report``: one self-contained HTML page about one or more runs, with charts.

Sections: summary (status, quarantine, reproducibility, source, gate decision), curves
of every step series (the runs overlaid), metrics (with the gate's thresholds and
results when a policy is given), params (differences marked), datasets, artifacts, the
environment (its diff against the first run when several are given), events (quarantines
stand out), the reproducibility audit and the certificates of these runs with their
verification status. Every run is read at one commit of the runs branch. Long series are
downsampled (web/charts.py), so a run of a million points embeds about 50 kB of data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contexta_git.analysis.audit import ReproducibilityAudit, audit_run
from contexta_git.analysis.environments import EnvironmentComparison, diff_environments
from contexta_git.core import jsonout
from contexta_git.core.names import RunId
from contexta_git.core.records import QUARANTINE_EVENT, RELEASE_EVENT, RunData
from contexta_git.release.gate import GateResult, evaluate
from contexta_git.release.policy import Policy
from contexta_git.release.verify import Verification, verify_all
from contexta_git.store.runs import Runs
from contexta_git.web import charts, html


@dataclass(frozen=True)
class RunPart:
    """What the page shows of one run."""

    id: RunId
    label: str  # the run's name, or project.name when two runs of the page share a name
    data: RunData
    audit: ReproducibilityAudit
    gate: GateResult | None


def html_report(store: Runs, runs: Sequence[str], *, project: str | None = None,
                policy: Policy | None = None, cap: int = charts.CAP) -> str:
    """The page (see the module); RunNotFound or InvalidValue before anything is built."""
    tip = store.store.tip()
    ids = list(dict.fromkeys(store.resolve(run, project) for run in runs))
    datas = [store.get(run, at=tip) for run in ids]
    base = None
    if policy is not None and policy.baseline:
        base = store.get(store.resolve(policy.baseline, ids[0].project), at=tip)
    parts = [RunPart(i, label, d, audit_run(d), evaluate(policy, d, base, tip) if policy else None)
             for i, label, d in zip(ids, charts.labels(ids), datas, strict=True)]
    drawn = charts.every_series(store.view(tip), list(zip(ids, datas, strict=True)), cap=cap)
    refs = {run.ref for run in ids}
    certificates = [v for v in verify_all(store) if _run_of(v) in refs] if tip else []
    values = {
        "runs": parts, "charts": html.fragment(drawn), "chart_count": len(drawn),
        "metrics": metric_rows(datas), "params": param_rows(datas), "policy": policy,
        "gate_rows": gate_rows(parts), "environments": environment_diffs(datas),
        "certificates": certificates, "quarantine_keys": (QUARANTINE_EVENT, RELEASE_EVENT),
        "runs_commit": tip, "text": _text,
    }
    body = html.environment().get_template("report.html.j2").render(values)
    title = f"Run report: {ids[0].ref}" if len(ids) == 1 else f"Run report: {len(ids)} runs"
    subtitle = ", ".join(run.ref for run in ids) if len(ids) > 1 else ""
    return html.page(title, html.Markup(body), subtitle=subtitle, charts=bool(drawn))


def _run_of(found: Verification) -> str | None:
    run = found.certificate.get("run")
    return run.get("ref") if isinstance(run, dict) else None


def _text(value: Any) -> str:
    """A cell: numbers to 6 significant digits, mappings and lists as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list, tuple)):
        return jsonout.dumps(value, indent=None, sort_keys=True)
    return str(value)


def metric_rows(datas: Sequence[RunData]) -> list[dict[str, Any]]:
    """One row per (stage, key): single values (the latest) and series summaries."""
    rows: dict[tuple[str, str, bool], list[str]] = {}
    for n, data in enumerate(datas):
        for m in data.metrics:
            if m.step is None:
                rows.setdefault((m.stage or "", m.key, False), [""] * len(datas))[n] = _text(m.value)
        for s in data.all_series():
            cell = (f"last {_text(s.last)} · min {_text(s.min)} (step {s.min_step}) · "
                    f"max {_text(s.max)} (step {s.max_step}) · {s.count:,} points")
            rows.setdefault((s.stage or "", s.key, True), [""] * len(datas))[n] = cell
    return [{"stage": stage, "key": key, "series": series, "cells": cells}
            for (stage, key, series), cells in sorted(rows.items())]


def param_rows(datas: Sequence[RunData]) -> list[dict[str, Any]]:
    """One row per param; ``changed`` when the runs disagree (or one lacks it)."""
    names = sorted({name for data in datas for name in data.params})
    rows = []
    for name in names:
        cells = [_text(data.params.get(name)) if name in data.params else "" for data in datas]
        rows.append({"name": name, "cells": cells, "changed": len(set(cells)) > 1})
    return rows


def gate_rows(parts: Sequence[RunPart]) -> list[dict[str, Any]]:
    """One row per policy check: its rule, and each run's value, status and reason."""
    if not parts or parts[0].gate is None:
        return []
    rows = []
    for n, check in enumerate(parts[0].gate.policy.checks):
        results = [part.gate.rows[n] for part in parts if part.gate is not None]
        rows.append({"metric": check.metric, "stage": check.stage or "", "kind": check.kind,
                     "bound": _text(check.bound), "severity": check.severity,
                     "results": [{"value": _text(r.value), "status": r.status,
                                  "reason": r.reason} for r in results]})
    return rows


def environment_diffs(datas: Sequence[RunData]) -> list[EnvironmentComparison]:
    """Each run after the first against the first."""
    return [diff_environments(datas[0], other) for other in datas[1:]]
