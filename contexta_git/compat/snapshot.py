"""Everything recorded for one run, in upstream Contexta's shape: ``get_run_snapshot``,
and the record types its listings return (``list_deployments``, ``list_batches``, ...).

Identifiers are upstream's full references (``run:p.r``, ``stage:p.r.train``,
``record:p.r.r00001``); each record also names its sample and batch, which upstream's
snapshot leaves out (so per-sample metrics can be read back, not recomputed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contexta_git.core.records import Dataset, RunData
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class EvidenceLink:
    kind: str
    ref: str
    label: str | None = None


@dataclass(frozen=True)
class SnapshotRecord:
    """One observation (upstream's ObservationRecord): ``record_type`` is metric, event,
    span or degraded; ``key`` the metric, event, span or issue key; ``message`` an event's
    message or a degraded record's summary."""

    record_type: str
    record_id: str
    key: str
    value: float | None
    message: str | None
    payload: dict[str, Any]
    stage: str | None
    observed_at: str | None
    run_id: str = ""
    stage_id: str | None = None
    batch_id: str | None = None
    sample_id: str | None = None
    completeness_marker: str = "complete"
    degradation_marker: str = "none"
    unit: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageRecord:
    stage_id: str
    run_id: str
    name: str
    status: str
    order: int
    started_at: str | None
    ended_at: str | None


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    run_id: str
    stage_id: str
    name: str
    status: str
    order: int
    started_at: str | None
    ended_at: str | None


@dataclass(frozen=True)
class SampleRecord:
    sample_id: str
    run_id: str
    stage_id: str
    batch_id: str | None
    name: str
    observed_at: str | None
    retention_class: str | None = None
    redaction_profile: str | None = None


@dataclass(frozen=True)
class DeploymentRecord:
    """One deployment. Beyond upstream: ``order_index`` is its place in its name's history,
    and every deployment under one name is kept (``who``, ``reason``, ``previous``)."""

    deployment_id: str
    project_name: str
    name: str
    status: str
    run_id: str | None
    artifact_ref: str | None
    started_at: str | None
    ended_at: str | None
    order: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: dict[str, Any]) -> DeploymentRecord:
        shown = ("who", "reason", "previous", "env", "certificate", "id")
        return cls(f"deployment:{entry['project']}.{entry['name']}", entry["project"],
                   entry["name"], entry.get("status", "completed"), entry.get("run"),
                   entry.get("artifact"), entry.get("at"), entry.get("ended_at"),
                   int(entry.get("order_index", 0)),
                   {k: entry[k] for k in shown if entry.get(k) is not None})


@dataclass(frozen=True)
class ArtifactRecord:
    artifact_ref: str
    run_id: str
    stage_id: str | None
    kind: str | None
    created_at: str | None
    location: str | None
    hash_value: str | None
    size_bytes: int | None
    attributes: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None


@dataclass(frozen=True)
class RelationRecord:
    relation_ref: str
    relation_type: str
    source_ref: str
    target_ref: str
    recorded_at: str | None
    origin_marker: str | None
    confidence_marker: str | None
    evidence_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvenanceView:
    run_id: str
    provenance_ref: str
    relation_ref: str
    assertion_mode: str | None
    asserted_at: str | None
    formation_context_ref: str | None
    policy_ref: str | None
    evidence_bundle_ref: str | None


@dataclass(frozen=True)
class RunSnapshot:
    run: RunData
    records: tuple[SnapshotRecord, ...]
    stages: tuple[StageRecord, ...] = ()
    batches: tuple[BatchRecord, ...] = ()
    samples: tuple[SampleRecord, ...] = ()
    deployments: tuple[DeploymentRecord, ...] = ()
    artifacts: tuple[ArtifactRecord, ...] = ()
    relations: tuple[RelationRecord, ...] = ()
    provenance: ProvenanceView | None = None
    completeness_notes: tuple[str, ...] = ()
    evidence_links: tuple[EvidenceLink, ...] = ()

    @property
    def run_id(self) -> str:
        return self.run.ref

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


def _scoped(run: RunData, kind: str, name: str | None) -> str | None:
    return f"{kind}:{run.run_id}.{name}" if name else None


def _records(run: RunData) -> list[SnapshotRecord]:
    def base(row: Any, stage: str | None, batch: str | None, sample: str | None) -> dict[str, Any]:
        return {"run_id": run.ref, "stage_id": _scoped(run, "stage", stage),
                "batch_id": _scoped(run, "batch", batch),
                "sample_id": _scoped(run, "sample", sample)}

    found = [SnapshotRecord("metric", f"record:{run.run_id}.{m.id}", m.key, m.value, None,
                            {"metric_key": m.key, "value": m.value, "step": m.step},
                            m.stage, m.observed_at, **base(m, m.stage, m.batch, m.sample))
             for m in run.metrics]
    found += [SnapshotRecord("event", f"record:{run.run_id}.{e.id}", e.key, None, e.message,
                             {"event_key": e.key, "level": e.level, "message": e.message,
                              "attributes": e.attributes},
                             e.stage, e.observed_at, **base(e, e.stage, e.batch, e.sample))
              for e in run.events]
    for row in run.rows("spans.toml"):
        found.append(SnapshotRecord(
            "span", f"record:{run.run_id}.{row['id']}", row["name"], None, None, dict(row),
            row.get("stage"), row.get("started_at"),
            **base(row, row.get("stage"), row.get("batch"), row.get("sample"))))
    for row in run.rows("degraded.toml"):
        payload = {"issue_key": row["key"], "category": row["category"],
                   "severity": row["severity"], "summary": row.get("summary", ""),
                   "origin_marker": row.get("origin"), "attributes": row.get("attributes", {})}
        found.append(SnapshotRecord(
            "degraded", f"record:{run.run_id}.{row['id']}", row["key"], None,
            row.get("summary"), payload, row.get("stage"), row.get("observed_at"),
            completeness_marker=row.get("completeness", "partial"),
            degradation_marker=row["marker"],
            **base(row, row.get("stage"), row.get("batch"), row.get("sample"))))
    return found


def snapshot_of(run: RunData, deployments: list[dict[str, Any]] | None = None) -> RunSnapshot:
    """``run``'s snapshot; ``deployments``: deployment ledger entries naming it."""
    ref = run.ref
    stages = tuple(StageRecord(f"stage:{run.run_id}.{s.name}", ref, s.name, s.status, s.order,
                               s.started_at, s.ended_at)
                   for s in sorted(run.stages, key=lambda s: (s.order, s.name)))
    batches = tuple(BatchRecord(f"batch:{run.run_id}.{b['id']}", ref,
                                f"stage:{run.run_id}.{b['stage']}", b["name"], b["status"],
                                int(b.get("order", 0)), b.get("started_at"), b.get("ended_at"))
                    for b in run.rows("batches.toml"))
    samples = tuple(SampleRecord(f"sample:{run.run_id}.{s['id']}", ref,
                                 f"stage:{run.run_id}.{s['stage']}",
                                 _scoped(run, "batch", s.get("batch")), s["name"],
                                 s.get("observed_at"), s.get("retention_class"),
                                 s.get("redaction_profile"))
                    for s in run.rows("samples.toml"))
    artifacts = tuple(ArtifactRecord(f"artifact:{run.run_id}.{a.id}", ref,
                                     _scoped(run, "stage", a.stage), a.kind, a.created_at,
                                     a.path, a.sha256, a.size, dict(a.attributes))
                      for a in run.artifacts)
    relations = tuple(RelationRecord(r["id"], r["type"], r["source"], r["target"],
                                     r.get("recorded_at"), r.get("origin"),
                                     r.get("confidence"), tuple(r.get("evidence", ())))
                      for r in run.rows("relations.toml"))
    asserted = sorted(run.rows("provenance.toml"), key=lambda p: str(p.get("asserted_at", "")))
    provenance = None
    if asserted:
        p = asserted[-1]
        provenance = ProvenanceView(ref, p["id"], p["relation"], p.get("assertion_mode"),
                                    p.get("asserted_at"), p.get("formation_context"),
                                    p.get("policy"), p.get("evidence_bundle"))
    found = _records(run)
    deps = tuple(DeploymentRecord.of(e) for e in deployments or [])
    notes = [note for note, present in (
        ("stage_list_empty", stages), ("deployment_list_empty", deps),
        ("batch_list_empty", batches), ("sample_list_empty", samples),
        ("artifact_list_empty", artifacts), ("relation_scope_empty", relations),
        ("record_scope_empty", found), ("provenance_missing", provenance)) if not present]
    with_records = {r.stage for r in found if r.stage}
    notes += [f"missing_stage_records:{s.name}" for s in stages if s.name not in with_records]
    links = [EvidenceLink("run", ref, run.name)]
    links += [EvidenceLink("sample", s.sample_id, s.name) for s in samples[:10]]
    links += [EvidenceLink("record", r.record_id, r.key) for r in found[:10]]
    return RunSnapshot(run, tuple(found), stages, batches, samples, deps, artifacts, relations,
                       provenance, tuple(notes), tuple(links))


def deployments_of(runs: Runs, run: RunId) -> list[dict[str, Any]]:
    from contexta_git.analysis.aliases import deployments

    return [e for e in deployments(runs, run.project) if e.get("run") == run.ref]


def get_run_snapshot(runs: Runs, ref: str, project: str | None = None,
                     at: str | None = None) -> RunSnapshot:
    """The run named ``ref`` (``run:p.n``, ``p.n`` or an unambiguous name), at ``at`` or the tip."""
    run = runs.resolve(ref, project)
    return snapshot_of(runs.get(run, at=at), deployments_of(runs, run))
