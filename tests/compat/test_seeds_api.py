"""The seeds' write API under contexta_git: Contexta, metadata and record stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig
from contexta_git.contract import (
    EnvironmentSnapshot, MetricPayload, MetricRecord, Project, RecordEnvelope, Run,
    StageExecution, StructuredEventPayload, StructuredEventRecord,
)
from contexta_git.errors import ContextaError
from contexta_git.core.names import RunId

from tests.conftest import git

P = "fraud"


def envelope(rid: str, stage: str | None = "evaluate") -> RecordEnvelope:
    return RecordEnvelope(record_ref=f"record:{P}.r1.{rid}", record_type="metric",
                          recorded_at="2025-04-08T15:00:00Z", observed_at="2025-04-08T15:00:00Z",
                          producer_ref="test", run_ref=f"run:{P}.r1",
                          stage_execution_ref=f"stage:{P}.r1.{stage}" if stage else None)


def write_run(ctx: Contexta) -> None:
    store = ctx.metadata_store
    store.projects.put_project(Project(project_ref=f"project:{P}", name=P,
                                       created_at="2025-03-01T00:00:00Z", description="d"))
    store.runs.put_run(Run(run_ref=f"run:{P}.r1", project_ref=f"project:{P}", name="r1",
                           status="completed", started_at="2025-04-08T09:00:00Z",
                           ended_at="2025-04-08T15:00:00Z"))
    store.stages.put_stage_execution(StageExecution(
        stage_execution_ref=f"stage:{P}.r1.evaluate", run_ref=f"run:{P}.r1", stage_name="evaluate",
        status="completed", order_index=1))
    ctx.record_store.append(MetricRecord(envelope=envelope("r00001"), payload=MetricPayload(
        metric_key="auc", value=0.961, value_type="float64")))
    ctx.record_store.append(StructuredEventRecord(envelope=envelope("r00002", None),
                                                  payload=StructuredEventPayload(
        event_key="training.dataset-registered", level="info", message="v3",
        attributes={"dataset_version": "v3", "record_count": 2_400_000})))
    store.environments.put_environment_snapshot(EnvironmentSnapshot(
        environment_snapshot_ref=f"environment:{P}.r1.snap", run_ref=f"run:{P}.r1",
        captured_at="2025-04-08T09:00:00Z", python_version="3.11.8", platform="linux",
        packages={"numpy": "1.26.4", "scikit-learn": "1.4.0"}, environment_variables={}))
    store.close()


def test_missing_root_path_gets_a_new_repository(tmp_path: Path) -> None:
    root = tmp_path / ".contexta"
    ctx = Contexta(config=UnifiedConfig(project_name=P, workspace=WorkspaceConfig(root_path=root)))
    write_run(ctx)
    assert (root / ".git").is_dir()
    data = ctx.runs.get(RunId(P, "r1"))
    assert data.started_at == "2025-04-08T09:00:00.000000Z" and data.status == "completed"
    assert [(m.key, m.value, m.stage, m.id) for m in data.metrics] == [
        ("auc", 0.961, "evaluate", "r00001")]
    assert data.events[0].attributes == {"dataset_version": "v3", "record_count": 2400000}
    assert data.packages == {"numpy": "1.26.4", "scikit-learn": "1.4.0"}
    assert data.environment["python"]["version"] == "3.11.8" and data.lockfile is None
    git(root, "fsck", "--strict")


def test_existing_repository_is_used_and_head_untouched(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").stdout
    sub = repo / "sub"
    sub.mkdir()
    ctx = Contexta(config=UnifiedConfig(project_name=P, workspace=WorkspaceConfig(root_path=sub)))
    write_run(ctx)
    assert not (sub / ".git").exists()
    assert git(repo, "rev-parse", "HEAD").stdout == head
    assert git(repo, "status", "--porcelain").stdout == ""  # an empty folder is not a change
    assert git(repo, "show", f"contexta/runs:projects/{P}/project.toml").stdout.startswith(
        'name = "fraud"')


def test_rerunning_a_seed_script_is_idempotent(tmp_path: Path) -> None:
    config = UnifiedConfig(project_name=P, workspace=WorkspaceConfig(root_path=tmp_path / "w"))
    write_run(Contexta(config=config))
    write_run(Contexta(config=config))
    data = Contexta(config=config).runs.get(RunId(P, "r1"))
    assert len(data.metrics) == 1 and len(data.events) == 1


def test_mismatched_references_are_refused(tmp_path: Path) -> None:
    ctx = Contexta(config=UnifiedConfig(project_name=P,
                                        workspace=WorkspaceConfig(root_path=tmp_path / "w")))
    with pytest.raises(ContextaError, match="does not match its project_ref and name"):
        ctx.metadata_store.runs.put_run(Run(run_ref=f"run:{P}.r1", project_ref="project:other",
                                            name="r1"))
    with pytest.raises(ContextaError, match="no run 'run:fraud.r1'"):
        ctx.record_store.append(MetricRecord(envelope=envelope("r1"), payload=MetricPayload(
            metric_key="auc", value=0.9)))
    with pytest.raises(ContextaError, match="record reference 'record:x.y.z' must start with"):
        ctx.record_store.append(MetricRecord(
            envelope=RecordEnvelope(record_ref="record:x.y.z", record_type="metric",
                                    recorded_at="", observed_at="", producer_ref="",
                                    run_ref=f"run:{P}.r1"),
            payload=MetricPayload(metric_key="auc", value=0.9)))


def test_the_package_exports_every_public_name_it_lists() -> None:
    import contexta_git

    assert set(contexta_git.__all__) == {*contexta_git._EXPORTS, "__version__"}
    for name in contexta_git.__all__:
        assert getattr(contexta_git, name) is not None
