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
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(
        f"{name}.py" for pair in CASES for name in pair)


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
