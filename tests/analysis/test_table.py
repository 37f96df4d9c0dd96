"""The run table: columns by name and pattern, filter, multi-key sort, changed-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git.analysis import table
from contexta_git.analysis.listing import list_runs
from contexta_git.analysis.query import QueryError
from contexta_git.errors import InvalidValue
from contexta_git.record.oneshot import DataFile, record
from contexta_git.store.runs import Runs


@pytest.fixture
def rows(repo: Path) -> list:
    runs = Runs.open(repo)
    data = repo / "train.csv"
    data.write_text("a,b\n1,2\n")
    for name, auc, lr, opt in (("a", 0.90, 0.01, "adam"), ("b", 0.93, 0.001, "adamw"),
                               ("c", 0.85, 0.01, "sgd"), ("d", 0.93, 0.1, "adam")):
        record(runs, "p", name, metrics={"auc": auc, "loss": 0.3}, stage="evaluate",
               params={"lr": lr, "optimizer": opt, "epochs": 10}, tags={"team": "vision"},
               datasets=[DataFile.parse(f"train@v1={data}")], capture_environment=False)
    return list(list_runs(runs, "p", detail=True))


def test_columns_by_name_and_pattern(rows: list) -> None:
    available = table.columns_of(rows)
    assert "evaluate.auc" in available and "params.lr" in available
    assert "datasets.train.version" in available
    assert table.select_columns("params.*,evaluate.auc", available) == [
        "params.epochs", "params.lr", "params.optimizer", "evaluate.auc"]
    with pytest.raises(InvalidValue, match="no column 'evalute.auc'; did you mean evaluate.auc"):
        table.select_columns("evalute.auc", available)
    assert [table.value(r, "datasets.train.version") for r in rows] == ["v1"] * 4
    assert table.value(rows[0], "auc") == 0.90  # the latest value in any stage
    assert table.value(rows[0], "evaluate.auc.last") == 0.90


def test_filter_and_sort(rows: list) -> None:
    available = table.columns_of(rows)
    kept = list(table.filter_rows(rows, "evaluate.auc > 0.88 and params.lr < 0.05", available))
    assert [r.name for r in kept] == ["a", "b"]
    kept = list(table.filter_rows(rows, "params.optimizer like 'adam%' and status == completed",
                                  available))
    assert [r.name for r in kept] == ["a", "b", "d"]
    ordered = table.sort_rows(rows, table.parse_sort("-evaluate.auc,params.lr", available))
    assert [r.name for r in ordered] == ["b", "d", "a", "c"]
    with pytest.raises(QueryError, match=r"no column 'evalute\.auc'.*\(at character 1\)"):
        list(table.filter_rows(rows, "evalute.auc > 1", available))
    with pytest.raises(InvalidValue, match="--sort: no column 'nope'"):
        table.parse_sort("nope", available)


def test_only_changed_columns(rows: list) -> None:
    available = table.columns_of(rows)
    cols = table.changed_only(rows, table.select_columns(None, available))
    assert "evaluate.auc" in cols and "params.lr" in cols and "params.optimizer" in cols
    assert "evaluate.loss" not in cols and "params.epochs" not in cols


def test_series_aggregates_are_columns(repo: Path) -> None:
    import contexta_git

    with contexta_git.start_run("s", project="q", repo=repo, capture_environment=False) as run:
        with run.stage("train"):
            for step, loss in enumerate([0.9, 0.4, 0.6]):
                run.log_metric("loss", loss, step=step)
    rows = list(list_runs(Runs.open(repo), "q", detail=True))
    available = table.columns_of(rows)
    assert "train.loss" in available
    assert table.value(rows[0], "loss.min") == 0.4
    assert table.value(rows[0], "train.loss.min") == 0.4
    assert table.value(rows[0], "train.loss") == 0.6
    assert table.value(rows[0], "train.loss.count") == 3
    kept = list(table.filter_rows(rows, "train.loss.min < 0.5", available))
    assert [r.name for r in kept] == ["s"]
