"""Six processes quarantining one run at the same moment record one quarantine."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from contexta_git.analysis.quarantine import quarantine
from contexta_git.core.names import RunId
from contexta_git.core.records import QUARANTINE_EVENT, RELEASE_EVENT
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs
from tests.conftest import git


def _quarantiner(repo: str, worker: int, barrier: multiprocessing.synchronize.Barrier,
                 undo: bool) -> None:
    runs = Runs.open(repo)
    barrier.wait()
    quarantine(runs, ["p.r"], f"reason from worker {worker}", undo=undo)


def _race(repo: Path, undo: bool) -> None:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(6)
    procs = [ctx.Process(target=_quarantiner, args=(str(repo), w, barrier, undo))
             for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 6


def _count(repo: Path, key: str) -> int:
    return sum(1 for e in Runs.open(repo).get(RunId("p", "r")).events if e.key == key)


def test_concurrent_quarantines_and_releases_record_one_event_each(tmp_path: Path) -> None:
    for trial in range(4):
        repo = tmp_path / f"t{trial}"
        git(tmp_path, "init", "-q", str(repo))
        record(Runs.open(repo), "p", "r", metrics={"acc": 0.5}, capture_environment=False)
        _race(repo, undo=False)
        assert _count(repo, QUARANTINE_EVENT) == 1, f"trial {trial}"
        assert Runs.open(repo).get(RunId("p", "r")).quarantined
        _race(repo, undo=True)
        assert _count(repo, RELEASE_EVENT) == 1, f"trial {trial}"
        assert not Runs.open(repo).get(RunId("p", "r")).quarantined
        _race(repo, undo=False)  # a second quarantine is a new transition: a new record
        assert _count(repo, QUARANTINE_EVENT) == 2, f"trial {trial}"
        git(repo, "fsck", "--strict")
