"""SIGINT and SIGTERM while ``run`` wraps a command: noted, passed on, never fatal to us.

While the command runs, contexta-git must outlive it to record how it ended, and the
command must get each signal exactly once. At a terminal, where we are the foreground
process group, the command shares our group: a Ctrl-C reaches it from the terminal, so
SIGINT is not passed on (``uv run`` follows the same rule); SIGTERM, which no terminal
sends, is. Anywhere else (CI, a supervisor, ``nohup``) the command gets a process group
of its own and every SIGINT or SIGTERM we receive, sent to us alone or to our whole
group, is passed on once. Either way the signal is remembered and the run ends
``failed`` with a ``run.interrupted`` event once the command has exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
import threading
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """A context manager: ``caught`` is the first signal received inside it (or None)."""

    def __init__(self) -> None:
        self.caught: signal.Signals | None = None
        self.child: subprocess.Popen[Any] | None = None
        self._previous: dict[int, Any] = {}
        self._at_terminal = False

    @property
    def name(self) -> str | None:
        return self.caught.name if self.caught is not None else None

    @property
    def exit_code(self) -> int | None:
        """What a shell reports for a process a signal ended: 128 + its number."""
        return 128 + int(self.caught) if self.caught is not None else None

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def popen(self, command: list[str], env: dict[str, str],
              cwd: Path | None = None) -> subprocess.Popen[bytes]:
        """Start the command: in our process group at a terminal, else in its own."""
        self._at_terminal = _foreground()
        self.child = subprocess.Popen(command, env=env, cwd=cwd,
                                      process_group=None if self._at_terminal else 0)
        return self.child

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.caught is None:
            self.caught = signal.Signals(number)
        child = self.child
        if child is None or child.returncode is not None:
            return
        if number == signal.SIGINT and self._at_terminal:
            return  # the terminal sent it to the command too
        try:
            child.send_signal(number)
        except OSError:  # it has just exited
            pass


def _foreground() -> bool:
    """Whether we have a controlling terminal and are its foreground process group."""
    try:
        tty = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(tty) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(tty)
