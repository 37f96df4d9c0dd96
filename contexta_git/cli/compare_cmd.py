"""``contexta-git compare``: N runs side by side."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of
from contexta_git.cli.text import echo


@cli.command()
@click.argument("runs", nargs=-1, required=True)
@project_option
@click.option("--all", "every_row", is_flag=True, help="Show rows that do not differ too.")
@click.option("--md", "as_md", is_flag=True, help="Print a Markdown table (for pull requests).")
@json_option
@click.pass_context
def compare(ctx: click.Context, runs: tuple[str, ...], project: str | None, every_row: bool,
            as_md: bool, as_json: bool) -> None:
    """Compare two or more RUNS side by side: one column per run, metrics, params, tags,
    datasets and environment, with deltas against the first run. Only rows that differ
    unless --all. (diff A B shows two runs in detail.)"""
    from contexta_git.analysis.multi import compare_multiple_runs

    result = compare_multiple_runs(runs_of(ctx), runs, project=project, every_row=every_row)
    if as_json:
        echo_json(result.to_dict())
    elif as_md:
        echo(result.to_markdown(), document=True, nl=False)
    else:
        from contexta_git.cli.render_analysis import side_by_side

        side_by_side(result)
