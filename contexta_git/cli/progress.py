"""Progress you can see: a rich progress display on stderr, only when stderr is a terminal.

Library functions take an optional ``progress(done, total, what)`` callback and never
print; the CLI passes the one from :func:`progress`. Piped or in CI nothing is drawn, so
logs and JSON stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

Report = Callable[[int, int | None, str], None]


def _quiet(done: int, total: int | None, what: str) -> None:
    """Reports nothing (stderr is not a terminal)."""


@contextmanager
def progress(label: str) -> Iterator[Report]:
    """A callback that draws ``label`` with a bar (known total) or a spinner."""
    if not sys.stderr.isatty():
        yield _quiet
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from contexta_git.cli.text import plain

    display = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                       TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                       console=Console(stderr=True), transient=True)
    task = display.add_task(plain(label), total=None)

    def report(done: int, total: int | None, what: str) -> None:
        fields: dict[str, Any] = {"completed": done, "total": total}
        if what:
            fields["description"] = plain(f"{label}: {what}")
        display.update(task, **fields)

    with display:
        yield report


@contextmanager
def background(label: str) -> Iterator[None]:
    """For the whole command: long library steps (core/progress.py) draw a bar on stderr
    when it is a terminal, starting only if one reports."""
    if not sys.stderr.isatty():
        yield
        return
    from contexta_git.core.progress import REPORTER

    with ExitStack() as stack:
        drawn: list[Report] = []

        def report(done: int, total: int | None, what: str) -> None:
            if not drawn:
                drawn.append(stack.enter_context(progress(label)))
            drawn[0](done, total, what)

        token = REPORTER.set(report)
        try:
            yield
        finally:
            REPORTER.reset(token)
