"""Reading commands: runs, show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of, warn_skipped
from contexta_git.cli.text import echo


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
@click.option("--filter", "where", metavar="EXPR", help="Only runs for which EXPR holds, e.g. "
              "\"evaluate.auc > 0.9 and params.lr < 0.01\" (and, or, not, == != < <= > >=, in, "
              "like; see the README).")
@click.option("--include-quarantined", is_flag=True, help="List quarantined runs too.")
@click.option("--quarantined", "only_quarantined", is_flag=True, help="List only quarantined runs.")
@click.option("--columns", metavar="COLS", help="Comma-separated columns or patterns, e.g. "
              "'params.*,evaluate.auc,env.python' (default: run, status, started, every "
              "metric and param).")
@click.option("--only-changed", is_flag=True, help="Leave out columns equal in every run.")
@click.option("--sort", metavar="COLS", help="Comma-separated columns, '-' before one for "
              "descending, e.g. -evaluate.auc,params.lr (runs without a value go last).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Only the first N runs "
              "(the N newest unless sorted), read without reading the others when possible.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "md", "json"]),
              default="table", show_default=True, help="Output format (json: one object a run "
              "with the chosen columns, streamed).")
@json_option
@click.pass_context
def runs(ctx: click.Context, project: str | None, status: str | None,
         started_between: tuple[str, str] | None, event: str | None, metric: str | None,
         where: str | None, include_quarantined: bool, only_quarantined: bool,
         columns: str | None, only_changed: bool, sort: str | None, limit: int | None,
         fmt: str, as_json: bool) -> None:
    """The run table, newest first: filter, sort and choose columns (params, tags,
    datasets, environment, metrics and series aggregates)."""
    from contexta_git.analysis import table
    from contexta_git.analysis.listing import list_runs
    from contexta_git.cli import table_out

    keep = True if only_quarantined else (None if include_quarantined else False)
    fast = limit if not (where or sort) else None  # the N newest, read from the index alone
    narrow = table.sql_superset(where)  # the runs SQL can rule out are never decoded
    found = list_runs(runs_of(ctx), project, status=status, started_between=started_between,
                      event=event, metric=metric, quarantined=keep, detail=True, limit=fast,
                      prefilter=narrow)
    rows = list(reversed(found))
    available = table.columns_of(rows)
    if narrow and not table.columns_known(where, available):  # known in runs SQL left out?
        found = list_runs(runs_of(ctx), project, status=status, started_between=started_between,
                          event=event, metric=metric, quarantined=keep, detail=True)
        rows = list(reversed(found))
        available = table.columns_of(rows)
    warn_skipped(found.skipped)
    rows = list(table.filter_rows(rows, where, available))
    rows = table.sort_rows(rows, table.parse_sort(sort, available))[:limit]
    if as_json:  # each run's whole summary, streamed compact, one run a line
        table_out.write_records(r.to_dict() for r in rows)
        return
    chosen = table.select_columns(columns, available)
    if only_changed:
        chosen = table.changed_only(rows, chosen)
    if not rows and fmt == "table":
        filtered = any((status, started_between, event, metric, where, only_quarantined))
        echo("No runs match these filters." if filtered else _nothing_here(ctx))
        return
    table_out.write(rows, chosen, _shown if fmt in ("table", "md") else table.getter, fmt)


def _nothing_here(ctx: click.Context) -> str:
    """No runs: but a clone may hold a remote's runs it has not merged yet."""
    from contexta_git.share.clone import remote_copies

    store = runs_of(ctx).store
    remotes = remote_copies(store) if store.tip() is None else []
    if not remotes:
        return "No runs recorded yet."
    return (f"No runs here yet, but {', '.join(remotes)} has runs: run contexta-git pull "
            f"{remotes[0]} (or contexta-git init --remote {remotes[0]} to fetch them always)")


def _shown(column: str) -> Callable[[Any], Any]:
    """What reads a cell as people read it: dates to the second, the quarantine marker by
    the status."""
    from contexta_git.analysis import table

    read = table.getter(column)
    if column in table.DATES:
        def date(row: Any) -> Any:
            value = read(row)
            return value[:19].replace("T", " ") if isinstance(value, str) else value
        return date
    if column == "status":
        return lambda row: f"{read(row)} [quarantined]" if row.quarantined else read(row)
    return read


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
