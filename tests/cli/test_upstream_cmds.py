"""diagnose, lineage, trend, alerts and the multi-run report on the command line, over
runs written through upstream's API (the case studies' seeds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "case_studies"


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def etl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Case study 07's workspace: seven nightly runs, night 5 with a degraded record."""
    folder = tmp_path_factory.mktemp("etl")
    subprocess.run([sys.executable, str(EXAMPLES / "case07_batch_job_monitoring.py"),
                    "--workspace", str(folder)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(EXAMPLES.parents[1])})
    return folder


@pytest.fixture(scope="module")
def ctr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ctr")
    subprocess.run([sys.executable, str(EXAMPLES / "case04_deployment_traceability.py"),
                    "--workspace", str(folder)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(EXAMPLES.parents[1])})
    return folder


def test_diagnose_text_json_and_fail_on(etl: Path) -> None:
    code, out, _ = invoke(etl, "diagnose", "etl-night-05")
    assert code == 0
    assert out.splitlines()[:2] == [
        "Diagnostics for run:nightly-etl-feature-engineering.etl-night-05: 3 issue(s)",
        "  [WARNING] degraded_record: degraded record detected for "
        "etl.feature_column_null_overflow"]
    code, out, _ = invoke(etl, "diagnose", "etl-night-05", "--json")
    issues = json.loads(out)["issues"]
    assert [i["code"] for i in issues] == ["degraded_record", "missing_expected_stage",
                                           "missing_expected_stage"]
    assert issues[0]["details"]["category"] == "verification"
    assert invoke(etl, "diagnose", "etl-night-05", "--fail-on", "warning")[0] == 1
    assert invoke(etl, "diagnose", "etl-night-04", "--fail-on", "warning")[0] == 0
    code, _, err = invoke(etl, "diagnose", "etl-night-99")
    assert code == 2 and "etl-night-99" in err


def test_trend_over_the_week(etl: Path) -> None:
    code, out, _ = invoke(etl, "trend", "rows-processed", "-p", "nightly-etl-feature-engineering")
    assert code == 0
    values = [line.split()[1] for line in out.splitlines()]
    assert values == ["118200", "118400", "118600", "118800", "0", "119200", "119400"]
    code, out, _ = invoke(etl, "trend", "feature-null-rate", "-p",
                          "nightly-etl-feature-engineering", "--limit", "3", "--json")
    assert json.loads(out)["values"] == [1.0, 0.002, 0.002]


def test_alerts_from_a_rules_file(etl: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nmetric_key = "feature-null-rate"\noperator = "gt"\n'
                     'threshold = 0.01\nseverity = "error"\n\n'
                     '[[rules]]\nmetric_key = "rows-processed"\noperator = "lt"\n'
                     'threshold = 100000\nstage_name = "feature-engineering"\n')
    code, out, _ = invoke(etl, "alerts", "etl-night-05", "--rules", str(rules))
    assert code == 1
    assert out.splitlines() == [
        "TRIGGERED  error    feature-null-rate:gt:0.01  (actual 1)",
        "TRIGGERED  warning  rows-processed@feature-engineering:lt:100000  (actual 0)"]
    code, out, _ = invoke(etl, "alerts", "etl-night-04", "--rules", str(rules), "--json")
    assert code == 0 and [r["triggered"] for r in json.loads(out)] == [False, False]
    rules.write_text('[[rules]]\nmetric_key = "x"\noperator = "above"\nthreshold = 1\n')
    code, out, err = invoke(etl, "alerts", "etl-night-04", "--rules", str(rules))
    assert code == 2 and "operator 'above'" in err and out == ""


def test_lineage_of_a_deployment(ctr: Path) -> None:
    code, out, _ = invoke(ctr, "lineage", "deployment:ctr-ranking-model.prod-deploy-april")
    assert code == 0
    assert ("  deployment:ctr-ranking-model.prod-deploy-april --deployed_from--> "
            "run:ctr-ranking-model.friday-run-c  (depth 1)") in out.splitlines()
    code, out, _ = invoke(ctr, "lineage", "friday-run-a", "--json")
    assert json.loads(out)["completeness_notes"] == ["lineage_root_has_no_relations"]
    code, _, err = invoke(ctr, "lineage", "friday-run-c", "--direction", "sideways")
    assert code == 2 and "sideways" in err


def test_multi_run_report(ctr: Path) -> None:
    code, out, _ = invoke(ctr, "report", "friday-run-a", "friday-run-b", "friday-run-c",
                          "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["title"] == "Multi Run Report: 3 runs"
    table = next(s for s in doc["sections"] if s["title"] == "Metric Table")["body"]
    assert "train/auc: (0.912, 0.927, 0.938) best=run:ctr-ranking-model.friday-run-c" in table
    code, out, _ = invoke(ctr, "report", "friday-run-a", "friday-run-b")
    assert out.startswith("# Multi Run Report: 2 runs")
