"""Concurrent writers and crashes: every run lands exactly once, the branch stays consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git

WRITER = textwrap.dedent("""
    import sys
    from contexta_git.record.oneshot import record
    from contexta_git.store.runs import Runs
    repo, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runs = Runs.open(repo)
    for i in range(count):
        record(runs, "p", f"w{worker}-r{i}", metrics={"acc": i / count, "worker": worker},
               capture_environment=False)
""")


def test_eight_processes_fifty_runs_each(repo: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(repo), str(w), "50"],
                              stderr=subprocess.PIPE) for w in range(8)]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    ids = Runs.open(repo).ids("p")
    assert len(ids) == 400
    assert {r.name for r in ids} == {f"w{w}-r{i}" for w in range(8) for i in range(50)}
    # one commit per run, all on one line of history
    assert git(repo, "rev-list", "--count", "contexta/runs").stdout.strip() == "400"
    git(repo, "fsck", "--strict")


KILLED = textwrap.dedent("""
    import sys
    from contexta_git.record.oneshot import record
    from contexta_git.store.runs import Runs
    runs = Runs.open(sys.argv[1])
    i = 0
    while True:
        record(runs, "p", f"{sys.argv[2]}-r{i}", metrics={"acc": 0.5}, params={"i": i},
               capture_environment=False)
        i += 1
""")


def test_sigkill_mid_recording_leaves_a_consistent_branch(repo: Path) -> None:
    for attempt in range(3):
        before = len(Runs.open(repo).ids("p")) if attempt else 0
        proc = subprocess.Popen([sys.executable, "-c", KILLED, str(repo), f"a{attempt}"])
        deadline = time.monotonic() + 30
        while len(Runs.open(repo).ids("p")) < before + 3:  # killed while it is busy writing
            assert proc.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline, "the writer never committed"
            time.sleep(0.02)
        time.sleep(0.05 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # A kill that lands inside the ref update leaves git's lock file behind, exactly as
        # it would for git itself; test_stale_lock covers what the user is told then.
        (repo / ".git" / "refs" / "heads" / "contexta" / "runs.lock").unlink(missing_ok=True)
        git(repo, "fsck", "--strict")
        runs = Runs.open(repo)
        ids = runs.ids("p")
        assert ids, "nothing was recorded before the kill"
        for run_id in ids:
            data = runs.get(run_id)  # every run on the tip is whole: header and metrics
            assert data.status == "completed" and data.latest_metrics() == {"acc": 0.5}
        # the next writer continues from the tip without trouble
        record(runs, "p", f"after-kill-{attempt}", metrics={"acc": 0.5}, capture_environment=False)
        assert len(Runs.open(repo).ids("p")) == len(ids) + 1


def test_stale_lock_is_named_in_a_clear_error(repo: Path, branch_state) -> None:
    from contexta_git.errors import RefLocked

    runs = Runs.open(repo)
    record(runs, "p", "first", metrics={"acc": 0.5}, capture_environment=False)
    lock = repo / ".git" / "refs" / "heads" / "contexta" / "runs.lock"
    lock.write_text("")
    old = time.time() - 60
    os.utime(lock, (old, old))
    before = branch_state()
    try:
        record(runs, "p", "second", metrics={"acc": 0.5}, capture_environment=False)
    except RefLocked as exc:
        assert str(exc).startswith(f"{lock} is held (for 6")
        assert f"rm {lock}" in str(exc)
    else:
        raise AssertionError("a stale lock was ignored")
    assert branch_state() == before
    lock.unlink()
    record(runs, "p", "second", metrics={"acc": 0.5}, capture_environment=False)
    assert len(Runs.open(repo).ids("p")) == 2
