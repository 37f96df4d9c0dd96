"""The seeds' record models, with the fields the case studies use.

References follow the seeds' spelling: ``project:<p>``, ``run:<p>.<run>``,
``stage:<p>.<run>.<stage>``, ``record:<p>.<run>.<id>``, ``environment:<p>.<run>.<x>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Project:
    project_ref: str
    name: str
    created_at: str | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Run:
    run_ref: str
    project_ref: str
    name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StageExecution:
    stage_execution_ref: str
    run_ref: str
    stage_name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    order_index: int = 0


@dataclass(frozen=True, kw_only=True)
class RecordEnvelope:
    record_ref: str
    record_type: str
    recorded_at: str
    observed_at: str
    producer_ref: str
    run_ref: str
    stage_execution_ref: str | None = None
    completeness_marker: str = "complete"
    degradation_marker: str = "none"


@dataclass(frozen=True, kw_only=True)
class MetricPayload:
    metric_key: str
    value: float
    value_type: str = "float64"
    unit: str | None = None
    aggregation_scope: str | None = None
    step: int | None = None


@dataclass(frozen=True, kw_only=True)
class MetricRecord:
    envelope: RecordEnvelope
    payload: MetricPayload


@dataclass(frozen=True, kw_only=True)
class StructuredEventPayload:
    event_key: str
    level: str = "info"
    message: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    origin_marker: str | None = None


@dataclass(frozen=True, kw_only=True)
class StructuredEventRecord:
    envelope: RecordEnvelope
    payload: StructuredEventPayload


@dataclass(frozen=True, kw_only=True)
class EnvironmentSnapshot:
    environment_snapshot_ref: str
    run_ref: str
    captured_at: str | None = None
    python_version: str | None = None
    platform: str | None = None
    packages: dict[str, str] = field(default_factory=dict)
    environment_variables: dict[str, str] = field(default_factory=dict)


__all__ = [
    "EnvironmentSnapshot", "MetricPayload", "MetricRecord", "Project", "RecordEnvelope", "Run",
    "StageExecution", "StructuredEventPayload", "StructuredEventRecord",
]
