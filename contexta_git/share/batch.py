"""Pushes at most once per interval: ``push --every DURATION`` and ``push-every``.

Hosts limit pushes (see the README), and a cluster whose every job pushes its run at
once would be throttled. With an interval, a push either goes now (none went in the
last interval) or is queued: one sender, started in the background, waits until the
interval is over and then pushes whatever contexta/runs holds by then, so every run
queued meanwhile travels in that one push. The state lives in the common git dir
(``contexta-push/<remote>.json``: when the last push started and when the queued one
is due), read and written under an exclusive lock, so hooks and jobs running at once
agree on who sends. The sender appends one line per push to ``<remote>.log`` there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contexta_git.errors import ContextaError
from contexta_git.share.sync import DEADLINE, PushResult, push
from contexta_git.store.runs import Runs

STATE = "contexta-push"
LATE = 60.0  # a queued push this late means its sender died: a new one is started
POLL = 5.0  # the sender re-reads the state at least this often while it waits


@dataclass(frozen=True)
class Queued:
    """A push left for the background sender, due at ``due`` (seconds since the epoch)."""

    remote: str
    due: float
    started_sender: bool  # False: a sender was already waiting


def push_every(runs: Runs, remote: str, every: float, *, deadline: float = DEADLINE,
               writer: str | None = None,
               progress: Callable[[int, int | None, str], None] | None = None,
               ) -> PushResult | Queued:
    """Push now when no push went to ``remote`` in the last ``every`` seconds, else queue."""
    folder = runs.store.common_dir / STATE
    with _locked(folder, remote) as state:
        now = time.time()
        last, due = state.get("last"), state.get("due")
        if last is None or now - last >= every:
            state.update(last=now, due=None)
        else:
            fresh = due is not None and due > now - LATE
            if not fresh:
                state["due"] = last + every
                _start_sender(runs.store.workdir or runs.store.git_dir, remote, every, deadline,
                              writer)
            queued = state["due"]
            assert queued is not None
            return Queued(remote, queued, not fresh)
    return push(runs, remote, deadline=deadline, writer=writer, progress=progress)


def send_when_due(runs: Runs, remote: str, every: float, deadline: float,
                  writer: str | None) -> str:
    """The background sender: wait for the queued push's turn, then push (one log line)."""
    folder = runs.store.common_dir / STATE
    while True:
        with _locked(folder, remote) as state:
            now, due = time.time(), state.get("due")
            if due is None:
                return "sent by another process"
            if now >= due:
                state.update(last=now, due=None)
                break
        time.sleep(min(POLL, max(0.05, due - now)))  # re-read: another may send first
    try:
        done = push(runs, remote, deadline=deadline, writer=writer)
        line = (f"pushed {done.tip[:12]} to {remote} ({done.attempts} attempt"
                f"{'s' * (done.attempts != 1)}, {done.seconds:.1f} s)")
    except ContextaError as exc:
        line = f"push to {remote} failed: {exc}"
    with (folder / f"{remote}.log").open("a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}\n")
    return line


@contextmanager
def _locked(folder: Path, remote: str) -> Iterator[dict[str, float | None]]:
    """The state of ``remote``'s pushes, under an exclusive lock; written back on exit."""
    import fcntl

    folder.mkdir(exist_ok=True)
    path = folder / f"{remote.replace('/', '_')}.json"
    with (folder / f"{path.stem}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError):
            state = {}  # an unreadable state only costs one early push
        before = dict(state)
        yield state
        if state != before:
            path.write_text(json.dumps(state))


def _start_sender(repo: Path, remote: str, every: float, deadline: float,
                  writer: str | None) -> None:
    """Start the sender detached from this process (a hook or a job may exit at once)."""
    argv = [sys.executable, "-m", "contexta_git.share.batch", str(repo), remote,
            repr(every), repr(deadline), writer or ""]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.Popen(argv, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _main(argv: list[str]) -> int:
    repo, remote, every, deadline, writer = argv
    send_when_due(Runs.open(repo), remote, float(every), float(deadline), writer or None)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
