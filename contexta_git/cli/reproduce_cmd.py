"""``contexta-git reproduce``: rebuild a run's code and environment, and run it again."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import project_option, runs_of


@cli.command()
@click.argument("run")
@project_option
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to rebuild in (new or empty; default: a new temporary folder).")
@click.option("--run", "again", is_flag=True,
              help="Run the recorded command again as a new run, then diff the two runs.")
@click.pass_context
def reproduce(ctx: click.Context, run: str, project: str | None, folder: Path | None,
              again: bool) -> None:
    """Rebuild RUN: a worktree at its code commit with its kept patch applied, a virtual
    environment from its pylock.toml, and its command and params printed. Names
    whatever cannot be reproduced (exit 1)."""
    from contexta_git.record.reproduce import reproduce as rebuild

    runs = runs_of(ctx)
    target = folder or Path(tempfile.mkdtemp(prefix="contexta-reproduce-"))
    result = rebuild(runs, run, target, run=again, project=project)
    from contexta_git.cli.render import reproduction

    reproduction(result)
    if result.new_run is not None:
        from contexta_git.analysis.compare import compare_runs
        from contexta_git.cli.render_analysis import comparison

        comparison(compare_runs(runs, result.run, result.new_run), False)
        if result.exit_code:
            ctx.exit(result.exit_code)
    if result.gaps:
        ctx.exit(1)
