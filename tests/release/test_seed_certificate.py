"""Seed 000 end to end: Tom's records through the seeds' API, certified and verified."""

from __future__ import annotations

from pathlib import Path

from contexta_git import Contexta
from contexta_git.release.certify import certify
from contexta_git.config import UnifiedConfig, WorkspaceConfig
from contexta_git.contract import (
    EnvironmentSnapshot,
    MetricPayload,
    MetricRecord,
    Project,
    RecordEnvelope,
    Run,
    StageExecution,
    StructuredEventPayload,
    StructuredEventRecord,
)
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs
from contexta_git.release.verify import verify

from tests.release.certs import ssh_key, use_ssh
from tests.conftest import git
from tests.release.test_gate import SEED_METRICS, SEED_POLICY, invoke, write

P = "fraud-detection-financebank"
RUN = f"run:{P}.fraud-model-v2-1"


def seed(repo: Path) -> None:
    ctx = Contexta(config=UnifiedConfig(project_name=P, workspace=WorkspaceConfig(root_path=repo)))
    store = ctx.metadata_store
    store.projects.put_project(Project(project_ref=f"project:{P}", name=P))
    store.runs.put_run(Run(run_ref=RUN, project_ref=f"project:{P}", name="fraud-model-v2-1",
                           started_at="2025-04-08T09:00:00Z", ended_at="2025-04-08T15:00:00Z"))
    stage = f"stage:{P}.fraud-model-v2-1.evaluate"
    store.stages.put_stage_execution(StageExecution(stage_execution_ref=stage, run_ref=RUN,
                                                    stage_name="evaluate"))
    for i, (key, value) in enumerate(SEED_METRICS.items()):
        env = RecordEnvelope(record_ref=f"record:{P}.fraud-model-v2-1.r{i:05d}",
                             record_type="metric", recorded_at="2025-04-08T15:00:00Z",
                             observed_at="2025-04-08T15:00:00Z", producer_ref="case12",
                             run_ref=RUN, stage_execution_ref=stage)
        ctx.record_store.append(MetricRecord(envelope=env,
                                             payload=MetricPayload(metric_key=key, value=value)))
    env = RecordEnvelope(record_ref=f"record:{P}.fraud-model-v2-1.r00099", record_type="event",
                         recorded_at="2025-04-08T09:00:00Z", observed_at="2025-04-08T09:00:00Z",
                         producer_ref="case12", run_ref=RUN)
    ctx.record_store.append(StructuredEventRecord(envelope=env, payload=StructuredEventPayload(
        event_key="training.dataset-registered", message="Training dataset version: fraud-2025q1-v3",
        attributes={"dataset_version": "fraud-2025q1-v3", "record_count": 2_400_000})))
    store.environments.put_environment_snapshot(EnvironmentSnapshot(
        environment_snapshot_ref=f"environment:{P}.fraud-model-v2-1.snap", run_ref=RUN,
        python_version="3.11.8", platform="linux",
        packages={"scikit-learn": "1.4.0", "xgboost": "2.0.3", "numpy": "1.26.4"}))
    store.close()


def test_seed_000_through_api_and_cli(repo: Path, tmp_path: Path) -> None:
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    seed(repo)
    runs = Runs.open(repo)
    done = certify(runs, RUN, parse_policy(SEED_POLICY), client="FinanceBank Corp",
                   model="FraudShield v2.1", cert_id="fraudshield-2.1-api")
    doc = done.document
    assert doc["decision"] == "PASS"
    assert doc["datasets"][0]["version"] == "fraud-2025q1-v3"
    assert doc["environment"]["python"] == "3.11.8"
    assert doc["environment"]["key_packages"] == {"numpy": "1.26.4", "scikit-learn": "1.4.0",
                                                  "xgboost": "2.0.3"}
    assert [c["status"] for c in doc["checks"]] == ["PASS"] * 5
    code, out, err = invoke(repo, "certify", RUN, "--policy", str(write(tmp_path, SEED_POLICY)),
                            "--client", "FinanceBank Corp", "--model", "FraudShield v2.1",
                            "--id", "fraudshield-2.1-cli")
    assert code == 0, err
    code, out, _ = invoke(repo, "verify", "--all")
    assert code == 0 and out.count("VALID contexta/cert/fraudshield-2.1-") == 2
    for cert in ("fraudshield-2.1-api", "fraudshield-2.1-cli"):
        git(repo, "tag", "-v", f"contexta/cert/{cert}")
        assert verify(runs, cert).ok
