"""Two clones that recorded the same run name merge each other at the same moment: both
end with the same two runs, never three (the rename of a same-name clash is the same on
both sides, whichever side merges)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.share.sync import merge_runs, pull
from contexta_git.store.runs import Runs

from tests.conftest import git


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one repository, each the other's remote, each recording run s.x."""
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "init", "-q", str(a))
    git(a, "commit", "-q", "--allow-empty", "-m", "init")
    record(Runs.open(a), "s", "base", metrics={"auc": 0.1}, capture_environment=False)
    git(tmp_path, "clone", "-q", str(a), str(b))
    git(b, "fetch", "-q", "origin", "contexta/runs:contexta/runs")
    git(a, "remote", "add", "origin", str(b))
    record(Runs.open(a), "s", "x", metrics={"auc": 0.9}, params={"side": "a"},
           capture_environment=False)
    time.sleep(0.002)  # two different start times: two different runs
    record(Runs.open(b), "s", "x", metrics={"auc": 0.2}, params={"side": "b"},
           capture_environment=False)
    return a, b


def _runs(path: Path) -> dict[str, str]:
    runs = Runs.open(path)
    return {r.name: runs.get(r).params["side"] for r in runs.ids("s") if r.name != "base"}


def _converge(a: Path, b: Path) -> None:
    for _ in range(3):
        pull(Runs.open(a))
        pull(Runs.open(b))
    tree_a = git(a, "rev-parse", "contexta/runs^{tree}").stdout
    assert tree_a == git(b, "rev-parse", "contexta/runs^{tree}").stdout


def _check(a: Path, b: Path) -> None:
    assert _runs(a) == _runs(b)
    found = _runs(a)
    assert len(found) == 2 and sorted(found.values()) == ["a", "b"]
    assert found["x"] == "a"  # the run that started first keeps the name
    renamed = next(name for name in found if name != "x")
    assert renamed.startswith("x-") and len(renamed) == len("x-") + 8
    merged_from = Runs.open(a).get(RunId("s", renamed)).extra["merged_from"]
    assert merged_from == {"name": "x"}
    for path in (a, b):
        git(path, "fsck", "--strict")


def test_two_clones_merging_each_others_tip_at_once_end_with_two_runs(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    tip_a = git(a, "rev-parse", "contexta/runs").stdout.strip()
    tip_b = git(b, "rev-parse", "contexta/runs").stdout.strip()
    git(a, "fetch", "-q", "origin", "contexta/runs:refs/remotes/origin/contexta/runs")
    git(b, "fetch", "-q", "origin", "contexta/runs:refs/remotes/origin/contexta/runs")
    # each merges the other's tip as it was before either merge: the two merges cross
    _, how_a, res_a = merge_runs(Runs.open(a).store, tip_b, "origin")
    _, how_b, res_b = merge_runs(Runs.open(b).store, tip_a, "origin")
    assert how_a == how_b == "merge"
    assert _runs(a) == _runs(b)  # the same result on both sides at once
    assert len(res_a.notes) == len(res_b.notes) == 1
    _converge(a, b)
    _check(a, b)


def _pull_after(path: str, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    pull(Runs.open(path))


@pytest.mark.parametrize("trial", range(4))
def test_two_clones_pulling_each_other_concurrently_converge(tmp_path: Path, trial: int) -> None:
    a, b = _pair(tmp_path)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    jobs = [context.Process(target=_pull_after, args=(str(p), barrier)) for p in (a, b)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
        assert job.exitcode == 0
    _converge(a, b)
    _check(a, b)
