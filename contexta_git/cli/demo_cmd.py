"""``contexta-git demo``: the main job end to end, in a throwaway repository."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from .main import cli


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False), default=None,
              help="Build the demo repository in this folder and keep it.")
def demo(keep: str | None) -> None:
    """Record runs in a throwaway repository, then list and show them."""
    from .. import demo as d
    from ..listing import list_runs
    from .render import run_detail, runs_table

    with tempfile.TemporaryDirectory(prefix="contexta-git-demo-") as tmp:
        root = Path(keep) if keep else Path(tmp)
        repo = d.make_repository(root)
        click.secho(f"== 1. A repository with a training script: {repo}", bold=True)
        refs = d.record_runs(repo)
        click.secho(f"== 2. Recorded {len(refs)} runs on branch contexta/runs", bold=True)
        runs = d.runs(repo)
        runs_table(list_runs(runs, d.PROJECT))
        click.secho(f"== 3. Everything recorded for {refs[0]}", bold=True)
        run_detail(runs.get(runs.resolve(refs[0])))
        from .cert_render import demo_release_steps
        demo_release_steps(repo, refs[0], 4)
        click.echo(f"\nDemo finished: {len(refs)} runs recorded, working tree untouched.")
