"""What every adapter shares: names and values made recordable, NaN named, rank, open runs."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest

from contexta_git.integrations import base

from tests.integrations.conftest import framework, only_run, points


class Strategy(enum.Enum):
    STEPS = "steps"


def test_odd_names_become_keys_the_store_takes() -> None:
    assert base.key("valid_0 l2") == "valid_0_l2"
    assert base.key(".hidden[0]") == "_.hidden_0_"
    assert base.key("") == "_" and len(base.key("x" * 500)) == 200


def test_a_framework_config_becomes_flat_params() -> None:
    params = base.flat_params({"opt": {"lr": 0.1, "betas": (0.9, 0.99)}, "strategy": Strategy.STEPS,
                               "skip": None, "nan": float("nan"), "fn": print, "mixed": [1, None]})
    assert params == {"opt.lr": 0.1, "opt.betas": [0.9, 0.99], "strategy": "steps", "nan": "nan",
                      "fn": "<built-in function print>", "mixed": "[1, None]"}


def test_nan_is_named_once_and_non_numbers_are_left_out(repo: Path) -> None:
    recorder = base.Recorder("test", "nan-run", "default", repo, None, {"given": 1})
    recorder.metrics({"loss": 1.0}, 0)  # not open yet: nothing
    recorder.open({"given": 0, "framework_param": 2})
    for step, loss in enumerate([0.5, float("nan"), float("inf"), 0.25]):
        recorder.metrics({"loss": loss, "note": "text", "flag": True}, step + 1)
    recorder.close("completed")
    run = only_run(repo)
    assert run.params == {"given": 1, "framework_param": 2}  # the user's params win
    assert points(repo, run, "loss") == ([1, 4], [0.5, 0.25])
    assert [(e.key, e.message) for e in run.events] == [
        ("metric.skipped", "loss was nan at step 2; NaN and infinite values are not recorded")]


def test_rank_comes_from_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert base.env_rank() == 0
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert base.env_rank() == 3
    monkeypatch.setenv("RANK", "0")  # the global rank wins over the node's local one
    assert base.env_rank() == 0


def test_a_missing_framework_skips_or_fails_as_ci_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTEXTA_GIT_REQUIRE_FRAMEWORKS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_framework is not installed"):
        framework("no_such_framework")
    monkeypatch.setenv("CONTEXTA_GIT_REQUIRE_FRAMEWORKS", "1")
    with pytest.raises(pytest.fail.Exception, match="no_such_framework is not installed"):
        framework("no_such_framework")


def test_a_second_training_with_the_same_adapter_is_a_run_of_its_own(repo: Path) -> None:
    recorder = base.Recorder("test", "twice", "default", repo, None, None)
    for _ in range(3):
        recorder.open()
        recorder.metrics({"loss": 1.0}, 0)
        recorder.close("completed")
    from contexta_git.store.runs import Runs
    assert sorted(i.name for i in Runs.open(repo).ids()) == ["twice", "twice-2", "twice-3"]
