"""examples/release_pipeline runs in the suite: the Go path and both No-Go paths."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli

from tests.conftest import git

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "release_pipeline" / "release.py"


def release(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--workdir", str(workdir), *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_release_pipeline_go_and_no_go(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    good = release(tmp_path / "good")
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.rstrip().endswith("Step 6: deployed model_v1.0.0.pkl\nPIPELINE SUCCESS")
    repo = tmp_path / "good" / "loan-repo"
    git(repo, "tag", "-v", "contexta/cert/loan-approver-1.0.0")
    card = (tmp_path / "good" / "MODEL_CARD.md").read_text()
    assert card.startswith("---\nmodel-index:") and "| disparate_impact | evaluate |" in card
    shipped = tmp_path / "good" / "deployed" / "model_v1.0.0.pkl"
    assert shipped.read_bytes() == (tmp_path / "good" / "build" / "model_v1.0.0.pkl").read_bytes()
    forged = tmp_path / "model_v1.0.0.pkl"
    forged.write_bytes(shipped.read_bytes() + b"\0")
    refused = release(tmp_path / "good", "--deploy", str(forged))
    assert refused.returncode == 1
    assert refused.stdout.startswith("PIPELINE STOPPED at step 6 (deploy): DEPLOY REFUSED: "
                                     "model_v1.0.0.pkl (sha256 ")

    nulls = release(tmp_path / "nulls", "--data", "nulls")
    assert nulls.returncode == 1
    assert nulls.stdout == ("PIPELINE STOPPED at step 1 (data contract): CONTRACT FAIL: "
                            "11 null values in column income\n")
    biased = release(tmp_path / "biased", "--data", "biased")
    assert biased.returncode == 1
    last = biased.stdout.splitlines()[-1]
    assert last.startswith("PIPELINE STOPPED at step 3 (gate): NO-GO: disparate_impact ")
    assert not (tmp_path / "biased" / "deployed").exists()
    assert git(tmp_path / "biased" / "loan-repo", "tag", "-l").stdout == ""


def test_demo_gates_certifies_and_verifies(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Decision: PASS" in result.output
    assert "git tag -v exit status 0" in result.output
    assert "VALID contexta/cert/demo-1.0: run:demo.lr-0.1 PASS" in result.output
    git(tmp_path / "ml-project", "tag", "-v", "contexta/cert/demo-1.0")
