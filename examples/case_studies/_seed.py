"""Shared seeding helpers for the case studies: upstream Contexta's write API
(``metadata_store.<repository>.put_*``, ``record_store.append``) with fixed record ids,
so running a case study twice writes nothing new."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig
from contexta_git.contract import (
    BatchExecution, DegradedPayload, DegradedRecord, DeploymentExecution, EnvironmentSnapshot,
    MetricPayload, MetricRecord, Project, RecordEnvelope, Run, SampleObservation,
    StageExecution, StructuredEventPayload, StructuredEventRecord,
)


def open_workspace(project: str, description: str) -> Contexta:
    """``--workspace PATH`` (default: a new temporary folder), as upstream's scripts take it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workspace", type=Path, default=None)
    args = parser.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="contexta-case-")) / ".contexta"
    return Contexta(config=UnifiedConfig(project_name=project,
                                         workspace=WorkspaceConfig(root_path=root)))


class Seeder:
    def __init__(self, ctx: Contexta, project: str, producer: str) -> None:
        self.ctx, self.project, self.producer = ctx, project, producer
        self.store = ctx.metadata_store
        self.count = 0

    def put_project(self, description: str, created_at: str) -> None:
        self.store.projects.put_project(Project(
            project_ref=f"project:{self.project}", name=self.project, created_at=created_at,
            description=description))

    def put_run(self, name: str, started_at: str, ended_at: str, status: str = "completed") -> str:
        ref = f"run:{self.project}.{name}"
        self.store.runs.put_run(Run(run_ref=ref, project_ref=f"project:{self.project}", name=name,
                                    status=status, started_at=started_at, ended_at=ended_at))
        return ref

    def put_stage(self, run_ref: str, name: str, started_at: str, ended_at: str, order: int,
                  status: str = "completed") -> str:
        ref = f"stage:{run_ref[4:]}.{name}"
        self.store.stages.put_stage_execution(StageExecution(
            stage_execution_ref=ref, run_ref=run_ref, stage_name=name, status=status,
            started_at=started_at, ended_at=ended_at, order_index=order))
        return ref

    def put_batch(self, run_ref: str, stage_ref: str, name: str, started_at: str, ended_at: str,
                  status: str = "completed") -> str:
        ref = f"batch:{stage_ref[6:]}.{name}"
        self.store.batches.put_batch_execution(BatchExecution(
            batch_execution_ref=ref, run_ref=run_ref, stage_execution_ref=stage_ref,
            batch_name=name, status=status, started_at=started_at, ended_at=ended_at))
        return ref

    def put_sample(self, run_ref: str, stage_ref: str, name: str, observed_at: str) -> str:
        ref = f"sample:{stage_ref[6:]}.{name}"
        self.store.samples.put_sample_observation(SampleObservation(
            sample_observation_ref=ref, run_ref=run_ref, stage_execution_ref=stage_ref,
            sample_name=name, observed_at=observed_at))
        return ref

    def put_deployment(self, name: str, run_ref: str, started_at: str, ended_at: str,
                       order: int) -> str:
        ref = f"deployment:{self.project}.{name}"
        self.store.deployments.put_deployment_execution(DeploymentExecution(
            deployment_execution_ref=ref, project_ref=f"project:{self.project}",
            deployment_name=name, status="completed", started_at=started_at, ended_at=ended_at,
            order_index=order, run_ref=run_ref))
        return ref

    def put_environment(self, run_ref: str, python: str, platform: str,
                        packages: dict[str, str], captured_at: str) -> None:
        self.store.environments.put_environment_snapshot(EnvironmentSnapshot(
            environment_snapshot_ref=f"environment:{run_ref[4:]}.snapshot", run_ref=run_ref,
            captured_at=captured_at, python_version=python, platform=platform,
            packages=packages, environment_variables={}))

    def _envelope(self, run_ref: str, kind: str, at: str, stage: str | None, batch: str | None,
                  sample: str | None, degraded: bool = False) -> RecordEnvelope:
        self.count += 1
        return RecordEnvelope(
            record_ref=f"record:{run_ref[4:]}.r{self.count:05d}", record_type=kind,
            recorded_at=at, observed_at=at, producer_ref=self.producer, run_ref=run_ref,
            stage_execution_ref=stage, batch_execution_ref=batch, sample_observation_ref=sample,
            completeness_marker="partial" if degraded else "complete",
            degradation_marker="capture_gap" if degraded else "none")

    def metric(self, run_ref: str, key: str, value: float, at: str, *, stage: str | None = None,
               batch: str | None = None, sample: str | None = None,
               scope: str | None = None) -> None:
        self.ctx.record_store.append(MetricRecord(
            envelope=self._envelope(run_ref, "metric", at, stage, batch, sample),
            payload=MetricPayload(metric_key=key, value=value, value_type="float64",
                                  aggregation_scope=scope)))

    def event(self, run_ref: str, key: str, message: str, at: str, *, level: str = "info",
              stage: str | None = None, batch: str | None = None,
              attributes: dict[str, Any] | None = None) -> None:
        self.ctx.record_store.append(StructuredEventRecord(
            envelope=self._envelope(run_ref, "event", at, stage, batch, None),
            payload=StructuredEventPayload(event_key=key, level=level, message=message,
                                           attributes=attributes or {},
                                           origin_marker="explicit_capture")))

    def degraded(self, run_ref: str, issue_key: str, category: str, severity: str, summary: str,
                 at: str, *, stage: str | None = None, batch: str | None = None,
                 attributes: dict[str, Any] | None = None) -> None:
        self.ctx.record_store.append(DegradedRecord(
            envelope=self._envelope(run_ref, "degraded", at, stage, batch, None, degraded=True),
            payload=DegradedPayload(issue_key=issue_key, category=category, severity=severity,
                                    summary=summary, origin_marker="explicit_capture",
                                    attributes=attributes or {})))
