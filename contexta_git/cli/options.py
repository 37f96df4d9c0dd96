"""Options that several commands share, spelled once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
project_option = click.option("--project", "-p", help="Project name.")


def runs_of(ctx: click.Context) -> Any:
    """The Runs of the repository chosen with --repo (or the current folder)."""
    from contexta_git.store.runs import Runs

    return Runs.open(ctx.obj.get("repo") if ctx.obj else None)


def echo_json(value: Any) -> None:
    """Every --json output passes here: strict RFC 8259 JSON (core/jsonout.py)."""
    from contexta_git.core.jsonout import dumps

    click.echo(dumps(value))


def warn_skipped(problems: Iterable[Any]) -> None:
    """One warning on stderr per unreadable run a listing left out (schema.RunProblem)."""
    from contexta_git.cli.text import echo

    for problem in problems:
        echo(f"Warning: skipped {problem.message}", err=True)


def write_output(path: str, text: str) -> None:
    """Write a report or card to ``path``, or fail with one line naming the problem."""
    from pathlib import Path

    from contexta_git.errors import InvalidValue

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidValue(f"cannot write {path}: {exc.strerror or exc}") from exc
