"""The seed case studies, run as the seeds say: seed script, then analysis script,
in the same folder. Each must print the facts its seed document promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "case_studies"


def run_pair(folder: Path, seed: str, analysis: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent.parent)}
    for script in (seed, analysis):
        done = subprocess.run([sys.executable, str(EXAMPLES / f"{script}.py")], cwd=folder,
                              env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_case_study_script_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("case*.py")) == sorted(
        [f"{name}.py" for pair in CASES for name in pair] + [f"{n}.py" for n in SINGLE])


SINGLE = ["case01_scattered_experiments", "case03_silent_pipeline_failure",
          "case04_deployment_traceability", "case05_deployment_gate",
          "case06_compliance_audit", "case07_batch_job_monitoring",
          "case09_llm_per_prompt_evaluation", "case10_rag_pipeline_decomposition",
          "case11_project_history_onboarding"]


def run_case(folder: Path, name: str) -> str:
    """One upstream-style case study: seeds its workspace, then analyses it."""
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent.parent)}
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--workspace",
                           str(folder / ".contexta")], cwd=folder, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_case01_best_of_the_completed_runs(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[0])
    assert "Total runs: 8  completed: 6  failed: 2" in out
    ranking = [float(line.split("accuracy=")[1].split()[0]) for line in out.splitlines()
               if line.startswith("  exp-")]
    assert ranking == [0.918, 0.901, 0.897, 0.891, 0.874, 0.863]
    assert "Best run: exp-lr5e-4-bs64-aug  accuracy=0.9180  loss=0.2310" in out
    assert "train/accuracy: -0.0550" in out and "train/loss: +0.1410" in out
    assert "Multi Run Report: 6 runs (4 sections)" in out


def test_case03_degraded_record_caught_the_first_night(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[1])
    day1 = out.split("Day 1 run")[1].split("Day 2 run")[0]
    assert "[WARNING] degraded_record: degraded record detected for " \
           "validate.empty_dataframe_passthrough" in day1
    assert day1.count("[INFO] missing_stage_metrics") == 3
    assert "[INFO] missing_expected_stage: expected terminal stage package is missing" in day1
    assert "Diagnostics issues: 5 total" in day1 and "evaluate=completed" in day1
    assert "Caught on day 1" in out


def test_case04_deployed_suspect_and_its_dataset(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[2])
    assert "prod-deploy-april  run_ref=run:ctr-ranking-model.friday-run-c" in out
    assert "Training dataset version: v2025-03-31" in out
    assert ("deployment:ctr-ranking-model.prod-deploy-april  -->  "
            "run:ctr-ranking-model.friday-run-c  [deployed_from]") in out
    assert "auc          deployed=0.9380  previous=0.9270  delta=-0.0110" in out
    assert "Best offline run:    'friday-run-c'  AUC=0.9380  (the deployed suspect)" in out
    assert "Suspect: friday-run-c trained on dataset v2025-03-31" in out
    assert "'friday-run-b'  dataset v2025-03-28" in out


def test_case05_gate_decisions(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[3])
    summary = out.split("Gate results summary:")[1].split()
    assert summary == ["PASS", "candidate-v2-good", "FAIL", "candidate-v3-no-eval", "FAIL",
                       "candidate-v4-regressed"]
    assert "[NG]  [required_metrics] missing: ['accuracy', 'auc', 'f1']" in out
    assert "accuracy: 0.8930->0.8410 (-5.8%)" in out and "auc: 0.9270->0.8910 (-3.9%)" in out
    assert "f1: 0.8810->0.8590 (-2.5%)" in out


def test_case06_what_changed_between_deployed_versions(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[4])
    assert "Training dataset version: claims-2025q1 (dataset_version=claims-2025q1)" in out
    assert "auc 0.8910, precision 0.8520, recall 0.8410, f1 0.8460" in out
    assert "python 3.11.5, linux, 4 packages; reproducibility partial" in out
    q4 = out.split("Q4")[1].split("Q5")[0]
    assert "python changed: True" in q4
    assert "torch: 1.13.0 -> 2.0.1" in q4 and "xgboost: 1.7.6 -> 2.0.0" in q4
    assert "pandas" not in q4 and q4.count(": up +") == 4


def test_case07_schema_mismatch_flagged_on_night_five(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[5])
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(
        tuple("1234567")) and "etl-night" in line]
    assert [int(r[2]) for r in rows] == [118200, 118400, 118600, 118800, 0, 119200, 119400]
    assert [r[4] for r in rows] == ["0", "0", "0", "0", "1", "0", "0"]
    assert "MISMATCH" in rows[4] and rows[4][3] == "1.0000"
    night5 = out.split("Diagnostics for problem night (night 5):")[1]
    assert "[WARNING] degraded_record" in night5
    assert "stage evaluate is missing" in night5 and "stage package is missing" in night5
    assert "Flagged nights: [5]" in out


def test_case09_failing_prompts_read_back_per_sample(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[6])
    failing = [line.split()[0] for line in out.splitlines() if "FAIL" in line]
    assert failing == ["prompt-07", "prompt-12", "prompt-17"]
    assert "prompt-07      product      0.120" in out
    assert "prompt-12      escalation   0.050" in out and "prompt-17      account      0.190" in out
    assert "Passing (>= 0.3):    17" in out
    assert "Avg relevance:       0.745" in out and "Avg faithfulness:    0.752" in out


def test_case10_retrieval_is_the_root_stage(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[7])
    assert out.index("[retrieve]") < out.index("[rerank]") < out.index("[evaluate]")
    assert "retrieval-precision    0.82 -> 0.55  delta=-0.27" in out
    assert "retrieval-recall       0.79 -> 0.51  delta=-0.28" in out
    assert "Root stage: retrieve" in out
    assert "[WARNING] degraded_record: degraded record detected for " \
           "rag.retrieval_precision_drop" in out


def test_case11_onboarding(tmp_path: Path) -> None:
    out = run_case(tmp_path, SINGLE[8])
    assert "Run inventory: 6 runs" in out
    trend = out.split("AUC trend (evaluate):")[1].split("Deployments:")[0].split()
    assert trend[1::2] == ["0.854", "0.872", "0.889", "0.907", "0.921", "0.933"]
    assert "prod-deploy-v3   -> run:churn-prediction.churn-v3-feb" in out
    assert "Best by auc: run:churn-prediction.churn-v6-apr  accuracy=0.9020  auc=0.9330" in out
    assert "Multi Run Report: 6 runs: Summary, Run IDs, Metric Table, Completeness Notes" in out


def test_case_study_runs_again_without_new_records(tmp_path: Path) -> None:
    run_case(tmp_path, SINGLE[5])
    ctx = Contexta(UnifiedConfig("nightly-etl-feature-engineering",
                                 WorkspaceConfig(tmp_path / ".contexta")))
    out = run_case(tmp_path, SINGLE[5])
    assert "Flagged nights: [5]" in out
    snap = ctx.get_run_snapshot("etl-night-05")
    assert len([r for r in snap.records if r.record_type == "degraded"]) == 1
    assert len(snap.batches) == 1


CASES = [
    ("case02_seed_performance_regression_data", "case02_analyze_performance_regression"),
    ("case08_seed_contamination_data", "case08_analyze_contamination"),
    ("case12_seed_certificate_data", "case12_analyze_certificate"),
]


def test_case02_regression(tmp_path: Path) -> None:
    out = run_pair(tmp_path, *CASES[0])
    assert "train/accuracy: -0.0400" in out
    assert "Python changed: False" in out
    assert "torch: 2.0.0 -> 2.1.0" in out and "numpy: 1.24.0 -> 1.26.4" in out
    assert "scikit-learn" not in out
    assert "Reproducibility: partial" in out and "Packages logged: 5" in out


def test_case08_contamination(tmp_path: Path) -> None:
    out = run_pair(tmp_path, *CASES[1])
    listed = out.split("Runs trained during contamination window:\n")[1].split("\n\n")[0]
    assert listed.split() == ["run-2025-04-03", "run-2025-04-08", "run-2025-04-14",
                              "run-2025-04-21"]
    assert "evaluate/auc: -0.0600" in out  # 0.961 -> 0.901, the latest contaminated run
    assert "False best to quarantine: run:purchase-intent-model.run-2025-04-14" in out
    ctx = Contexta(UnifiedConfig("purchase-intent-model", WorkspaceConfig(tmp_path / ".contexta")))
    assert ctx.get_run_snapshot("run-2025-04-14").run.latest_metrics("evaluate")["auc"] == 0.918
    # beyond the seed: quarantine it, and it is never selected again
    ctx.quarantine(["run-2025-04-14"], "trained on clamped vendor data")
    refs = [r.run_id for r in ctx.list_runs(quarantined=None)][1:]
    assert ctx.select_best_run(refs, "auc", stage_name="evaluate").endswith("run-2025-04-03")


def test_case12_certificate(tmp_path: Path) -> None:
    out = run_pair(tmp_path, *CASES[2])
    assert out.count("[PASS]") == 5 and "[FAIL]" not in out
    assert "Overall decision: PASS" in out
    assert "auc        0.9610 >= 0.9300 [PASS]" in out
    assert "Python: 3.11.8; packages: 6" in out


@pytest.mark.parametrize("pair", CASES[:1])
def test_scripts_share_one_folder(tmp_path: Path, pair: tuple[str, str]) -> None:
    """Re-running the seed is idempotent: same facts, no duplicated records."""
    run_pair(tmp_path, *pair)
    out = run_pair(tmp_path, *pair)
    assert out.count("train/accuracy: -0.0400") == 1
    ctx = Contexta(UnifiedConfig("product-categorization", WorkspaceConfig(tmp_path / ".contexta")))
    assert len(ctx.get_run_snapshot("last-month").records) == 3
