"""Where long work reports how far it got, without the library ever printing.

A long step (building the run index after a fresh clone, say) calls ``report(done,
total, what)``; by default that does nothing. The CLI sets a reporter that draws a
progress bar on stderr when it is a terminal (cli/progress.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

Report = Callable[[int, "int | None", str], None]

REPORTER: ContextVar[Report | None] = ContextVar("contexta_git_progress", default=None)


def report(done: int, total: int | None, what: str) -> None:
    """Tell the current reporter (if any) that ``done`` of ``total`` ``what`` are done."""
    reporter = REPORTER.get()
    if reporter is not None:
        reporter(done, total, what)
