"""The XGBoost and LightGBM callbacks, with real boosters on synthetic data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integrations.conftest import every_run, framework, only_run, points


def data(rows: int = 200) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4))
    return x, x @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=rows)


def test_xgboost_records_each_round_its_config_and_the_model(repo: Path, tmp_path: Path) -> None:
    xgb = framework("xgboost")
    from contexta_git.integrations.xgboost import ContextaCallback

    x, y = data()
    train, valid = xgb.DMatrix(x[:150], label=y[:150]), xgb.DMatrix(x[150:], label=y[150:])
    history: dict[str, Any] = {}
    xgb.train({"max_depth": 2, "eta": 0.3}, train, num_boost_round=5, evals=[(valid, "valid")],
              evals_result=history, verbose_eval=False,
              callbacks=[ContextaCallback("xgb-tiny", repo=repo, model_path=tmp_path / "m.json")])
    run = only_run(repo)
    assert (run.name, run.status) == ("xgb-tiny", "completed")
    assert run.params["gradient_booster.tree_train_param.max_depth"] == "2"
    assert run.params["objective.name"] == "reg:squarederror"
    steps, rmse = points(repo, run, "valid/rmse")
    assert steps == [0, 1, 2, 3, 4] and rmse == pytest.approx(history["valid"]["rmse"])
    assert [(a.kind, a.name) for a in run.artifacts] == [("model", "m.json")]


def test_xgboost_early_stopping_keeps_the_best_round(repo: Path) -> None:
    xgb = framework("xgboost")
    from contexta_git.integrations.xgboost import ContextaCallback

    x, y = data()
    model = xgb.XGBRegressor(n_estimators=50, max_depth=2, early_stopping_rounds=1,
                             callbacks=[ContextaCallback("xgb-early", repo=repo)])
    model.fit(x[:150], y[:150], eval_set=[(x[150:], -y[150:])], verbose=False)  # worse every round
    run = only_run(repo)
    assert run.status == "completed"
    assert {m.key: m.value for m in run.metrics}["best_iteration"] == model.best_iteration
    assert len(points(repo, run, "validation_0/rmse")[0]) == model.best_iteration + 2


def test_lightgbm_records_each_iteration_and_completes_at_the_last(repo: Path, tmp_path: Path) -> None:
    lgb = framework("lightgbm")
    from contexta_git.integrations.lightgbm import ContextaCallback

    x, y = data()
    train = lgb.Dataset(x[:150], label=y[:150])
    valid = lgb.Dataset(x[150:], label=y[150:], reference=train)
    history: dict[str, Any] = {}
    lgb.train({"objective": "regression", "num_leaves": 4, "verbose": -1, "learning_rate": 0.2},
              train, num_boost_round=5, valid_sets=[valid], valid_names=["valid"],
              callbacks=[lgb.record_evaluation(history),
                         ContextaCallback("lgb-tiny", repo=repo, model_path=tmp_path / "m.txt")])
    run = only_run(repo)
    assert (run.name, run.status) == ("lgb-tiny", "completed")
    assert run.params["num_leaves"] == 4 and run.params["objective"] == "regression"
    steps, l2 = points(repo, run, "valid/l2")
    assert steps == [0, 1, 2, 3, 4] and l2 == pytest.approx(history["valid"]["l2"])
    assert [(a.kind, a.name) for a in run.artifacts] == [("model", "m.txt")]


def test_lightgbm_early_stopping_completes_when_the_with_block_ends(repo: Path) -> None:
    lgb = framework("lightgbm")
    from contexta_git.integrations.lightgbm import ContextaCallback

    x, y = data()
    train = lgb.Dataset(x[:150], label=y[:150])
    valid = lgb.Dataset(x[150:], label=-y[150:], reference=train)
    with ContextaCallback("lgb-early", repo=repo) as record:
        booster = lgb.train({"objective": "regression", "verbose": -1}, train, num_boost_round=50,
                            valid_sets=[valid], callbacks=[lgb.early_stopping(1, verbose=False), record])
        assert only_run(repo).status == "running"
    run = only_run(repo)
    assert run.status == "completed"
    assert len(points(repo, run, "valid_0/l2")[0]) == booster.best_iteration + 1


def test_a_run_left_open_ends_at_interpreter_exit(repo: Path, tmp_path: Path) -> None:
    """A real process: early stopping without ``with`` completes at exit; an uncaught
    exception fails every run still open."""
    framework("lightgbm")
    script = textwrap.dedent(f"""
        import sys, numpy as np, lightgbm as lgb
        from contexta_git.integrations.lightgbm import ContextaCallback
        x = np.random.default_rng(0).normal(size=(100, 3)); y = x.sum(1)
        train = lgb.Dataset(x, label=y); valid = lgb.Dataset(x, label=-y, reference=train)
        lgb.train({{"verbose": -1}}, train, 50, valid_sets=[valid], callbacks=[
            lgb.early_stopping(1, verbose=False), ContextaCallback(sys.argv[1], repo={str(repo)!r})])
        if sys.argv[2] == "raise":
            lgb.train({{"verbose": -1}}, train, 50, valid_sets=[valid], callbacks=[
                ContextaCallback(sys.argv[1] + "-2", repo={str(repo)!r}),
                lambda env: 1 / (env.iteration - 1)])  # raises in the second iteration
    """)
    for name, how in (("stops-early", "end"), ("crashes", "raise")):
        done = subprocess.run([sys.executable, "-c", script, name, how], capture_output=True,
                              text=True, cwd=tmp_path)
        assert done.returncode == (1 if how == "raise" else 0), done.stderr
    status = {r.name: (r.status, [e.key for e in r.events]) for r in every_run(repo)}
    assert status == {"stops-early": ("completed", ["run.unfinished"]),
                      "crashes": ("failed", ["run.unfinished"]),  # still open when it crashed
                      "crashes-2": ("failed", ["run.unfinished"])}


def test_other_ranks_write_nothing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lgb = framework("lightgbm")
    from contexta_git.integrations.lightgbm import ContextaCallback
    from contexta_git.store.runs import Runs

    monkeypatch.setenv("RANK", "2")
    x, y = data()
    lgb.train({"verbose": -1}, lgb.Dataset(x, label=y), num_boost_round=3,
              callbacks=[ContextaCallback("lgb-rank2", repo=repo)])
    assert Runs.open(repo).ids() == []


def test_xgboost_ranks_other_than_zero_write_nothing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xgb = framework("xgboost")
    from contexta_git.integrations import xgboost as adapter
    from contexta_git.store.runs import Runs

    monkeypatch.setattr(adapter.collective, "get_rank", lambda: 1)  # a worker of a distributed fit
    x, y = data()
    xgb.train({}, xgb.DMatrix(x, label=y), num_boost_round=2,
              callbacks=[adapter.ContextaCallback("xgb-rank1", repo=repo)])
    assert Runs.open(repo).ids() == []
