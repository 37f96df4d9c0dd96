"""The one write transaction: locks, first writes, OS errors, worktrees.

Every write (record, merge, certify) goes through one compare-and-swap loop; these
tests attack it the way a crashed writer, a race or a full disk would."""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs
from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh

CLI = [sys.executable, "-m", "contexta_git"]


def cli(repo: Path, *args: str, limit_bytes: int | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([*CLI, *args], cwd=repo, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit, check=False)


def lock_path(repo: Path) -> Path:
    return repo / ".git" / "refs" / "heads" / "contexta" / "runs.lock"


def test_a_fresh_lock_stops_record_within_seconds_naming_the_file(repo: Path, branch_state) -> None:
    assert cli(repo, "record", "-p", "p", "-n", "first", "--metric", "acc=0.5").returncode == 0
    lock = lock_path(repo)
    lock.write_text("")  # fresh: a writer that died a moment ago
    before = branch_state()
    started = time.monotonic()
    done = cli(repo, "record", "-p", "p", "-n", "second", "--metric", "acc=0.5")
    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    assert str(lock) in done.stderr and "concurrent" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert branch_state() == before


def test_a_lock_never_makes_certify_sign_more_than_once(repo: Path, tmp_path: Path,
                                                        branch_state) -> None:
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    calls = tmp_path / "sign-calls"
    wrapper = tmp_path / "ssh-keygen-counting"
    wrapper.write_text(f"#!/bin/sh\necho x >> {calls}\nexec ssh-keygen \"$@\"\n")
    wrapper.chmod(0o755)
    git(repo, "config", "gpg.ssh.program", str(wrapper))
    assert cli(repo, "record", "-p", "p", "-n", "m", "--metric", "acc=0.9").returncode == 0
    policy = tmp_path / "quality.toml"
    policy.write_text('[metrics.acc]\nmin = 0.5\n')
    lock_path(repo).write_text("")
    before = branch_state()
    started = time.monotonic()
    done = cli(repo, "certify", "m", "--policy", str(policy), "--client", "c", "--model", "m.pkl")
    assert time.monotonic() - started < 15
    assert done.returncode == 2, done.stderr
    assert str(lock_path(repo)) in done.stderr
    assert not calls.exists() or len(calls.read_text().split()) <= 1
    assert branch_state() == before
    assert git(repo, "tag", "-l", "contexta/cert/*").stdout.strip() == ""
    lock_path(repo).unlink()
    done = cli(repo, "certify", "m", "--policy", str(policy), "--client", "c", "--model", "m.pkl")
    assert done.returncode == 0, done.stderr
    assert len(calls.read_text().split()) == 1


def _first_writer(repo: str, worker: int, barrier: multiprocessing.synchronize.Barrier) -> None:
    runs = Runs.open(repo)
    barrier.wait()
    for i in range(5):
        record(runs, "p", f"w{worker}-r{i}", metrics={"acc": 0.5}, capture_environment=False)


def test_concurrent_first_writes_never_recreate_the_branch(tmp_path: Path) -> None:
    """Writers racing to create contexta/runs: exactly one creates it, none is lost."""
    ctx = multiprocessing.get_context("fork")
    for trial in range(25):
        repo = tmp_path / f"t{trial}"
        git(tmp_path, "init", "-q", str(repo))
        barrier = ctx.Barrier(6)
        procs = [ctx.Process(target=_first_writer, args=(str(repo), w, barrier)) for w in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0] * 6, f"trial {trial}"
        assert len(Runs.open(repo).ids("p")) == 30, f"trial {trial}"
        roots = git(repo, "rev-list", "--max-parents=0", "contexta/runs").stdout.split()
        assert len(roots) == 1, f"trial {trial}: {len(roots)} root commits"
        created = [line for line in git(repo, "reflog", "show", "contexta/runs").stdout.splitlines()
                   if "record" in line]
        assert len(created) == 30, f"trial {trial}"


def test_a_file_size_limit_is_a_clear_error_not_a_crash(repo: Path, branch_state) -> None:
    assert cli(repo, "record", "-p", "p", "-n", "small", "--metric", "acc=0.5").returncode == 0
    before = branch_state()
    big = os.urandom(10_000).hex()  # 20 KB that compresses poorly
    done = cli(repo, "record", "-p", "p", "-n", "big", "--metric", "acc=0.5",
               "--param", f"blob={big}", limit_bytes=4096)
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "cannot write" in line and "too large" in line.lower()
    assert branch_state() == before
    git(repo, "fsck", "--strict")


def test_linked_worktree_shares_the_common_index(repo: Path, tmp_path: Path) -> None:
    assert cli(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.5").returncode == 0
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt))
    listed = cli(wt, "runs")
    assert listed.returncode == 0 and "run:p.a" in listed.stdout, listed.stderr
    assert cli(wt, "record", "-p", "p", "-n", "b", "--metric", "acc=0.6").returncode == 0
    assert "run:p.b" in cli(repo, "runs").stdout
    assert not list((repo / ".git" / "worktrees").glob("*/contexta"))
    assert (repo / ".git" / "contexta").is_dir()


@pytest.mark.parametrize("command", ["record", "quarantine"])
def test_errors_inside_a_write_leave_no_reachable_objects(repo: Path, branch_state,
                                                          command: str) -> None:
    assert cli(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.5").returncode == 0
    before = branch_state()
    args = (["record", "-p", "p", "-n", "a", "--metric", "acc=0.5"] if command == "record"
            else ["quarantine", "nosuchrun", "--reason", "x"])
    done = cli(repo, *args)
    assert done.returncode == 2
    assert branch_state() == before
