"""contexta-git runs as a run table: columns, filter, sort, limit, formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis.quarantine import quarantine
from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "runs", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def table_repo(repo: Path) -> Path:
    runs = Runs.open(repo)
    for name, auc, lr, opt, team in (("a", 0.90, 0.01, "adam", "vision"),
                                     ("b", 0.93, 0.001, "adamw", "vision"),
                                     ("c", 0.85, 0.01, "sgd", "nlp"),
                                     ("d", 0.93, 0.1, "adam", "nlp")):
        record(runs, "p", name, metrics={"auc": auc, "loss": 0.3}, stage="evaluate",
               params={"lr": lr, "optimizer": opt, "epochs": 10}, tags={"team": team},
               capture_environment=False)
    quarantine(runs, ["c"], "leaked labels [test]")
    return repo


def test_default_table_is_newest_first_with_metrics_and_params(table_repo: Path) -> None:
    code, out, err = invoke(table_repo, "--include-quarantined")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["run", "status", "started", "evaluate.auc", "evaluate.loss",
                                "params.epochs", "params.lr", "params.optimizer"]
    assert [line.split()[0] for line in lines[1:]] == ["run:p.d", "run:p.c", "run:p.b", "run:p.a"]
    assert "completed [quarantined]" in lines[2]


def test_filter_sort_limit_and_only_changed(table_repo: Path) -> None:
    code, out, _ = invoke(table_repo, "--filter", "evaluate.auc > 0.88 and params.lr < 0.05",
                          "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["run"] for r in rows] == ["run:p.b", "run:p.a"]
    code, out, _ = invoke(table_repo, "--sort", "-evaluate.auc,params.lr", "--format", "csv",
                          "--columns", "run,evaluate.auc,params.lr")
    assert out.splitlines() == ["run,evaluate.auc,params.lr", "run:p.b,0.93,0.001",
                                "run:p.d,0.93,0.1", "run:p.a,0.9,0.01"]
    code, out, _ = invoke(table_repo, "--sort", "-evaluate.auc", "--limit", "1", "--format",
                          "tsv", "--columns", "run,tags.team")
    assert out.splitlines() == ["run\ttags.team", "run:p.d\tnlp"]  # a tie stays newest first
    code, out, _ = invoke(table_repo, "--only-changed", "--format", "csv")
    header = out.splitlines()[0].split(",")
    assert "evaluate.auc" in header and "params.optimizer" in header
    assert "evaluate.loss" not in header and "params.epochs" not in header
    code, out, _ = invoke(table_repo, "--filter", "tags.team == nlp", "--format", "csv",
                          "--columns", "run")
    assert out.splitlines() == ["run", "run:p.d"]  # c is quarantined: left out by default


def test_markdown_and_streamed_strict_json(table_repo: Path) -> None:
    code, out, _ = invoke(table_repo, "--format", "md", "--columns", "run,params.optimizer")
    assert out.splitlines()[:3] == ["| run | params.optimizer |", "|---|---|",
                                    "| run:p.d | adam |"]
    code, out, _ = invoke(table_repo, "--format", "json", "--columns", "run,evaluate.auc,tags.*")
    assert code == 0
    doc = json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert doc[0] == {"run": "run:p.d", "evaluate.auc": 0.93, "tags.team": "nlp"}
    assert len(out.splitlines()) == len(doc) + 2  # one run a line


@pytest.mark.parametrize(("args", "message"), [
    (("--filter", "evalute.auc > 0.9"),
     "Error: filter 'evalute.auc > 0.9': no column 'evalute.auc'; did you mean evaluate.auc, "
     "evaluate.loss? (at character 1)"),
    (("--filter", "evaluate.auc >"),
     "Error: filter 'evaluate.auc >': expected a value (a number, a quoted string, true, false "
     "or null), found the end (at character 15)"),
    (("--columns", "params.nope*"), "Error: --columns 'params.nope*' matches no column"),
    (("--sort", "-nope"), "Error: --sort: no column 'nope'"),
])
def test_bad_expressions_are_one_line_and_exit_2(table_repo: Path, args: tuple[str, ...],
                                                 message: str) -> None:
    code, out, err = invoke(table_repo, *args)
    assert code == 2 and out == ""
    assert err.strip() == message


def test_mixed_columns_spreadsheet_formulas_and_nan_deltas(repo: Path) -> None:
    runs = Runs.open(repo)
    for name, seed in (("m1", 3), ("m2", "=HYPERLINK(\"x\")"), ("m3", 10), ("m4", "-1+1")):
        record(runs, "p", name, metrics={"acc": 0.5}, params={"seed": seed},
               capture_environment=False)
    for spec, expected in (("params.seed", ["m1", "m3", "m4", "m2"]),
                           ("-params.seed", ["m3", "m1", "m2", "m4"])):
        code, out, _ = invoke(repo, "--sort", spec, "--format", "csv", "--columns", "name")
        assert code == 0
        assert out.splitlines()[1:] == expected  # numbers first, then text, either way
    code, out, _ = invoke(repo, "--format", "csv", "--columns", "name,params.seed")
    rows = dict(r for r in csv.reader(io.StringIO(out)))
    assert rows["m2"] == "'=HYPERLINK(\"x\")" and rows["m4"] == "'-1+1" and rows["m3"] == "10"


def test_compare_shows_no_delta_for_nan(repo: Path) -> None:
    runs = Runs.open(repo)
    record(runs, "p", "a", metrics={"acc": 0.5}, params={"clip": 1.0}, capture_environment=False)
    record(runs, "p", "b", metrics={"acc": 0.5}, params={"clip": float("nan")},
           capture_environment=False)
    out = CliRunner().invoke(cli, ["--repo", str(repo), "compare", "a", "b"]).output
    assert "nan" in out.lower() and "(+nan)" not in out
