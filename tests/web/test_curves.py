"""Curves are kept by the run folder's tree: a run that changed is drawn afresh."""

from __future__ import annotations

from pathlib import Path

from contexta_git.core.chunks import Block
from contexta_git.core.names import RunId
from contexta_git.record.run import start_run
from contexta_git.store.runs import RunChange, Runs
from contexta_git.web import curves


def log(repo: Path, name: str, steps: range) -> None:
    with start_run(name, project="p", repo=repo, capture_environment=False) as run:
        for step in steps:
            with run.stage("train" if step % 2 else "warmup"):
                run.log_metric("loss", 1 / (step + 1), step=step)
                run.log_metric("acc", step / 100, step=step)
            if step % 7 == 0:
                run.flush()


def test_curves_are_kept_until_the_run_changes(repo: Path) -> None:
    log(repo, "a", range(10))
    runs = Runs.open(repo)
    first = curves.curves(runs.view(), [runs.get(RunId("p", "a"))])
    again = curves.curves(runs.view(), [runs.get(RunId("p", "a"))])
    assert again is first and "10 points" in first
    with start_run("b", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("loss", 0.5, step=0)
    assert curves.curves(runs.view(), [runs.get(RunId("p", "a"))]) is first  # a's tree is the same
    change = RunChange(RunId("p", "a"))
    change.series[("loss", "train")] = Block("loss", "train", [99], [0.01], [1_700_000_000_000])
    runs.apply([change], "one more point")
    changed = curves.curves(runs.view(), [runs.get(RunId("p", "a"))])
    assert changed is not first and "11 points" in changed
