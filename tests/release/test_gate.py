"""The gate: policies, rows, decisions, exit codes and output formats."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.cli.main import cli
from contexta_git.release.gate import evaluate, gate
from contexta_git.release.policy import InvalidPolicy, parse_policy
from contexta_git.record.oneshot import record
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs

SEED_POLICY = """
[metrics.accuracy]
min = 0.90
stage = "evaluate"
[metrics.auc]
min = 0.93
[metrics.f1]
min = 0.88
[metrics.precision]
min = 0.87
[metrics.recall]
min = 0.86
"""
SEED_METRICS = {"accuracy": 0.934, "auc": 0.961, "f1": 0.922, "precision": 0.917, "recall": 0.928}


def seed_run(repo: Path, name: str = "fraud", metrics: dict[str, float] | None = None) -> Runs:
    runs = Runs.open(repo)
    record(runs, "bank", name, metrics=metrics or SEED_METRICS, stage="evaluate",
           capture_environment=False)
    return runs


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def test_seed_thresholds_pass_through_cli(repo: Path, tmp_path: Path) -> None:
    seed_run(repo)
    code, out, _ = invoke(repo, "gate", "fraud", "--policy", str(write(tmp_path, SEED_POLICY)))
    assert code == 0, out
    assert "Decision: PASS" in out
    for key in SEED_METRICS:
        assert key in out
    assert "0.934" in out and ">= 0.9" in out


def test_failing_metric_exits_1_with_row(repo: Path, tmp_path: Path) -> None:
    seed_run(repo, metrics={**SEED_METRICS, "auc": 0.92})
    code, out, _ = invoke(repo, "gate", "fraud", "--policy", str(write(tmp_path, SEED_POLICY)))
    assert code == 1
    assert "Decision: FAIL" in out
    assert "0.92 < min 0.93" in out


def test_missing_metric_is_fail_even_when_warn(repo: Path, tmp_path: Path) -> None:
    seed_run(repo, metrics={"accuracy": 0.95})
    policy = write(tmp_path, '[metrics.auc]\nmin = 0.5\nseverity = "warn"\n')
    code, out, _ = invoke(repo, "gate", "fraud", "--policy", str(policy), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["decision"] == "FAIL"
    assert doc["checks"][0]["reason"] == "metric not recorded"


def test_stage_restricts_the_value(repo: Path, tmp_path: Path) -> None:
    seed_run(repo)
    policy = write(tmp_path, '[metrics.accuracy]\nmin = 0.9\nstage = "train"\n')
    code, out, _ = invoke(repo, "gate", "fraud", "--policy", str(policy), "--format", "json")
    assert code == 1
    assert json.loads(out)["checks"][0]["reason"] == "metric not recorded in stage train"


def test_warn_severity_passes_with_warn(repo: Path, tmp_path: Path) -> None:
    seed_run(repo)
    policy = write(tmp_path, '[metrics.accuracy]\nmin = 0.99\nseverity = "warn"\n'
                             '[metrics.auc]\nrange = [0.9, 1.0]\n')
    code, out, _ = invoke(repo, "gate", "fraud", "--policy", str(policy))
    assert code == 0
    assert "Decision: WARN" in out


def test_baseline_change_checks(repo: Path, tmp_path: Path) -> None:
    runs = seed_run(repo, "base", {"accuracy": 0.90, "loss": 0.5})
    seed_run(repo, "new", {"accuracy": 0.909, "loss": 0.5})
    policy = parse_policy('baseline = "base"\n[metrics.accuracy]\nmin_abs_change = 0.005\n'
                          'min_rel_change = 0.02\nmax_drop = 0.0\n')
    result = gate(runs, "new", policy)
    by_kind = {r.kind: r for r in result.rows}
    assert by_kind["min_abs_change"].status == "PASS"
    assert by_kind["min_abs_change"].margin == pytest.approx(0.004)
    assert by_kind["min_rel_change"].status == "FAIL"  # +1 % < +2 %
    assert by_kind["min_rel_change"].margin == pytest.approx(0.01 - 0.02)
    assert by_kind["max_drop"].status == "PASS"
    assert result.baseline == "run:bank.base"
    no_base = gate(runs, "new", parse_policy("[metrics.accuracy]\nmax_drop = 0.1\n"))
    assert no_base.rows[0].status == "FAIL"
    assert no_base.rows[0].reason == "max_drop needs a baseline run"
    zero = gate(runs, "new", parse_policy("[metrics.x]\nmin = 0\n"), baseline="base")
    assert zero.decision == "FAIL"


def test_nan_value_never_passes() -> None:
    run = RunData.from_files({"run.toml": b'project = "p"\nname = "r"\n',
                              "metrics.toml": b'[[metrics]]\nid = "a"\nkey = "acc"\nvalue = nan\n'})
    assert math.isnan(run.metrics[0].value)
    result = evaluate(parse_policy("[metrics.acc]\nmax = 1.0\n"), run)
    assert result.decision == "FAIL"
    assert result.rows[0].reason == "value is NaN"


@pytest.mark.parametrize("text, message", [
    ("", "it checks nothing"),
    ("[metrics]\n", "it checks nothing"),
    ("[metrics.acc]\nstage = \"evaluate\"\n", "[metrics.acc] sets no bound"),
    ("[metrics.acc]\nmin = \"high\"\n", "[metrics.acc] min must be a number, got 'high'"),
    ("[metrics.acc]\nmin = nan\n", "[metrics.acc] min must be finite, got nan"),
    ("[metrics.acc]\nmin = 1\nmax = 0\n", "[metrics.acc] min 1.0 is above max 0.0"),
    ("[metrics.acc]\nminimum = 1\n", "[metrics.acc] has unknown key 'minimum'"),
    ("[metrics.acc]\nmin = 1\nseverity = \"maybe\"\n", "severity must be"),
    ("[metrics.acc]\nrange = [1]\n", "range must be [low, high]"),
    ("metrics = 3\n", "[metrics] must be a table"),
    ("[thresholds.acc]\nmin = 1\n", "unknown top-level key 'thresholds'"),
    ("[metrics.acc\n", "not valid TOML"),
])
def test_bad_policies_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidPolicy) as info:
        parse_policy(text, "p.toml")
    assert str(info.value).startswith("invalid policy p.toml: ")
    assert message in str(info.value)


def test_bad_policy_or_missing_run_exit_2(repo: Path, tmp_path: Path,
                                          branch_state: Callable[[], tuple[str | None, int]]) -> None:
    seed_run(repo)
    before = branch_state()
    empty = write(tmp_path, "# nothing\n")
    code, _, err = invoke(repo, "gate", "fraud", "--policy", str(empty))
    assert code == 2
    assert err == (f"Error: invalid policy {empty}: it checks nothing "
                   "(add e.g. [metrics.accuracy] min = 0.9)\n")
    code, _, err = invoke(repo, "gate", "nope", "--policy", str(write(tmp_path, SEED_POLICY)))
    assert code == 2
    assert err == "Error: no run 'nope'\n"
    code, _, err = invoke(repo, "gate", "fraud", "--policy", str(tmp_path / "missing.toml"))
    assert code == 2
    assert err == f"Error: invalid policy {tmp_path / 'missing.toml'}: cannot read it (FileNotFoundError)\n"
    assert branch_state() == before


def test_markdown_and_junit(repo: Path, tmp_path: Path) -> None:
    seed_run(repo, metrics={**SEED_METRICS, "f1": 0.5})
    policy = str(write(tmp_path, SEED_POLICY))
    code, md, _ = invoke(repo, "gate", "fraud", "--policy", policy, "--format", "md")
    assert code == 1
    assert "| f1 | any | 0.5 | >= 0.88 | -0.38 | FAIL |" in md
    assert "**Decision: FAIL**" in md
    code, xml, _ = invoke(repo, "gate", "fraud", "--policy", policy, "--format", "junit")
    assert code == 1
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "5" and suite.get("failures") == "1"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["metric.evaluate.accuracy"] == "0.934" and props["metric.f1"] == "0.5"
    assert props["decision"] == "FAIL"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("classname") for c in failed] == ["gate.f1"]


@given(st.one_of(st.floats(), st.integers(), st.text(max_size=5), st.booleans()))
def test_policy_bounds_fuzz(value: object) -> None:
    text = f"[metrics.acc]\nmin = {json.dumps(value) if not isinstance(value, float) else repr(value)}\n"
    try:
        policy = parse_policy(text.replace("True", "true").replace("False", "false")
                              .replace("inf", "inf").replace("NaN", "nan"))
    except InvalidPolicy:
        return
    assert all(math.isfinite(c.bound) for c in policy.checks)
