"""Reading commands: runs, show."""

from __future__ import annotations

import click

from .main import cli
from .options import echo_json, json_option, project_option, runs_of


@cli.command()
@project_option
@click.option("--status", help="Only runs with this status (running, completed, failed).")
@json_option
@click.pass_context
def runs(ctx: click.Context, project: str | None, status: str | None, as_json: bool) -> None:
    """List recorded runs, newest first."""
    from ..listing import list_runs
    from ..views import summary_dict

    found = list_runs(runs_of(ctx), project, status=status)
    if as_json:
        echo_json([summary_dict(r) for r in found])
        return
    from .render import runs_table

    runs_table(found)


@cli.command()
@click.argument("run")
@project_option
@json_option
@click.pass_context
def show(ctx: click.Context, run: str, project: str | None, as_json: bool) -> None:
    """Show everything recorded for RUN (run:<project>.<name>, <project>.<name> or a name)."""
    from ..views import run_dict

    store = runs_of(ctx)
    data = store.get(store.resolve(run, project))
    if as_json:
        echo_json(run_dict(data))
        return
    from .render import run_detail

    run_detail(data)
