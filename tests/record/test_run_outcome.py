"""``contexta-git run`` always ends the run with the command's exit status recorded, and
exits with the command's status (130 when interrupted): real processes, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs

CLI = [sys.executable, "-m", "contexta_git"]
WAIT = ("import signal, sys, time\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n")


def _events(repo: Path, name: str) -> dict[str, dict[str, object]]:
    data = Runs.open(repo).get(RunId("p", name))
    return {e.key: {"message": e.message, **e.attributes} for e in data.events}


def _status(repo: Path, name: str) -> str:
    return Runs.open(repo).get(RunId("p", name)).status


@pytest.mark.parametrize("code", [0, 3])
def test_an_undecodable_metrics_file_ends_the_run_failed_with_the_commands_status(
        repo: Path, code: int) -> None:
    done = subprocess.run([*CLI, "run", "-p", "p", "-n", f"bytes{code}", "--metrics-file",
                           "out.json", "--", "sh", "-c", f"printf '\\377' > out.json; exit {code}"],
                          cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == code, done.stderr
    assert "internal error" not in done.stderr
    assert "Warning: out.json: not UTF-8 text" in done.stderr
    assert _status(repo, f"bytes{code}") == "failed"
    events = _events(repo, f"bytes{code}")
    assert events["run.exit"]["exit_code"] == code
    assert str(events["metrics.invalid"]["message"]).startswith("out.json: not UTF-8 text")


def _start(repo: Path, name: str, script: str = WAIT) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*CLI, "run", "-p", "p", "-n", name, "--", sys.executable, "-c",
                             script], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"  # the command is running
    return proc


@pytest.mark.parametrize("target", ["process", "group"])
def test_sigint_ends_the_run_failed_with_an_interrupted_event_and_exit_130(
        repo: Path, target: str) -> None:
    proc = _start(repo, f"int-{target}")
    if target == "group":  # what a terminal's Ctrl-C does: the whole foreground group
        os.killpg(proc.pid, signal.SIGINT)
    else:  # kill -INT on contexta-git alone: it passes the signal on
        os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "internal error" not in err and "contexta_git" not in err  # no traceback of ours
    assert "Interrupted by SIGINT; the run is marked failed" in err
    assert _status(repo, f"int-{target}") == "failed"
    events = _events(repo, f"int-{target}")
    assert events["run.exit"]["exit_code"] == 130
    assert events["run.interrupted"]["signal"] == "SIGINT"


def test_a_command_that_handles_sigint_still_leaves_an_interrupted_run(repo: Path) -> None:
    script = ("import signal, sys, time\n"
              "signal.signal(signal.SIGINT, lambda *_: sys.exit(0))\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    proc = _start(repo, "handled", script)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert _status(repo, "handled") == "failed"
    events = _events(repo, "handled")
    assert events["run.exit"]["exit_code"] == 0
    assert "run.interrupted" in events


def test_ctrl_c_at_a_terminal_reaches_the_command_once(repo: Path) -> None:
    """A real terminal (a pty): Ctrl-C goes to the foreground group, command included."""
    import pty

    script = ("import signal, sys, time\n"
              "hits = []\n"
              "def note(*_):\n"
              "    hits.append(1)\n"
              "    time.sleep(0.5)\n"  # a second SIGINT would arrive during this
              "    print(f'hits={len(hits)}', flush=True)\n"
              "    sys.exit(4)\n"
              "signal.signal(signal.SIGINT, note)\n"
              "print('ready', flush=True)\n"
              "time.sleep(60)\n")
    pid, master = pty.fork()
    if pid == 0:  # the child: contexta-git with the pty as its controlling terminal
        os.chdir(repo)
        os.execv(sys.executable, [*CLI, "run", "-p", "p", "-n", "tty", "--", sys.executable,
                                  "-c", script])
    seen = b""
    while b"ready" not in seen:
        seen += os.read(master, 1024)
    os.write(master, b"\x03")  # Ctrl-C, as typed
    while True:
        try:
            chunk = os.read(master, 1024)
        except OSError:  # the terminal closed: every process on it has exited
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert os.waitstatus_to_exitcode(status) == 130, seen
    assert b"hits=1" in seen
    events = _events(repo, "tty")
    assert events["run.exit"]["exit_code"] == 4
    assert events["run.interrupted"]["signal"] == "SIGINT"
