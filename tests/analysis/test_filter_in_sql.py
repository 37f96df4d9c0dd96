"""``runs --filter`` narrowed in SQL by the index lists exactly the runs reading every run
lists: numbers, numbers written as text, booleans, missing values, stages, aggregates,
params, and/or/not. Real repositories, the CLI as the user runs it; the slow path (no
narrowing) is the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis import table
from contexta_git.cli.main import cli
from contexta_git.record.run import start_run

PARAMS = [{"lr": 0.001, "depth": 3}, {"lr": "0.02", "depth": 8}, {"lr": True},
          {"lr": 0.5, "depth": "deep"}, {}, {"lr": 0.01, "depth": 3, "note": "x"}, {"lr": "0.005"}]
FILTERS = [
    "params.lr < 0.01", "params.lr <= 0.01", "params.lr == 0.01", "params.lr > 0.001",
    "params.depth >= 3 and evaluate.auc > 0.7", "evaluate.auc > 0.7 or params.lr < 0.01",
    "not evaluate.auc > 0.7", "auc >= 0.8", "loss.min < 0.3", "train.loss.max > 1",
    "loss < 0.5 and params.depth == 3", "params.lr != 0.01", "status == 'completed' and auc > 0.6",
    "evaluate.auc > 0.7 and params.note in ('x', 'y')", "params.missing > 1",
]


def build(repo: Path) -> None:
    for i, params in enumerate(PARAMS):
        with start_run(f"r{i}", project="p", repo=repo, params=params,
                       capture_environment=False) as run:
            with run.stage("train"):
                for step in range(i + 1):
                    run.log_metric("loss", 1.5 / (step + 1) + i / 10, step=step)
            if i != 4:
                run.log_metric("auc", 0.5 + i / 10, stage="evaluate")


def listed(repo: Path, text: str) -> list[str] | str:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "runs", "--filter", text,
                                      "--json"])
    if result.exit_code:
        return f"exit {result.exit_code}: {result.output}"
    return sorted(run["run_id"] for run in json.loads(result.output))


def test_narrowed_and_full_listings_agree(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(repo)
    narrowed = {text: listed(repo, text) for text in FILTERS}
    assert sum(table.sql_superset(text) is not None for text in FILTERS) >= 12
    monkeypatch.setattr(table, "sql_superset", lambda text: None)
    full = {text: listed(repo, text) for text in FILTERS}
    assert narrowed == full
    assert full["params.lr < 0.01"] == ["p.r0", "p.r6"]  # "0.005" compares as a number
    assert full["params.lr > 0.001"] == ["p.r1", "p.r3", "p.r5", "p.r6"]
    assert full["params.missing > 1"] == []


def test_a_column_only_runs_left_out_by_sql_have_is_still_known(repo: Path) -> None:
    """SQL may leave out every run holding a column: the filter still knows it (an empty
    answer, not an unknown column), and a really unknown one is still refused."""
    build(repo)
    assert listed(repo, "evaluate.auc > 5") == []
    refused = listed(repo, "evaluate.acu > 5")
    assert isinstance(refused, str) and "no column 'evaluate.acu'" in refused
