"""Six processes moving one alias at the same moment: every move is kept, and each names
as its previous target the move it really replaced (read inside the transaction)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from contexta_git import alias_history, set_alias
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs
from tests.conftest import git

WORKERS = 6


def _mover(repo: str, worker: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    runs = Runs.open(repo)
    barrier.wait()
    for turn in range(2):
        set_alias(runs, "p@champion", f"r{(worker + turn) % 3}", reason=f"w{worker} t{turn}",
                  sign=False)


def test_racing_moves_form_one_chain(tmp_path: Path) -> None:
    for trial in range(2):
        repo = tmp_path / f"t{trial}"
        git(tmp_path, "init", "-q", str(repo))
        runs = Runs.open(repo)
        for i in range(3):
            record(runs, "p", f"r{i}", metrics={"acc": 0.5}, capture_environment=False)
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(WORKERS)
        procs = [ctx.Process(target=_mover, args=(str(repo), w, barrier)) for w in range(WORKERS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * WORKERS
        entries = alias_history(Runs.open(repo), "p@champion").entries
        assert len(entries) == 2 * WORKERS, f"trial {trial}"
        # replay the ledger in commit order: each move replaced the one before it
        order = git(repo, "log", "--reverse", "--format=%s", "contexta/runs").stdout.splitlines()
        assert sum(line.startswith("alias p@champion") for line in order) == 2 * WORKERS
        by_id = {e["id"]: e for e in entries}
        firsts = [e for e in entries if "previous_id" not in e]
        assert len(firsts) == 1
        followers = [e["previous_id"] for e in entries if "previous_id" in e]
        assert len(set(followers)) == len(followers) == 2 * WORKERS - 1
        for e in entries:
            if "previous_id" in e:
                assert by_id[e["previous_id"]]["run"] == e["previous"]
        git(repo, "fsck", "--strict")
