"""Upstream Contexta's API under contexta_git: the record kinds it adds (batches,
samples, degraded records, spans, artifacts, relations, provenance, deployments), the
analyses on the facade, the capture API, and how much of upstream's facade exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git import Contexta
from contexta_git.compat.interpret import AlertRule
from contexta_git.config import UnifiedConfig, WorkspaceConfig
from contexta_git.contract import (
    ArtifactManifest, BatchExecution, DegradedPayload, DegradedRecord, DeploymentExecution,
    LineageEdge, MetricPayload, MetricRecord, Project, ProvenanceRecord, RecordEnvelope, Run,
    SampleObservation, StageExecution, TraceSpanPayload, TraceSpanRecord,
)
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.share.sync import pull, push
from contexta_git.store.runs import Runs

from tests.conftest import git, two_clones

P = "shop"
#: every public name of upstream's facade (src/contexta/api/client.py at ffb4496)
UPSTREAM_FACADE = """
workspace profile config open project_name session sinks run current_run current_stage
current_deployment current_operation current_sample deployment event emit_events metric
emit_metrics span emit_spans register_artifact register_artifacts metadata_store record_store
artifact_store repository query_service compare_service diagnostics_service lineage_service
trend_service alert_service provenance_service report_builder notebook list_projects list_runs
list_deployments list_batches list_samples get_run_snapshot get_provenance get_artifact_origin
compare_runs compare_multiple_runs compare_report_documents select_best_run diagnose_run
traverse_lineage get_metric_trend get_step_series get_stage_duration_trend
get_artifact_size_trend evaluate_alerts evaluate_alerts_fleet audit_reproducibility
compare_environments build_snapshot_report build_run_report build_project_summary_report
build_trend_report build_alert_report build_multi_run_report
""".split()
#: not offered: upstream's service objects, its batch capture forms and its sinks' pieces
MISSING = {"current_deployment", "current_operation", "current_sample", "emit_events",
           "emit_metrics", "span", "emit_spans", "register_artifacts", "artifact_store",
           "repository", "query_service", "compare_service", "diagnostics_service",
           "lineage_service", "trend_service", "alert_service", "provenance_service",
           "report_builder", "notebook"}


def test_dir_covers_upstream_facade(tmp_path: Path) -> None:
    """63 public names on upstream's facade (its client.py); 44 exist here."""
    assert len(UPSTREAM_FACADE) == len(set(UPSTREAM_FACADE)) == 63
    present = set(UPSTREAM_FACADE) & set(dir(ctx_at(tmp_path)))
    assert set(UPSTREAM_FACADE) - present == MISSING
    assert len(present) == 44


def ctx_at(tmp_path: Path, project: str = P) -> Contexta:
    return Contexta(config=UnifiedConfig(project, WorkspaceConfig(tmp_path / "ws")))


def env(run: str, rid: str, kind: str = "metric", stage: str | None = "train", **refs: str) -> RecordEnvelope:
    return RecordEnvelope(record_ref=f"record:{P}.{run}.{rid}", record_type=kind,
                          recorded_at="2025-05-01T10:00:00Z", observed_at="2025-05-01T10:00:00Z",
                          producer_ref="test", run_ref=f"run:{P}.{run}",
                          stage_execution_ref=f"stage:{P}.{run}.{stage}" if stage else None,
                          degradation_marker="capture_gap" if kind == "degraded" else "none",
                          **refs)


def seed(ctx: Contexta, run: str = "r1", day: str = "01", auc: float = 0.9,
         seconds: int = 30) -> None:
    store = ctx.metadata_store
    store.projects.put_project(Project(project_ref=f"project:{P}", name=P))
    store.runs.put_run(Run(run_ref=f"run:{P}.{run}", project_ref=f"project:{P}", name=run,
                           started_at=f"2025-05-{day}T09:00:00Z", ended_at=f"2025-05-{day}T11:00:00Z",
                           tags={"team": "ranking" if run != "r3" else "other"}))
    store.stages.put_stage_execution(StageExecution(
        stage_execution_ref=f"stage:{P}.{run}.train", run_ref=f"run:{P}.{run}",
        stage_name="train", started_at=f"2025-05-{day}T09:00:00Z",
        ended_at=f"2025-05-{day}T09:00:{seconds:02d}Z"))
    ctx.record_store.append(MetricRecord(envelope=env(run, "m1"), payload=MetricPayload(
        metric_key="auc", value=auc)))


def test_every_record_kind_is_toml_in_the_run_folder(tmp_path: Path) -> None:
    ctx = ctx_at(tmp_path)
    seed(ctx)
    store = ctx.metadata_store
    batch = f"batch:{P}.r1.train.b1"
    store.batches.put_batch_execution(BatchExecution(
        batch_execution_ref=batch, run_ref=f"run:{P}.r1", stage_execution_ref=f"stage:{P}.r1.train",
        batch_name="b1", status="failed", started_at="2025-05-01T09:00:00Z",
        ended_at="2025-05-01T09:00:10Z"))
    sample = f"sample:{P}.r1.train.b1.s1"
    store.samples.put_sample_observation(SampleObservation(
        sample_observation_ref=sample, run_ref=f"run:{P}.r1",
        stage_execution_ref=f"stage:{P}.r1.train", batch_execution_ref=batch, sample_name="s1",
        observed_at="2025-05-01T09:00:05Z"))
    ctx.record_store.append(MetricRecord(envelope=env("r1", "m2", batch_execution_ref=batch,
                                                      sample_observation_ref=sample),
                                         payload=MetricPayload(metric_key="score", value=0.2)))
    ctx.record_store.append(DegradedRecord(envelope=env("r1", "d1", "degraded"), payload=DegradedPayload(
        issue_key="train.rows_dropped", category="capture", severity="error", summary="dropped",
        attributes={"rows": 0})))
    ctx.record_store.append(TraceSpanRecord(envelope=env("r1", "t1", "span"), payload=TraceSpanPayload(
        span_id="s", trace_id="t", span_name="fit", started_at="2025-05-01T09:00:00Z",
        ended_at="2025-05-01T09:00:02Z")))
    store.artifacts.put_artifact_manifest(ArtifactManifest(
        artifact_ref=f"artifact:{P}.r1.model", artifact_kind="model_bundle",
        created_at="2025-05-01T11:00:00Z", producer_ref="test", run_ref=f"run:{P}.r1",
        location_ref="s3://bucket/model.pkl", hash_value="ab" * 32, size_bytes=1234))
    store.relations.put_relation(LineageEdge(
        relation_ref="relation:shop.r1.model-from-run", relation_type="generated_from",
        source_ref=f"artifact:{P}.r1.model", target_ref=f"run:{P}.r1",
        recorded_at="2025-05-01T11:00:00Z"))
    store.relations.put_provenance(ProvenanceRecord(
        provenance_ref="provenance:shop.r1.p1", relation_ref="relation:shop.r1.model-from-run",
        assertion_mode="explicit", asserted_at="2025-05-01T11:00:00Z",
        formation_context_ref="commit:abc"))
    repo = tmp_path / "ws"
    files = git(repo, "ls-tree", "--name-only", "-r", "contexta/runs").stdout.split()
    folder = next(f.rpartition("/")[0] for f in files if f.endswith("/run.toml"))
    for name in ("batches", "samples", "degraded", "spans", "artifacts", "relations",
                 "provenance", "metrics"):
        assert f"{folder}/{name}.toml" in files
    git(repo, "fsck", "--strict")

    snap = ctx.get_run_snapshot("r1")
    assert [(b.batch_id, b.status) for b in snap.batches] == [(batch, "failed")]
    assert [s.sample_id for s in ctx.list_samples("r1", batch_id="b1")] == [sample]
    score = next(r for r in snap.records if r.key == "score")
    assert (score.batch_id, score.sample_id, score.stage_id) == (batch, sample, f"stage:{P}.r1.train")
    degraded = next(r for r in snap.records if r.record_type == "degraded")
    assert degraded.payload["attributes"] == {"rows": 0} and degraded.message == "dropped"
    assert snap.artifacts[0].size_bytes == 1234 and snap.artifacts[0].kind == "model_bundle"
    assert ctx.get_provenance("r1").formation_context_ref == "commit:abc"
    assert ctx.get_artifact_origin(f"artifact:{P}.r1.model").run_id == f"run:{P}.r1"
    assert ctx.get_artifact_origin(f"artifact:{P}.r1.nothing") is None

    issues = [(i.severity, i.code) for i in ctx.diagnose_run("r1").issues]
    assert issues == [("warning", "degraded_record"), ("error", "failed_batch"),
                      ("info", "missing_expected_stage"), ("info", "missing_expected_stage")]
    lineage = ctx.traverse_lineage(f"artifact:{P}.r1.model")
    assert [(e.target_ref, e.direction, e.provenance.provenance_ref) for e in lineage.edges] == [
        (f"run:{P}.r1", "outbound", "provenance:shop.r1.p1")]
    assert ctx.traverse_lineage(f"run:{P}.r1", direction="outbound").edges == ()
    assert ctx.traverse_lineage(f"artifact:{P}.r1.model", max_depth=0).visited_refs == (
        f"artifact:{P}.r1.model",)

    # written again: nothing new (the seed scripts can run twice)
    head = git(repo, "rev-parse", "contexta/runs").stdout
    ctx.record_store.append(DegradedRecord(envelope=env("r1", "d1", "degraded"),
                                           payload=DegradedPayload(
        issue_key="train.rows_dropped", category="capture", severity="error",
        summary="dropped", attributes={"rows": 0})))
    assert git(repo, "rev-parse", "contexta/runs").stdout == head
    assert len(ctx.get_run_snapshot("r1").records) == len(snap.records)


@pytest.mark.parametrize(("make", "problem"), [
    (lambda: BatchExecution(batch_execution_ref=f"batch:{P}.r1.eval.b1", run_ref=f"run:{P}.r1",
                            stage_execution_ref=f"stage:{P}.r1.train", batch_name="b1"),
     "must be its stage's reference plus one name"),
    (lambda: DegradedRecord(envelope=env("r1", "d9", "degraded"), payload=DegradedPayload(
        issue_key="x", category="weather", severity="error", summary="s")),
     "category 'weather' must be one of"),
    (lambda: DegradedRecord(envelope=env("r1", "d9", "metric"), payload=DegradedPayload(
        issue_key="x", category="capture", severity="error", summary="s")),
     "degradation_marker 'none' must be one of"),
    (lambda: LineageEdge(relation_ref="relation:x", relation_type="generated_from",
                         source_ref="dataset:x", target_ref="model:y",
                         recorded_at="2025-05-01T00:00:00Z"), "touches no recorded run"),
    (lambda: ProvenanceRecord(provenance_ref="provenance:p", relation_ref="relation:none",
                              assertion_mode="explicit", asserted_at="2025-05-01T00:00:00Z"),
     "which is not recorded"),
    (lambda: DeploymentExecution(deployment_execution_ref=f"deployment:{P}.other",
                                 project_ref=f"project:{P}", deployment_name="prod",
                                 started_at="2025-05-01T00:00:00Z", run_ref=f"run:{P}.r1"),
     f"must be 'deployment:{P}.prod'"),
    (lambda: DeploymentExecution(deployment_execution_ref=f"deployment:{P}.prod",
                                 project_ref=f"project:{P}", deployment_name="prod",
                                 started_at="2025-05-01T00:00:00Z", run_ref=f"run:{P}.gone"),
     "which is not recorded"),
])
def test_bad_records_are_refused_and_nothing_written(tmp_path: Path, make, problem: str) -> None:
    ctx = ctx_at(tmp_path)
    seed(ctx)
    head = git(tmp_path / "ws", "rev-parse", "contexta/runs").stdout
    model = make()
    put = {BatchExecution: ctx.metadata_store.batches.put_batch_execution,
           DegradedRecord: ctx.record_store.append,
           LineageEdge: ctx.metadata_store.relations.put_relation,
           ProvenanceRecord: ctx.metadata_store.relations.put_provenance,
           DeploymentExecution: ctx.metadata_store.deployments.put_deployment_execution}
    with pytest.raises(InvalidValue, match=problem):
        put[type(model)](model)
    assert git(tmp_path / "ws", "rev-parse", "contexta/runs").stdout == head


def test_deployments_share_the_ledger_and_are_lineage_edges(tmp_path: Path) -> None:
    ctx = ctx_at(tmp_path)
    seed(ctx, "r1")
    seed(ctx, "r2", "02", 0.95)
    for run, day in (("r1", "01"), ("r2", "03"), ("r2", "03")):  # the last one again: a no-op
        ctx.metadata_store.deployments.put_deployment_execution(DeploymentExecution(
            deployment_execution_ref=f"deployment:{P}.prod", project_ref=f"project:{P}",
            deployment_name="prod", started_at=f"2025-05-{day}T12:00:00Z",
            run_ref=f"run:{P}.{run}"))
    listed = ctx.list_deployments()
    assert [(d.run_id, d.order, d.metadata["previous"] if "previous" in d.metadata else None)
            for d in listed] == [(f"run:{P}.r1", 0, None), (f"run:{P}.r2", 1, f"run:{P}.r1")]
    assert [d.run_id for d in ctx.list_deployments(run_id="r1")] == [f"run:{P}.r1"]
    from contexta_git import deployments
    assert [e["run"] for e in deployments(ctx.runs, P)] == [f"run:{P}.r1", f"run:{P}.r2"]
    lineage = ctx.traverse_lineage(f"run:{P}.r2")  # depth 2: the deployment, then its runs
    assert [(e.target_ref, e.relation_type, e.direction, e.depth) for e in lineage.edges] == [
        (f"run:{P}.r2", "deployed_from", "inbound", 1),
        (f"run:{P}.r1", "deployed_from", "outbound", 2)]
    assert lineage.visited_refs == (f"run:{P}.r2", f"deployment:{P}.prod", f"run:{P}.r1")
    assert len(ctx.traverse_lineage("r2", max_depth=1).edges) == 1


def test_new_record_kinds_merge_as_a_union(tmp_path: Path) -> None:
    a, b = two_clones(tmp_path)
    ctx_a = Contexta(config=UnifiedConfig(P, WorkspaceConfig(a)))
    seed(ctx_a)
    push(Runs.open(a))
    pull(Runs.open(b))
    ctx_b = Contexta(config=UnifiedConfig(P, WorkspaceConfig(b)))
    for ctx, rid in ((ctx_a, "da"), (ctx_b, "db")):
        ctx.record_store.append(DegradedRecord(envelope=env("r1", rid, "degraded"),
                                               payload=DegradedPayload(
            issue_key=f"train.{rid}", category="capture", severity="warning", summary=rid)))
    push(Runs.open(a))
    pull(Runs.open(b))
    keys = sorted(r.key for r in ctx_b.get_run_snapshot("r1").records if r.record_type == "degraded")
    assert keys == ["train.da", "train.db"]


def test_analyses_trends_alerts_and_reports(tmp_path: Path) -> None:
    ctx = ctx_at(tmp_path)
    for run, day, auc, seconds in (("r1", "01", 0.90, 30), ("r2", "02", 0.95, 40),
                                   ("r3", "03", 0.85, 50)):
        seed(ctx, run, day, auc, seconds)
    trend = ctx.get_metric_trend("auc")
    assert trend.values == (0.90, 0.95, 0.85)
    assert ctx.get_metric_trend("auc", limit=2).values == (0.95, 0.85)
    assert ctx.get_metric_trend("auc", stage_name="evaluate").notes[0].startswith(
        "missing_metric_for_run:auc")
    assert [p.duration_seconds for p in ctx.get_stage_duration_trend("train").points] == [30, 40, 50]

    multi = ctx.compare_multiple_runs(["r1", "r2", "r3"])
    assert multi.metric_table[0].values == (0.90, 0.95, 0.85)
    assert multi.metric_table[0].best_run_id == f"run:{P}.r2"
    lower = ctx.compare_multiple_runs(["r1", "r3"], higher_is_better=False)
    assert lower.metric_table[0].best_run_id == f"run:{P}.r3"
    with pytest.raises(InvalidValue, match="at least two distinct runs"):
        ctx.compare_multiple_runs(["r1", f"run:{P}.r1"])

    rules = [AlertRule("auc", "lt", 0.9, stage_name="train", severity="error"),
             AlertRule("loss", "gt", 1.0)]
    results = ctx.evaluate_alerts("r3", rules)
    assert [(r.rule_name, r.triggered, r.actual_value) for r in results] == [
        ("auc@train:lt:0.9", True, 0.85), ("loss:gt:1.0", False, None)]
    assert results[1].completeness_notes == ("alert_metric_missing:loss",)
    fleet = ctx.evaluate_alerts_fleet(rules[:1])
    assert [r.triggered for r in fleet.results] == [False, False, True]
    with pytest.raises(InvalidValue, match="operator"):
        AlertRule("auc", "above", 0.9)

    cmp = ctx.compare_runs("r1", "r3")
    delta = cmp.stage_comparisons[0].metric_deltas[0]
    assert (delta.left_value, delta.right_value, delta.stage_name) == (0.90, 0.85, "train")
    assert delta.change_ratio == pytest.approx(-0.05 / 0.90)

    left, right = ctx.build_run_report("r1", "r2"), ctx.build_run_report("r1", "r3")
    assert left.title == f"Run Comparison Report: run:{P}.r1 vs run:{P}.r2"
    diff = ctx.compare_report_documents(left, right)
    assert [d.section_title for d in diff.section_diffs if d.changed] == [
        "Summary", "Metric Deltas"]
    assert diff.completeness_notes == ()
    assert ctx.build_multi_run_report(["r1", "r2"]).title == "Multi Run Report: 2 runs"
    assert ctx.build_project_summary_report().sections[0].body[0].startswith(f"run:{P}.r1:")
    assert ctx.build_trend_report("auc").sections[0].body == (
        f"run:{P}.r1: 0.9", f"run:{P}.r2: 0.95", f"run:{P}.r3: 0.85")
    alert = ctx.build_alert_report("r3", rules)
    assert alert.sections[0].body == ("auc@train:lt:0.9: actual=0.85 severity=error",)
    assert "<h1>Run Comparison Report" in left.to_html() and left.to_csv().startswith("section_title")

    assert [r.name for r in ctx.list_runs(tags={"team": "ranking"})] == ["r1", "r2"]
    assert [r.name for r in ctx.list_runs(time_range=("2025-05-02", "2025-05-03T23:00:00Z"))] == ["r2", "r3"]
    assert [r.name for r in ctx.list_runs(sort_by="started_at", sort_desc=True, limit=2)] == ["r3", "r2"]
    assert [r.name for r in ctx.list_runs(offset=1, limit=1)] == ["r2"]
    assert [r.name for r in ctx.list_runs(sort_by="auc", sort_desc=True)] == ["r2", "r1", "r3"]
    assert ctx.list_projects() == (P,)


def test_capture_api_writes_through_the_recorder(tmp_path: Path) -> None:
    ctx = Contexta(workspace=tmp_path / "ws", project_name="demo")
    assert Contexta.open(workspace=tmp_path / "ws", project_name="demo").project_name == "demo"
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    with ctx.run("My First Run", config_snapshot={"lr": 0.1}, tags={"team": "a"}) as run:
        assert ctx.current_run() is run
        with run.stage("train"):
            assert ctx.current_stage() == "train"
            for step, loss in enumerate((0.9, 0.5, 0.3)):
                ctx.metric("loss", loss, step=step * 10)
            ctx.event("train.done", message="ok")
        run.register_artifact("model_bundle", model)
        with ctx.deployment("prod"):
            pass
    assert ctx.current_run() is None
    snap = ctx.get_run_snapshot("my-first-run")
    assert snap.run.status == "completed" and snap.params == {"lr": 0.1}
    assert [s.name for s in snap.stages] == ["train"]
    series = ctx.get_step_series("my-first-run", "loss", stage_name="train")
    assert [(p.step, p.value) for p in series.points] == [(0, 0.9), (10, 0.5), (20, 0.3)]
    assert snap.artifacts[0].kind == "model_bundle" and snap.artifacts[0].size_bytes == 7
    assert [d.run_id for d in ctx.list_deployments()] == ["run:demo.my-first-run"]
    with pytest.raises(ContextaError, match="no run is open"):
        ctx.metric("loss", 1.0)
    with pytest.raises(ValueError), ctx.run("failing"):
        raise ValueError("boom")
    assert ctx.get_run_snapshot("failing").run.status == "failed"
