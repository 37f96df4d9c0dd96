"""Crash injection: certify is killed (SIGKILL) at every step, and the certificate and its
tag are never left broken: either verify finds the pair VALID, or running the same
certify again completes it (and verify then finds it VALID).

Every durable write certify makes is a link(2) or rename(2) in the object store or the
refs folder (objects, the signed tag object, the branch move), or a git it starts (the
tag ref), so strace kills the real process as it enters the Nth such call or the Nth
start of a subprocess, for every N. Without strace, the process is killed after a sweep
of delays across its run instead.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contexta_git.release.certify import certify
from contexta_git.release.finish import UnsealedMismatch
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_POLICY, invoke, seed_run, write

WRITES = "link,linkat,rename,renameat,renameat2,clone,clone3,vfork,fork"


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    done = subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"], capture_output=True,
                          check=False)
    return done.returncode == 0


@pytest.fixture
def prepared(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setattr("contexta_git.git.branch.LOCK_WAIT", 0.3)  # a killed writer's lock
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    seed_run(repo)
    return repo, write(tmp_path, SEED_POLICY)


def command(repo: Path, policy: Path) -> list[str]:
    return [sys.executable, "-m", "contexta_git", "--repo", str(repo), "certify", "fraud",
            "--policy", str(policy), "--client", "C", "--model", "M", "--id", "fs"]


def recover(repo: Path, policy: Path) -> str:
    """Check the state a kill left, finish it the way a user would; returns that state."""
    git(repo, "fsck", "--strict")
    code, out, _ = invoke(repo, "verify", "fs")
    if code == 0:
        state = "sealed"
    else:
        sealed = git(repo, "rev-parse", "-q", "--verify", "refs/tags/contexta/cert/fs",
                     check=False).returncode == 0
        assert not sealed, out  # a tag that exists is always a valid one
        on_branch = "certificates/fs/certificate.toml" in git(
            repo, "ls-tree", "-r", "--name-only", "contexta/runs").stdout
        state = "unsealed" if on_branch else "nothing"
        if on_branch:
            assert code == 1 and "was never sealed by its tag (certify was interrupted): run the " \
                "same certify command with --id fs again to finish it" in out, out
        code, out, err = invoke(repo, *command(repo, policy)[5:])
        if code == 2 and "remove it: rm " in err:  # killed holding a ref's lock: as advised
            Path(err.rsplit("remove it: rm ", 1)[1].strip()).unlink()
            state += ", lock left"
            code, out, err = invoke(repo, *command(repo, policy)[5:])
        assert code == 0, (state, out, err)
        code, out, _ = invoke(repo, "verify", "fs")
        assert code == 0, (state, out)
    git(repo, "tag", "-v", "contexta/cert/fs")
    added = git(repo, "log", "--format=%H", "--diff-filter=A", "contexta/runs", "--",
                "certificates/fs/certificate.toml").stdout.split()
    assert added == [git(repo, "rev-parse", "contexta/cert/fs^{commit}").stdout.strip()]
    return state


@pytest.mark.skipif(not _strace_works(), reason="strace cannot trace processes here")
def test_kill_at_every_durable_write_of_certify(prepared: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    repo, policy = prepared
    probe = tmp_path / "probe"
    shutil.copytree(repo, probe)
    log = tmp_path / "writes.log"
    subprocess.run(["strace", "-qq", "-o", str(log), "-e", f"trace={WRITES}",
                    *command(probe, policy)], check=True, capture_output=True)
    events = [line.split("(")[0] for line in log.read_text().splitlines()]
    events = [name for name in events if name in WRITES.split(",")]
    assert {"link", "rename", "vfork"} <= set(events)  # objects, branch, signing and tag ref
    first_write = min(events.index(name) for name in ("link", "rename") if name in events)
    states = []
    for n, name in enumerate(events):
        if 0 < n < first_write:
            continue  # before anything is written, one kill stands for all
        trial = tmp_path / f"trial-{n}"
        shutil.copytree(repo, trial)
        nth = events[:n + 1].count(name)  # strace counts each system call on its own
        killed = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e", f"trace={name}",
                                 "-e", f"inject={name}:signal=SIGKILL:when={nth}",
                                 *command(trial, policy)], capture_output=True, check=False)
        assert killed.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), killed
        states.append(recover(trial, policy))
    # the last step starts the git that creates the tag ref: killed there, the
    # certificate is on the branch without its tag
    assert states[-1] == "unsealed" and states[0] == "nothing", states


def test_kill_after_a_sweep_of_delays(prepared: tuple[Path, Path], tmp_path: Path) -> None:
    repo, policy = prepared
    probe = tmp_path / "probe"
    shutil.copytree(repo, probe)
    started = time.monotonic()
    subprocess.run(command(probe, policy), check=True, capture_output=True)
    whole = time.monotonic() - started
    trials = 2 if _strace_works() else 16
    for i in range(trials):
        trial = tmp_path / f"trial-{i}"
        shutil.copytree(repo, trial)
        process = subprocess.Popen(command(trial, policy), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(whole * (0.3 + 0.7 * i / trials))
        process.send_signal(signal.SIGKILL)
        process.wait()
        recover(trial, policy)


def test_finishing_refuses_a_different_command(prepared: tuple[Path, Path],
                                               tmp_path: Path) -> None:
    """An untagged certificate is sealed only for the very command that issued it."""
    repo, policy = prepared
    runs = Runs.open(repo)
    done = certify(runs, "fraud", parse_policy(SEED_POLICY), client="C", model="M", cert_id="fs")
    git(repo, "update-ref", "-d", done.tag)  # what a kill before the tag ref leaves
    before = git(repo, "rev-parse", "contexta/runs").stdout
    with pytest.raises(UnsealedMismatch) as caught:
        certify(runs, "fraud", parse_policy(SEED_POLICY), client="Other", model="M",
                cert_id="fs")
    assert str(caught.value) == (
        f"certificates/fs/ is on the runs branch without its tag (certify was interrupted at "
        f"commit {done.commit[:12]}), but it was issued with a different client: repeat that "
        "command exactly to finish it, or choose another --id")
    code, _, err = invoke(repo, *command(repo, policy)[5:-6], "--client", "C", "--model", "M2",
                          "--id", "fs")
    assert code == 2 and "issued with a different model" in err
    assert git(repo, "rev-parse", "contexta/runs").stdout == before
    assert git(repo, "tag", "-l").stdout == ""
    finished = certify(runs, "fraud", parse_policy(SEED_POLICY), client="C", model="M",
                       cert_id="fs")
    assert finished.commit == done.commit and finished.document == done.document
    assert invoke(repo, "verify", "fs")[0] == 0
    assert git(repo, "rev-parse", "contexta/runs").stdout == before
