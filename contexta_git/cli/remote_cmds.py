"""Sharing beyond one push: ingest (writers' incoming refs) and bundle (no network)."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import runs_of
from contexta_git.cli.text import echo


@cli.command()
@click.argument("remote", default="origin")
@click.option("--deadline", metavar="DURATION", help="How long the push of the merged runs "
              "keeps retrying (default: push-deadline, else 1m).")
@click.pass_context
def ingest(ctx: click.Context, remote: str, deadline: str | None) -> None:
    """Merge every writer's refs/contexta/incoming/* on REMOTE into its contexta/runs, push,
    and delete the incoming refs merged (run by one scheduled job)."""
    from contexta_git.cli.progress import progress
    from contexta_git.share.ingest import ingest as do_ingest
    from contexta_git.share.push_config import push_config

    runs = runs_of(ctx)
    config = push_config(runs.store, None, deadline, None)
    with progress("ingest") as report:
        result = do_ingest(runs, remote, deadline=config.deadline, progress=report)
    new = len(result.pulled.added)
    if result.pushed is None:
        echo(f"{remote} has no runs and no incoming refs: nothing to ingest")
        return
    echo(f"Ingested {len(result.removed)} writer{'s' * (len(result.removed) != 1)} "
         f"({new} new run{'s' * (new != 1)}): contexta/runs at {result.pushed.tip[:12]} "
         f"on {remote}")
    if result.removed:
        echo(f"Removed incoming refs: {', '.join(result.removed)}")
    if result.kept:
        echo(f"Kept (pushed again meanwhile; next ingest): {', '.join(result.kept)}")


@cli.group()
def bundle() -> None:
    """Move runs between sites with no network: a git bundle file."""


@bundle.command("create")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--since", metavar="REF", help="Leave out REF and its history (the other site "
              "has them): a commit or tag of contexta/runs.")
@click.pass_context
def bundle_create(ctx: click.Context, file: str, since: str | None) -> None:
    """Write contexta/runs, every certificate and alias tag to FILE; the other site runs
    contexta-git pull FILE."""
    from contexta_git.share.bundle import create

    result = create(runs_of(ctx), file, since)
    what = f"since {result.since[:12]}" if result.since else "whole history"
    echo(f"Wrote {result.path}: contexta/runs at {result.tip[:12]} ({what}), "
         f"{len(result.tags)} tag{'s' * (len(result.tags) != 1)}, {result.size} bytes")
