"""Sharing and retention commands: push, pull, rm (and the hooks group)."""

from __future__ import annotations

import click

from .main import cli
from .options import echo_json, json_option, project_option, runs_of


@cli.command()
@click.argument("remote", default="origin")
@click.option("--no-retry", is_flag=True, help="Fail instead of pulling when the remote moved.")
@click.pass_context
def push(ctx: click.Context, remote: str, no_retry: bool) -> None:
    """Push contexta/runs and every contexta/cert/* tag to REMOTE (default origin)."""
    from ..sync import push as do_push

    result = do_push(runs_of(ctx), remote, retry=not no_retry)
    for pulled in result.pulled:
        click.echo(f"{remote} had moved: merged {_counts(pulled)}, pushed again")
    tags = f" and {', '.join(result.tags)}" if result.tags else ""
    click.echo(f"Pushed contexta/runs at {result.tip[:12]}{tags} to {remote}")


@cli.command()
@click.argument("remote", default="origin")
@json_option
@click.pass_context
def pull(ctx: click.Context, remote: str, as_json: bool) -> None:
    """Fetch REMOTE's runs and certificates and merge them into contexta/runs."""
    import dataclasses

    from ..sync import pull as do_pull

    result = do_pull(runs_of(ctx), remote)
    if as_json:
        echo_json(dataclasses.asdict(result))
        return
    what = {"no-remote-runs": f"{remote} has no runs yet", "up-to-date": "Already up to date",
            "fast-forward": f"Fast-forward: {_counts(result)}",
            "merge": f"Merged: {_counts(result)}"}[result.how]
    click.echo(what)
    for note in result.notes:
        click.echo(f"  {note}")
    if result.tags:
        click.echo(f"New certificates: {', '.join(result.tags)}")


def _counts(result: object) -> str:
    added, merged = len(getattr(result, "added", ())), len(getattr(result, "merged", ()))
    return f"{added} new run{'s' * (added != 1)}, {merged} merged"


@cli.command()
@click.argument("run", nargs=-1, required=True)
@project_option
@click.pass_context
def rm(ctx: click.Context, run: tuple[str, ...], project: str | None) -> None:
    """Remove RUN... from the tip of contexta/runs (history keeps them: see git gc)."""
    from ..rm import rm as do_rm

    result = do_rm(runs_of(ctx), run, project)
    click.echo(f"Removed {', '.join(result.removed)} from contexta/runs.")
    if result.previous:
        click.echo(f"History still holds them: git show {result.previous[:12]} has them; "
                   "see the README to drop them for good.")
