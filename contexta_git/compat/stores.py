"""Upstream Contexta's write API: ``ctx.metadata_store.<repository>.put_*`` and
``ctx.record_store.append``, each one commit on the runs branch (store/runs.py
``Runs.apply``), so a script that stops half-way leaves everything it wrote before and
nothing half-written, and two clones merge by the branch's union rules.

Where each model lands (``<run>`` is the run's folder):

    Project              projects/<p>/project.toml
    Run, StageExecution  <run>/run.toml, <run>/stages.toml
    EnvironmentSnapshot  <run>/environment.toml
    DeploymentExecution  projects/<p>/deployments/<name>.toml (the deployment ledger, one
                         entry per put: upstream keeps one row per name, this every one)
    BatchExecution       <run>/batches.toml        SampleObservation  <run>/samples.toml
    MetricRecord         <run>/metrics.toml        StructuredEvent    <run>/events.toml
    DegradedRecord       <run>/degraded.toml       TraceSpanRecord    <run>/spans.toml
    ArtifactManifest     <run>/artifacts.toml
    LineageEdge          <run>/relations.toml of the run its source (else target) belongs to
    ProvenanceRecord     <run>/provenance.toml of its relation's run

Append-only files are unions by id: writing the same record twice is a no-op, so a
seed script can run again. ``put_*`` of an existing project, run or stage updates it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from contexta_git import contract
from contexta_git.core import records
from contexta_git.core.names import (
    RunId, check_deployment, check_key, check_project, check_stage, project_path,
)
from contexta_git.core.redact import redact, redact_value
from contexta_git.core.time import normalize
from contexta_git.errors import ContextaError, InvalidName, InvalidValue
from contexta_git.git.repo import View
from contexta_git.release import moves
from contexta_git.store import ledgers
from contexta_git.store.runs import RunChange, Runs

STATUSES = ("open", "completed", "failed", "cancelled")
SEVERITIES = ("warning", "error")


def after(ref: str, kind: str, run: RunId) -> str:
    """The part of a reference that follows its run: ``stage:p.r.train`` -> ``train``."""
    prefix = f"{kind}:{run.id}."
    if not isinstance(ref, str) or not ref.startswith(prefix) or len(ref) == len(prefix):
        raise InvalidValue(f"{kind} reference {ref!r} must start with {prefix!r}")
    return ref[len(prefix):]


def project_of(ref: str) -> str:
    if not isinstance(ref, str) or not ref.startswith("project:"):
        raise InvalidValue(f"project reference {ref!r} must start with 'project:'")
    return check_project(ref[len("project:"):])


def run_of(ref: str) -> RunId | None:
    """The run a run-scoped reference (run, stage, batch, sample, record, artifact,
    environment, operation) belongs to; None for any other reference."""
    kind, colon, value = ref.partition(":")
    parts = value.split(".")
    if not colon or kind in ("project", "deployment", "relation", "provenance") or len(parts) < 2:
        return None
    try:
        return RunId(parts[0], parts[1])
    except InvalidName:
        return None


def _status(status: str, what: str) -> str:
    if status not in STATUSES:
        raise InvalidValue(f"{what} status {status!r} must be one of {', '.join(STATUSES)}")
    return status


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidValue(f"{what} {value!r} must be one of {', '.join(allowed)}")
    return value


class _Writer:
    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    def _append(self, run: RunId, filename: str, entry: dict[str, Any], what: str) -> None:
        change = RunChange(run, create=False, appends={filename: [records.clean(entry)]})
        self.runs.apply([change], f"{what} in {run.ref}", {"Contexta-Run": run.ref})


class ProjectStore(_Writer):
    def put_project(self, project: contract.Project) -> None:
        name = project_of(project.project_ref)
        if project.name != name:
            raise InvalidValue(f"project name {project.name!r} does not match {project.project_ref!r}")
        doc = {"name": name, "description": project.description,
               "created_at": normalize(project.created_at), "tags": dict(project.tags) or None}
        path = f"{project_path(name)}/project.toml"
        self.runs.store.commit(
            lambda view: {path: records.merge_header(view.read(path), doc)},
            f"put project {name}")


class RunStore(_Writer):
    def put_run(self, run: contract.Run) -> None:
        rid = RunId.parse(run.run_ref)
        if rid.project != project_of(run.project_ref) or rid.name != run.name:
            raise InvalidValue(f"run {run.run_ref!r} does not match its project_ref and name")
        header = {"status": _status(run.status, "run"), "started_at": normalize(run.started_at),
                  "ended_at": normalize(run.ended_at), "notes": run.description,
                  "params": redact(run.params), "tags": redact(run.tags)}
        self.runs.apply([RunChange(rid, header=records.clean(header))], f"put {rid.ref}",
                        {"Contexta-Run": rid.ref})


class StageStore(_Writer):
    def put_stage_execution(self, stage: contract.StageExecution) -> None:
        rid = RunId.parse(stage.run_ref)
        name = check_stage(after(stage.stage_execution_ref, "stage", rid))
        if name != stage.stage_name:
            raise InvalidValue(f"stage {stage.stage_execution_ref!r} is not named {stage.stage_name!r}")
        entry = {"name": name, "status": _status(stage.status, "stage"),
                 "started_at": normalize(stage.started_at),
                 "ended_at": normalize(stage.ended_at), "order": stage.order_index}
        self.runs.apply([RunChange(rid, create=False, stages=[records.clean(entry)])],
                        f"put stage {name} of {rid.ref}", {"Contexta-Run": rid.ref})


def _stage_name(ref: str | None, run: RunId) -> str | None:
    return check_stage(after(ref, "stage", run)) if ref else None


def _batch_id(ref: str | None, run: RunId, stage: str | None) -> str | None:
    """``stage.batch`` of a batch reference, which must extend ``stage``."""
    if not ref:
        return None
    found = after(ref, "batch", run)
    if stage is None or not found.startswith(f"{stage}.") or found.count(".") != 1:
        raise InvalidValue(f"batch reference {ref!r} must be its stage's reference plus one name")
    check_stage(found.partition(".")[2])
    return found


def _sample_id(ref: str | None, run: RunId, stage: str | None, batch: str | None) -> str | None:
    if not ref:
        return None
    found = after(ref, "sample", run)
    parent = batch or stage
    if parent is None or not found.startswith(f"{parent}.") or "." in found[len(parent) + 1:]:
        raise InvalidValue(f"sample reference {ref!r} must be its batch's (or stage's) reference "
                           "plus one name")
    check_stage(found.rpartition(".")[2])
    return found


class BatchStore(_Writer):
    def put_batch_execution(self, batch: contract.BatchExecution) -> None:
        rid = RunId.parse(batch.run_ref)
        stage = _stage_name(batch.stage_execution_ref, rid)
        found = _batch_id(batch.batch_execution_ref, rid, stage)
        if found is None or found.partition(".")[2] != batch.batch_name:
            raise InvalidValue(f"batch {batch.batch_execution_ref!r} is not named {batch.batch_name!r}")
        self._append(rid, "batches.toml", {
            "id": found, "stage": stage, "name": batch.batch_name,
            "status": _status(batch.status, "batch"), "started_at": normalize(batch.started_at),
            "ended_at": normalize(batch.ended_at), "order": batch.order_index},
            f"put batch {found}")


class SampleStore(_Writer):
    def put_sample_observation(self, sample: contract.SampleObservation) -> None:
        rid = RunId.parse(sample.run_ref)
        stage = _stage_name(sample.stage_execution_ref, rid)
        batch = _batch_id(sample.batch_execution_ref, rid, stage)
        found = _sample_id(sample.sample_observation_ref, rid, stage, batch)
        if found is None or found.rpartition(".")[2] != sample.sample_name:
            raise InvalidValue(f"sample {sample.sample_observation_ref!r} is not named "
                               f"{sample.sample_name!r}")
        self._append(rid, "samples.toml", {
            "id": found, "stage": stage, "batch": batch, "name": sample.sample_name,
            "observed_at": normalize(sample.observed_at),
            "retention_class": sample.retention_class,
            "redaction_profile": sample.redaction_profile}, f"put sample {found}")


class EnvironmentStore(_Writer):
    def put_environment_snapshot(self, snap: contract.EnvironmentSnapshot) -> None:
        rid = RunId.parse(snap.run_ref)
        after(snap.environment_snapshot_ref, "environment", rid)
        env = {"python": {"version": snap.python_version}, "platform": snap.platform,
               "variables": redact(dict(snap.environment_variables)),
               "packages": dict(snap.packages), "origin": "declared",
               "ref": snap.environment_snapshot_ref}
        change = RunChange(rid, create=False, environment=records.dumps(env),
                           header={"environment_captured_at": normalize(snap.captured_at)})
        self.runs.apply([change], f"put environment of {rid.ref}", {"Contexta-Run": rid.ref})


class DeploymentStore(_Writer):
    """Deployments go to the deployment ledger (store/ledgers.py), the one ``deploy``
    writes: ``deployments`` and ``alias`` read them the same way."""

    def put_deployment_execution(self, deployment: contract.DeploymentExecution) -> None:
        project = project_of(deployment.project_ref)
        name = check_deployment(deployment.deployment_name)
        if deployment.deployment_execution_ref != f"deployment:{project}.{name}":
            raise InvalidValue(f"deployment {deployment.deployment_execution_ref!r} must be "
                               f"'deployment:{project}.{name}'")
        run = RunId.parse(deployment.run_ref) if deployment.run_ref else None
        if run is not None and run.project != project:
            raise InvalidValue(f"deployment {name!r} names run {run.ref!r} of another project")
        for ref, kind in ((deployment.artifact_ref, "artifact"),
                          (deployment.environment_snapshot_ref, "environment")):
            if ref and run is not None:
                after(ref, kind, run)
        at = normalize(deployment.started_at)
        # the same deployment written twice is one entry: its id follows from what it says
        digest = hashlib.sha256(repr((name, at, deployment.run_ref, deployment.status)).encode())
        entry = records.clean({
            "id": f"put-{digest.hexdigest()[:16]}", "name": name, "env": name,
            "run": run.ref if run else None, "status": _status(deployment.status, "deployment"),
            "at": at, "ended_at": normalize(deployment.ended_at),
            "order_index": deployment.order_index, "artifact": deployment.artifact_ref,
            "environment_snapshot": deployment.environment_snapshot_ref,
            "reason": "recorded through the upstream Contexta API"})
        try:
            entry["who"] = moves.who(self.runs.store)[0]
        except ContextaError:  # no git identity: the entry says so by leaving who out
            pass
        path = ledgers.deployment_path(project, name)

        def build(view: View) -> dict[str, bytes | None]:
            history = ledgers.read(view, path)
            if run is not None and not view.exists(f"{run.path}/{records.RUN}"):
                raise InvalidValue(f"deployment {name!r} names run {run.ref!r}, which is not recorded")
            if entry["at"] is None:
                raise InvalidValue(f"deployment {name!r} needs started_at")
            previous = ledgers.current(history)
            shown = {**entry, "previous": previous.get("run") if previous else None}
            data = records.append(view.read(path), ledgers.TABLES["deployments"],
                                  [records.clean(shown)], {e["id"] for e in history})
            return {} if data is None else {path: data}  # None: already recorded (not a removal)

        self.runs.store.commit(build, f"put deployment {name} of {project}",
                               {"Contexta-Deployment": name})


class ArtifactStore(_Writer):
    def put_artifact_manifest(self, manifest: contract.ArtifactManifest) -> None:
        rid = RunId.parse(manifest.run_ref)
        key = after(manifest.artifact_ref, "artifact", rid)
        stage = _stage_name(manifest.stage_execution_ref, rid)
        if manifest.size_bytes is not None and manifest.size_bytes < 0:
            raise InvalidValue(f"artifact {manifest.artifact_ref!r}: size_bytes must be >= 0")
        self._append(rid, "artifacts.toml", {
            "id": key, "name": key, "kind": manifest.artifact_kind,
            "path": manifest.location_ref, "sha256": manifest.hash_value,
            "size": manifest.size_bytes, "stage": stage,
            "created_at": normalize(manifest.created_at),
            "attributes": redact(dict(manifest.attributes)) or None,
            "producer": manifest.producer_ref}, f"put artifact {key}")

    put_artifact = put_artifact_manifest


class RelationStore(_Writer):
    def _run_of_endpoint(self, ref: str, view: View) -> RunId | None:
        found = run_of(ref)
        if found is not None:
            return found
        kind, _, value = ref.partition(":")
        if kind == "deployment" and "." in value:  # a deployment's run, from its ledger
            project, _, name = value.partition(".")
            try:
                move = ledgers.current(ledgers.read(view, ledgers.deployment_path(project, name)))
            except (InvalidName, ContextaError):
                return None
            return RunId.parse(move["run"]) if move and move.get("run") else None
        return None

    def put_relation(self, edge: contract.LineageEdge) -> None:
        _choice(edge.relation_type, contract.RELATION_TYPES, "relation_type")
        if edge.source_ref == edge.target_ref:
            raise InvalidValue(f"relation {edge.relation_ref!r} links {edge.source_ref!r} to itself")
        view = self.runs.view()
        run = self._run_of_endpoint(edge.source_ref, view) or self._run_of_endpoint(
            edge.target_ref, view)
        if run is None:
            raise InvalidValue(f"relation {edge.relation_ref!r} touches no recorded run "
                               "(neither end is a run, stage, artifact, record or deployment)")
        self._append(run, "relations.toml", {
            "id": edge.relation_ref, "type": edge.relation_type, "source": edge.source_ref,
            "target": edge.target_ref, "recorded_at": normalize(edge.recorded_at),
            "origin": edge.origin_marker, "confidence": edge.confidence_marker,
            "operation": edge.operation_context_ref,
            "evidence": list(edge.evidence_refs) or None}, f"put relation {edge.relation_ref}")

    put_lineage_edge = put_relation

    def put_provenance(self, record: contract.ProvenanceRecord) -> None:
        view = self.runs.view()
        holder = next((rid for rid in self.runs.ids(view=view) if any(
            row.get("id") == record.relation_ref for row in records.loads(
                view.read(f"{rid.path}/relations.toml")).get("relations", []))), None)
        if holder is None:
            raise InvalidValue(f"provenance {record.provenance_ref!r} names relation "
                               f"{record.relation_ref!r}, which is not recorded")
        self._append(holder, "provenance.toml", {
            "id": record.provenance_ref, "relation": record.relation_ref,
            "assertion_mode": record.assertion_mode, "asserted_at": normalize(record.asserted_at),
            "formation_context": record.formation_context_ref, "policy": record.policy_ref,
            "evidence_bundle": record.evidence_bundle_ref},
            f"put provenance {record.provenance_ref}")

    put_provenance_record = put_provenance


class MetadataStore:
    def __init__(self, runs: Runs) -> None:
        self.projects = ProjectStore(runs)
        self.runs = RunStore(runs)
        self.stages = StageStore(runs)
        self.batches = BatchStore(runs)
        self.samples = SampleStore(runs)
        self.environments = EnvironmentStore(runs)
        self.deployments = DeploymentStore(runs)
        self.artifacts = ArtifactStore(runs)
        self.relations = RelationStore(runs)
        self.provenance = self.relations

    def close(self) -> None:
        """Nothing is buffered: every put is already a commit."""


AnyRecord = (contract.MetricRecord | contract.StructuredEventRecord | contract.DegradedRecord
             | contract.TraceSpanRecord)


class RecordStore(_Writer):
    def append(self, record: AnyRecord) -> None:
        env = record.envelope
        rid = RunId.parse(env.run_ref)
        stage = _stage_name(env.stage_execution_ref, rid)
        batch = _batch_id(env.batch_execution_ref, rid, stage)
        entry: dict[str, Any] = {"id": after(env.record_ref, "record", rid),
                                 "observed_at": normalize(env.observed_at), "stage": stage,
                                 "batch": batch,
                                 "sample": _sample_id(env.sample_observation_ref, rid, stage, batch)}
        if isinstance(record, contract.MetricRecord):
            m = record.payload
            entry |= {"key": check_key(m.metric_key), "value": records.check_number(
                m.metric_key, m.value), "step": m.step, "unit": m.unit,
                "scope": m.aggregation_scope}
            filename, key = "metrics.toml", m.metric_key
        elif isinstance(record, contract.StructuredEventRecord):
            p = record.payload
            entry |= {"key": check_key(p.event_key, "event"), "level": p.level,
                      "message": redact_value(p.message), "attributes": redact(dict(p.attributes))}
            filename, key = "events.toml", p.event_key
        elif isinstance(record, contract.DegradedRecord):
            d = record.payload
            entry |= {"key": check_key(d.issue_key, "issue"),
                      "category": _choice(d.category, contract.DEGRADED_CATEGORIES, "category"),
                      "severity": _choice(d.severity, SEVERITIES, "severity"),
                      "summary": redact_value(d.summary),
                      "marker": _choice(env.degradation_marker, contract.DEGRADATION_MARKERS,
                                        "a degraded record's degradation_marker"),
                      "completeness": env.completeness_marker, "origin": d.origin_marker,
                      "attributes": redact(dict(d.attributes)) or None}
            filename, key = "degraded.toml", d.issue_key
        elif isinstance(record, contract.TraceSpanRecord):
            s = record.payload
            entry |= {"name": check_key(s.span_name, "span"), "trace_id": s.trace_id,
                      "span_id": s.span_id, "parent_span_id": s.parent_span_id,
                      "started_at": normalize(s.started_at), "ended_at": normalize(s.ended_at),
                      "status": s.status, "kind": s.span_kind,
                      "attributes": redact(dict(s.attributes)) or None}
            filename, key = "spans.toml", s.span_name
        else:
            raise InvalidValue(f"cannot append a {type(record).__name__}")
        self._append(rid, filename, entry, f"append {filename.removesuffix('.toml')} {key}")

    def close(self) -> None:
        """Nothing is buffered: every append is already a commit."""
