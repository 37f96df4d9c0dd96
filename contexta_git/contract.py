"""Upstream Contexta's record models, with the fields its case studies and scripts use.

References follow upstream's spelling: ``project:<p>``, ``run:<p>.<run>``,
``stage:<p>.<run>.<stage>``, ``batch:<p>.<run>.<stage>.<batch>``,
``sample:<p>.<run>.<stage>[.<batch>].<sample>``, ``record:<p>.<run>.<id>``,
``artifact:<p>.<run>.<key>``, ``deployment:<p>.<name>``, ``environment:<p>.<run>.<x>``;
``relation:`` and ``provenance:`` references are free-form. compat/contexta.py writes
them to the runs branch (which file holds what: its module docstring).
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
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Run:
    run_ref: str
    project_ref: str
    name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    description: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # beyond upstream: kept, queryable
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
class DeploymentExecution:
    deployment_execution_ref: str
    project_ref: str
    deployment_name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    order_index: int = 0
    run_ref: str | None = None
    artifact_ref: str | None = None
    environment_snapshot_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class BatchExecution:
    batch_execution_ref: str
    run_ref: str
    stage_execution_ref: str
    batch_name: str
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    order_index: int = 0


@dataclass(frozen=True, kw_only=True)
class SampleObservation:
    sample_observation_ref: str
    run_ref: str
    stage_execution_ref: str
    sample_name: str
    observed_at: str | None = None
    batch_execution_ref: str | None = None
    retention_class: str | None = None
    redaction_profile: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordEnvelope:
    record_ref: str
    record_type: str
    recorded_at: str
    observed_at: str
    producer_ref: str
    run_ref: str
    deployment_execution_ref: str | None = None
    stage_execution_ref: str | None = None
    batch_execution_ref: str | None = None
    sample_observation_ref: str | None = None
    operation_context_ref: str | None = None
    correlation_refs: dict[str, str] = field(default_factory=dict)
    completeness_marker: str = "complete"
    degradation_marker: str = "none"


@dataclass(frozen=True, kw_only=True)
class MetricPayload:
    metric_key: str
    value: float
    value_type: str = "float64"
    unit: str | None = None
    aggregation_scope: str | None = None
    step: int | None = None  # beyond upstream: a step series without positional guessing
    subject_ref: str | None = None
    slice_ref: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    summary_basis: str | None = None


@dataclass(frozen=True, kw_only=True)
class MetricRecord:
    envelope: RecordEnvelope
    payload: MetricPayload


@dataclass(frozen=True, kw_only=True)
class StructuredEventPayload:
    event_key: str
    level: str = "info"
    message: str = ""
    subject_ref: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    origin_marker: str | None = None


@dataclass(frozen=True, kw_only=True)
class StructuredEventRecord:
    envelope: RecordEnvelope
    payload: StructuredEventPayload


@dataclass(frozen=True, kw_only=True)
class TraceSpanPayload:
    span_id: str
    trace_id: str
    span_name: str
    started_at: str
    ended_at: str
    parent_span_id: str | None = None
    status: str = "ok"
    span_kind: str = "operation"
    attributes: dict[str, Any] = field(default_factory=dict)
    linked_refs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TraceSpanRecord:
    envelope: RecordEnvelope
    payload: TraceSpanPayload


DEGRADED_CATEGORIES = ("capture", "store", "import", "compatibility", "verification", "recovery")
DEGRADATION_MARKERS = ("partial_failure", "capture_gap", "import_loss", "compatibility_upgrade")


@dataclass(frozen=True, kw_only=True)
class DegradedPayload:
    issue_key: str
    category: str
    severity: str
    summary: str
    subject_ref: str | None = None
    origin_marker: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DegradedRecord:
    envelope: RecordEnvelope
    payload: DegradedPayload


@dataclass(frozen=True, kw_only=True)
class ArtifactManifest:
    artifact_ref: str
    artifact_kind: str
    created_at: str
    producer_ref: str
    run_ref: str
    location_ref: str
    stage_execution_ref: str | None = None
    batch_execution_ref: str | None = None
    deployment_execution_ref: str | None = None
    hash_value: str | None = None
    size_bytes: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


RELATION_TYPES = ("generated_from", "consumed_by", "produced_by", "packaged_from", "reported_by",
                  "evaluated_on", "deployed_from", "used", "derived_from", "observed_in")


@dataclass(frozen=True, kw_only=True)
class LineageEdge:
    relation_ref: str
    relation_type: str
    source_ref: str
    target_ref: str
    recorded_at: str
    origin_marker: str = "explicit"
    confidence_marker: str = "high"
    operation_context_ref: str | None = None
    evidence_refs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProvenanceRecord:
    provenance_ref: str
    relation_ref: str
    assertion_mode: str
    asserted_at: str
    formation_context_ref: str | None = None
    policy_ref: str | None = None
    evidence_bundle_ref: str | None = None


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
    "ArtifactManifest", "BatchExecution", "DegradedPayload", "DegradedRecord",
    "DeploymentExecution", "EnvironmentSnapshot", "LineageEdge", "MetricPayload", "MetricRecord",
    "Project", "ProvenanceRecord", "RecordEnvelope", "Run", "SampleObservation",
    "StageExecution", "StructuredEventPayload", "StructuredEventRecord", "TraceSpanPayload",
    "TraceSpanRecord",
]
