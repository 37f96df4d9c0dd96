"""compare: N runs side by side, deltas against the first, only what differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis.multi import compare_multiple_runs
from contexta_git.cli.main import cli
from contexta_git.errors import InvalidValue
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs


@pytest.fixture
def three(repo: Path) -> Runs:
    runs = Runs.open(repo)
    for name, auc, lr, opt in (("a", 0.90, 0.01, "adam"), ("b", 0.93, 0.001, "adam"),
                               ("c", 0.85, 0.01, "sgd|momentum")):
        record(runs, "p", name, metrics={"auc": auc, "loss": 0.3}, stage="evaluate",
               params={"lr": lr, "optimizer": opt, "epochs": 10}, tags={"team": "vision"},
               capture_environment=False)
    return runs


def test_rows_differ_and_deltas_are_against_the_first(three: Runs) -> None:
    cmp = compare_multiple_runs(three, ["a", "b", "c"])
    assert cmp.runs == ("run:p.a", "run:p.b", "run:p.c")
    rows = {(r.section, r.key): r for r in cmp.rows}
    auc = rows[("metric", "evaluate.auc")]
    assert auc.values == (0.90, 0.93, 0.85)
    assert auc.deltas[0] is None
    assert auc.deltas[1] == pytest.approx(0.03) and auc.deltas[2] == pytest.approx(-0.05)
    assert rows[("param", "optimizer")].values == ("adam", "adam", "sgd|momentum")
    assert ("metric", "evaluate.loss") not in rows  # the same in every run
    assert ("param", "epochs") not in rows and ("tag", "team") not in rows
    every = {(r.section, r.key) for r in compare_multiple_runs(three, ["a", "b", "c"],
                                                                every_row=True).rows}
    assert {("metric", "evaluate.loss"), ("param", "epochs"), ("tag", "team")} <= every


def test_one_run_or_the_same_run_twice_is_refused(three: Runs) -> None:
    with pytest.raises(InvalidValue, match="at least two different runs"):
        compare_multiple_runs(three, ["a", "run:p.a"])


def test_cli_table_markdown_and_strict_json(repo: Path, three: Runs) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["--repo", str(repo), "compare", "a", "b", "c"])
    assert shown.exit_code == 0, shown.output
    assert "evaluate.auc" in shown.output and "0.93 (+0.03)" in shown.output
    assert "sgd|momentum" in shown.output
    md = runner.invoke(cli, ["--repo", str(repo), "compare", "a", "b", "c", "--md"]).output
    assert md.splitlines()[0] == "| run | `run:p.a` | `run:p.b` | `run:p.c` |"
    assert "sgd\\|momentum" in md and "0.93 (+0.03)" in md
    out = runner.invoke(cli, ["--repo", str(repo), "compare", "a", "b", "--json"]).output
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert doc["runs"] == ["run:p.a", "run:p.b"]
    assert {r["key"] for r in doc["rows"]} == {"evaluate.auc", "lr"}
    bad = runner.invoke(cli, ["--repo", str(repo), "compare", "a", "nosuch"])
    assert bad.exit_code == 2 and "no run 'nosuch'" in bad.output
