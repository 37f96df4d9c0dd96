"""Reading commands: runs, show."""

from __future__ import annotations

from typing import Any

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
@click.option("--metric", metavar="CONDITION", help="Only runs whose value matches, e.g. "
              "'auc>=0.9' or 'loss.min<0.1' (> >= < <= == !=; a metric is its latest value, "
              "KEY.min/.max/.first/.count aggregate a step series).")
@click.option("--include-quarantined", is_flag=True, help="List quarantined runs too.")
@click.option("--quarantined", "only_quarantined", is_flag=True, help="List only quarantined runs.")
@click.option("--sort", metavar="METRIC", help="Sort by METRIC (or an aggregate: loss.min), "
              "highest first (runs without it are left out).")
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
@click.option("--series", "key", metavar="KEY", help="Print the points of step series KEY "
              "(CSV: step,value,time_ms,stage; JSON with --json) instead of the summaries.")
@click.option("--stage", help="With --series: only the points of this stage.")
@json_option
@click.pass_context
def show(ctx: click.Context, run: str, project: str | None, key: str | None,
         stage: str | None, as_json: bool) -> None:
    """Show everything recorded for RUN (run:<project>.<name>, <project>.<name> or a name);
    step series by their summaries, their points with --series."""
    from contexta_git.cli.views import run_dict

    store = runs_of(ctx)
    run_id = store.resolve(run, project)
    if key is not None or stage is not None:
        _points(store, run_id, key, stage, as_json)
        return
    data = store.get(run_id)
    if as_json:
        echo_json(run_dict(data))
        return
    from contexta_git.cli.render import run_detail

    run_detail(data)


def _points(store: Any, run_id: Any, key: str | None, stage: str | None, as_json: bool) -> None:
    import sys

    from contexta_git.cli import render_series
    from contexta_git.errors import InvalidValue
    from contexta_git.store.series import columns

    if key is None:
        raise InvalidValue("--stage goes with --series KEY")
    blocks = columns(store.view(), run_id, key, stage)
    out = sys.stdout.buffer
    if as_json:
        render_series.write_json(out, run_id.ref, key, blocks)
    else:
        render_series.write_csv(out, blocks)
