"""Progress is drawn on stderr only when stderr is a terminal; pipes stay clean."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from contexta_git.record.oneshot import record
from contexta_git.share.sync import push
from contexta_git.store.runs import Runs
from tests.conftest import two_clones

CLI = [sys.executable, "-m", "contexta_git"]


def _pull(repo: Path, terminal: bool) -> tuple[int, str, str]:
    if not terminal:
        done = subprocess.run([*CLI, "pull"], cwd=repo, capture_output=True, text=True,
                              check=False)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([*CLI, "pull"], cwd=repo, stdout=subprocess.PIPE, stderr=follower,
                            env=env)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(60)
    os.close(leader)
    return code, out, drawn.decode(errors="replace")


def test_pull_draws_progress_on_a_terminal_only(tmp_path: Path) -> None:
    a, b = two_clones(tmp_path)
    runs = Runs.open(a)
    record(runs, "p", "r1", metrics={"acc": 0.5}, capture_environment=False)
    push(runs)
    code, out, err = _pull(b, terminal=False)
    assert code == 0 and out.startswith("Fast-forward: 1 new run") and err == "", err
    record(runs, "p", "r2", metrics={"acc": 0.6}, capture_environment=False)
    push(runs)
    code, out, drawn = _pull(b, terminal=True)
    assert code == 0 and out.startswith("Fast-forward: 1 new run"), out
    assert "pull: fetching from origin" in drawn or "pull: merging runs" in drawn, drawn
