"""Crash injection: pull is killed (SIGKILL) at every step, and nothing recorded is lost.

A pull fetches the remote's runs to a side ref, writes the merge's objects and moves the
branch. Every durable step is a link(2) or rename(2) in the object store or the refs
folder, or a git it starts (the fetch). strace kills the real process as it enters the
Nth such call, for every N; after each kill the repository is checked with git itself:
`fsck --strict` is clean, the branch holds either exactly the old runs or all of them,
and pulling again ends with every run of both sides.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from contexta_git.record.oneshot import record
from contexta_git.share.sync import pull, push
from contexta_git.store.runs import Runs
from tests.conftest import git
from tests.release.test_certify_crash import WRITES, _strace_works

OURS = {"p.mine"}
THEIRS = {"p.theirs-1", "p.theirs-2"}


def _names(repo: Path) -> set[str]:
    return {r.id for r in Runs.open(repo).ids()}


@pytest.fixture
def diverged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone whose runs branch and its remote's have each moved since they parted."""
    monkeypatch.setattr("contexta_git.git.branch.LOCK_WAIT", 0.3)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    clones = {}
    for side in ("ours", "theirs"):
        path = tmp_path / side
        git(tmp_path, "init", "-q", str(path))
        git(path, "remote", "add", "origin", str(remote))
        clones[side] = path
    base = Runs.open(clones["theirs"])
    record(base, "p", "base", metrics={"acc": 0.1}, capture_environment=False)
    push(base, "origin")
    pull(Runs.open(clones["ours"]), "origin")
    for name in ("theirs-1", "theirs-2"):
        record(base, "p", name, metrics={"acc": 0.5}, capture_environment=False)
    push(base, "origin")
    record(Runs.open(clones["ours"]), "p", "mine", metrics={"acc": 0.9}, capture_environment=False)
    return clones["ours"]


def command(repo: Path) -> list[str]:
    return [sys.executable, "-m", "contexta_git", "--repo", str(repo), "pull", "origin"]


def check(repo: Path) -> str:
    """The state a kill left (checked with git), then pull again as a user would."""
    git(repo, "fsck", "--strict")
    before = _names(repo)
    state = "merged" if before == {"p.base"} | OURS | THEIRS else "not yet"
    assert before in ({"p.base"} | OURS, {"p.base"} | OURS | THEIRS), before
    done = subprocess.run(command(repo), capture_output=True, text=True, check=False)
    if done.returncode == 2 and "remove it: rm " in done.stderr:  # killed holding a lock
        Path(done.stderr.rsplit("remove it: rm ", 1)[1].strip()).unlink()
        state += ", lock left"
        done = subprocess.run(command(repo), capture_output=True, text=True, check=False)
    assert done.returncode == 0, (state, done.stdout, done.stderr)
    assert _names(repo) == {"p.base"} | OURS | THEIRS
    git(repo, "fsck", "--strict")
    return state


@pytest.mark.skipif(not _strace_works(), reason="strace cannot trace processes here")
def test_kill_at_every_durable_step_of_pull(diverged: Path, tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    shutil.copytree(diverged, probe)
    log = tmp_path / "steps.log"
    subprocess.run(["strace", "-qq", "-o", str(log), "-e", f"trace={WRITES}", *command(probe)],
                   check=True, capture_output=True)
    events = [line.split("(")[0] for line in log.read_text().splitlines()]
    events = [name for name in events if name in WRITES.split(",")]
    assert {"rename", "vfork"} <= set(events) or {"rename", "clone"} <= set(events), events
    states = []
    for n, name in enumerate(events):
        trial = tmp_path / f"trial-{n}"
        shutil.copytree(diverged, trial)
        nth = events[:n + 1].count(name)
        killed = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", f"trace={name}",
                                 "-e", f"inject={name}:signal=SIGKILL:when={nth}",
                                 *command(trial)], capture_output=True, check=False)
        assert killed.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), killed
        states.append(check(trial))
    # killed before anything moved, nothing moved; killed after the branch moved (at the
    # last step: the git that reads the certificate tags), the merge is whole
    assert states[0] == "not yet" and states[-1] == "merged", states
