"""Reading commands: runs, show."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of, warn_skipped


@cli.command()
@project_option
@click.option("--status", type=click.Choice(["running", "completed", "failed"]),
              help="Only runs with this status.")
@click.option("--started-between", nargs=2, metavar="START END",
              help="Only runs started in this window: ISO dates or date-times (UTC unless an "
                   "offset is given); an END date includes that whole day.")
@click.option("--event", help="Only runs holding an event with this key.")
@click.option("--metric", metavar="CONDITION", help="Only runs whose latest value matches, "
              "e.g. 'auc>=0.9' (> >= < <= == !=).")
@click.option("--include-quarantined", is_flag=True, help="List quarantined runs too.")
@click.option("--quarantined", "only_quarantined", is_flag=True, help="List only quarantined runs.")
@click.option("--sort", metavar="METRIC", help="Sort by METRIC, highest first (runs without it "
              "are left out).")
@click.option("--min", "lowest", is_flag=True, help="With --sort: lowest first.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Only the N newest runs "
              "(with --sort: the N first), read without reading the others.")
@json_option
@click.pass_context
def runs(ctx: click.Context, project: str | None, status: str | None,
         started_between: tuple[str, str] | None, event: str | None, metric: str | None,
         include_quarantined: bool, only_quarantined: bool, sort: str | None, lowest: bool,
         limit: int | None, as_json: bool) -> None:
    """List recorded runs, newest first (or best first with --sort)."""
    from contexta_git.analysis.listing import list_runs

    keep = True if only_quarantined else (None if include_quarantined else False)
    found = list_runs(runs_of(ctx), project, status=status, started_between=started_between,
                      event=event, metric=metric, quarantined=keep, sort=sort,
                      descending=not lowest, detail=True, limit=limit)
    warn_skipped(found.skipped)
    if not sort:
        found.reverse()
    if as_json:
        echo_json([r.to_dict() for r in found])
        return
    from contexta_git.cli.render import runs_table

    filtered = any((status, started_between, event, metric, only_quarantined))
    runs_table(found, "No runs match these filters." if filtered else "No runs recorded yet.")


@cli.command()
@click.argument("run")
@project_option
@json_option
@click.pass_context
def show(ctx: click.Context, run: str, project: str | None, as_json: bool) -> None:
    """Show everything recorded for RUN (run:<project>.<name>, <project>.<name> or a name)."""
    from contexta_git.cli.views import run_dict

    store = runs_of(ctx)
    data = store.get(store.resolve(run, project))
    if as_json:
        echo_json(run_dict(data))
        return
    from contexta_git.cli.render import run_detail

    run_detail(data)
