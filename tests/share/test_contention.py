"""Many machines, one record: 16 clones pushing at once through git daemon, writers on
their own refs, and ingest. Git is the oracle (ls-tree, for-each-ref, fsck --strict).

The suite runs 16 clones x RUNS runs (3 by default, so it stays affordable on a 2-core CI
machine); ``CONTEXTA_CONTENTION_RUNS=50`` gives the full 800, as benchmarks/contention.py
measures it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from contexta_git.record.oneshot import record
from contexta_git.share.ingest import ingest
from contexta_git.share.sync import PushGaveUp, PushRejected, PushResult, backoff, pull, push
from contexta_git.store.runs import Runs

from tests.conftest import git, run_tree

CLONES = 16
RUNS = int(os.environ.get("CONTEXTA_CONTENTION_RUNS", "3"))


def _served(tmp_path: Path) -> Path:
    return tmp_path / "served" / "server.git"


def _run_count(repo: Path, ref: str = "refs/heads/contexta/runs") -> int:
    out = git(repo, "ls-tree", "-r", "--name-only", ref, check=False).stdout.split()
    return sum(p.endswith("/run.toml") for p in out)


def _clones(tmp_path: Path, url: str, count: int) -> list[Runs]:
    for k in range(count):
        git(tmp_path, "clone", "-q", url, str(tmp_path / f"c{k:02d}"))
    return [Runs.open(tmp_path / f"c{k:02d}") for k in range(count)]


def _all_at_once(clones: list[Runs], work: object) -> list[BaseException]:
    """Run ``work(k, runs)`` for every clone in its own thread, released together."""
    barrier = threading.Barrier(len(clones))
    errors: list[BaseException] = []

    def one(k: int, runs: Runs) -> None:
        barrier.wait()
        try:
            work(k, runs)  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(k, r)) for k, r in enumerate(clones)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _fsck(repo: Path) -> None:
    done = git(repo, "fsck", "--strict", "--no-dangling", check=False)
    assert done.returncode == 0, done.stderr


def test_sixteen_clones_pushing_at_once_all_land(tmp_path: Path, server: str) -> None:
    clones = _clones(tmp_path, server, CLONES)
    results: list[PushResult] = []

    def work(k: int, runs: Runs) -> None:
        for i in range(RUNS):
            record(runs, "p", f"c{k:02d}-r{i:02d}", metrics={"acc": i / 10},
                   capture_environment=False)
            results.append(push(runs, "origin"))

    assert _all_at_once(clones, work) == []
    served = _served(tmp_path)
    assert _run_count(served) == CLONES * RUNS
    assert len(results) == CLONES * RUNS
    assert any(r.attempts > 1 for r in results)  # they did contend
    assert all(r.attempts == len(r.pulled) + 1 for r in results)
    tip = git(served, "rev-parse", "refs/heads/contexta/runs").stdout.strip()
    for runs in clones:
        pull(runs, "origin")
        assert runs.store.tip() == tip
    _fsck(served)
    _fsck(Path(clones[0].store.workdir or "."))


def test_a_remote_that_moved_is_never_forced_and_the_deadline_is_kept(
        tmp_path: Path, server: str) -> None:
    a, b = _clones(tmp_path, server, 2)
    record(a, "p", "first", metrics={"acc": 1.0}, capture_environment=False)
    push(a, "origin")
    record(b, "p", "second", metrics={"acc": 2.0}, capture_environment=False)
    with pytest.raises(PushGaveUp, match=r"origin kept moving: contexta/runs not pushed "
                       r"after 1 attempts in .* \(0 merged, kept here\)"):
        push(b, "origin", deadline=0)
    served = _served(tmp_path)
    assert git(served, "rev-parse", "refs/heads/contexta/runs").stdout.strip() == a.store.tip()
    done = push(b, "origin", deadline=30)
    assert (done.attempts, len(done.pulled)) == (2, 1)
    assert _run_count(served) == 2


@pytest.mark.parametrize("attempt", [1, 2, 5, 30])
def test_backoff_is_jittered_below_a_doubling_ceiling(attempt: int) -> None:
    waits = [backoff(attempt) for _ in range(200)]
    ceiling = min(2.0, 0.05 * 2 ** (attempt - 1))
    assert all(0 <= w <= ceiling for w in waits)
    assert len(set(waits)) > 150  # spread out, not one fixed pause


def test_sixteen_writers_never_contend_and_ingest_merges_them(tmp_path: Path,
                                                              server: str) -> None:
    clones = _clones(tmp_path, server, CLONES + 1)
    writers, reader = clones[:CLONES], clones[CLONES]
    results: list[PushResult] = []

    def work(k: int, runs: Runs) -> None:
        for i in range(RUNS):
            record(runs, "p", f"w{k:02d}-r{i:02d}", metrics={"acc": i / 10},
                   capture_environment=False)
            results.append(push(runs, "origin", writer=f"w{k:02d}", retry=False))

    assert _all_at_once(writers, work) == []
    assert len(results) == CLONES * RUNS
    assert all(r.attempts == 1 and not r.pulled for r in results)  # zero rejected pushes
    served = _served(tmp_path)
    incoming = git(served, "for-each-ref", "--format=%(refname)", "refs/contexta/incoming/")
    assert len(incoming.stdout.split()) == CLONES
    assert _run_count(served) == 0  # nothing on the branch until ingest
    # a reader sees the incoming runs before any ingest
    seen = pull(reader, "origin")
    assert len(seen.writers) == CLONES
    assert _run_count(Path(reader.store.workdir or ".")) == CLONES * RUNS
    # one job ingests: everything on the branch, the incoming refs gone
    git(tmp_path, "clone", "-q", server, str(tmp_path / "job"))
    job = Runs.open(tmp_path / "job")
    done = ingest(job, "origin")
    assert len(done.removed) == CLONES and done.kept == ()
    assert _run_count(served) == CLONES * RUNS
    assert git(served, "for-each-ref", "refs/contexta/incoming/").stdout == ""
    # a writer pushes again after the ingest: a new incoming ref, merged by the next ingest
    record(writers[0], "p", "late", metrics={"acc": 1.0}, capture_environment=False)
    assert push(writers[0], "origin", writer="w00").attempts == 1
    again = ingest(job, "origin")
    assert again.removed == ("w00",) and len(again.pulled.added) == 1
    assert _run_count(served) == CLONES * RUNS + 1
    _fsck(served)


def test_ingest_with_nothing_incoming_pushes_nothing_new(tmp_path: Path, server: str) -> None:
    (job,) = _clones(tmp_path, server, 1)
    done = ingest(job, "origin")
    assert done.pushed is None and done.removed == ()
    assert run_tree(_served(tmp_path)) == []


def test_a_push_declined_for_good_is_not_retried(tmp_path: Path, server: str) -> None:
    (a,) = _clones(tmp_path, server, 1)
    hook = _served(tmp_path) / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'runs are frozen here' >&2\nexit 1\n")
    hook.chmod(0o755)
    record(a, "p", "r", metrics={"acc": 1.0}, capture_environment=False)
    with pytest.raises(PushRejected, match=r"^origin refused contexta/runs \(\[remote rejected\] "
                       r"\(pre-receive hook declined\)\); the server declined it for good"):
        push(a, "origin", deadline=60)
    assert _run_count(_served(tmp_path)) == 0


def test_cli_summaries_of_push_writer_and_ingest(tmp_path: Path, server: str) -> None:
    from click.testing import CliRunner

    from contexta_git.cli.main import cli

    a, b, job = _clones(tmp_path, server, 3)
    runner = CliRunner()
    record(a, "p", "ra", metrics={"acc": 1.0}, capture_environment=False)
    record(b, "p", "rb", metrics={"acc": 1.0}, capture_environment=False)
    assert runner.invoke(cli, ["--repo", str(tmp_path / "c00"), "push"]).exit_code == 0
    out = runner.invoke(cli, ["--repo", str(tmp_path / "c01"), "push", "--deadline", "30s"])
    lines = out.output.splitlines()
    assert out.exit_code == 0, out.output
    assert lines[0] == "origin had moved: merged 1 new run, 0 merged, pushed again"
    assert lines[1].startswith("Pushed contexta/runs at ")
    assert lines[2].startswith("2 attempts in ") and lines[2].endswith(" s, 1 merged on the way")
    # a writer set in git's configuration pushes to its own ref
    git(tmp_path / "c00", "config", "contexta.writer", "node-1")
    record(a, "p", "ra2", metrics={"acc": 1.0}, capture_environment=False)
    out = runner.invoke(cli, ["--repo", str(tmp_path / "c00"), "push"])
    assert out.exit_code == 0 and out.output.startswith(
        f"Pushed contexta/incoming/node-1 at {str(a.store.tip())[:12]} to origin\n")
    out = runner.invoke(cli, ["--repo", str(tmp_path / "c02"), "ingest"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        f"Ingested 1 writer (3 new runs): contexta/runs at {str(job.store.tip())[:12]} on origin",
        "Removed incoming refs: node-1"]
    assert _run_count(_served(tmp_path)) == 3
