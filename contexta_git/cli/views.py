"""Runs as plain JSON-ready dicts, shared by every output format."""

from __future__ import annotations

import dataclasses
from typing import Any

from contexta_git.core.records import RunData


def summary_dict(run: RunData) -> dict[str, Any]:
    return {
        "run_id": run.run_id, "ref": run.ref, "project": run.project, "name": run.name,
        "status": run.status, "started_at": run.started_at, "ended_at": run.ended_at,
        "quarantined": run.quarantined, "metrics": run.latest_metrics(),
    }


def run_dict(run: RunData) -> dict[str, Any]:
    env = dict(run.environment)
    packages = env.pop("packages", {})
    return {
        **summary_dict(run),
        "params": run.params, "tags": run.tags, "notes": run.notes, "source": run.source,
        "stages": [dataclasses.asdict(s) for s in run.stages],
        "metric_records": [dataclasses.asdict(m) for m in run.metrics if m.step is None],
        "series": [s.record() for s in run.all_series()],  # points: show --series KEY
        "events": [dataclasses.asdict(e) for e in run.events],
        "datasets": [dataclasses.asdict(d) for d in run.datasets],
        "artifacts": [dataclasses.asdict(a) for a in run.artifacts],
        "environment": env, "package_count": len(packages), "packages": packages,
        "lockfile": run.lockfile is not None,
    }
