"""Everything recorded for one run, in the seeds' shape: ``get_run_snapshot``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contexta_git.core.records import Dataset, RunData, Stage
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class SnapshotRecord:
    """One metric or event, as the seeds read them: ``.key .value .record_type .message .payload``."""

    record_type: str  # "metric" or "event"
    record_id: str
    key: str
    value: float | None
    message: str | None
    payload: dict[str, Any]
    stage: str | None
    observed_at: str | None


@dataclass(frozen=True)
class RunSnapshot:
    run: RunData
    records: tuple[SnapshotRecord, ...]

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self.run.stages

    @property
    def params(self) -> dict[str, Any]:
        return self.run.params

    @property
    def datasets(self) -> tuple[Dataset, ...]:
        return self.run.datasets

    @property
    def environment(self) -> dict[str, Any]:
        return self.run.environment

    @property
    def source(self) -> dict[str, Any]:
        return self.run.source


def snapshot_of(run: RunData) -> RunSnapshot:
    found = [SnapshotRecord("metric", m.id, m.key, m.value, None,
                            {"value": m.value, "step": m.step}, m.stage, m.observed_at)
             for m in run.metrics]
    found += [SnapshotRecord("event", e.id, e.key, None, e.message,
                             {"level": e.level, "attributes": e.attributes}, e.stage, e.observed_at)
              for e in run.events]
    return RunSnapshot(run, tuple(found))


def get_run_snapshot(runs: Runs, ref: str, project: str | None = None,
                     at: str | None = None) -> RunSnapshot:
    """The run named ``ref`` (``run:p.n``, ``p.n`` or an unambiguous name), at ``at`` or the tip."""
    return snapshot_of(runs.get(runs.resolve(ref, project), at=at))
