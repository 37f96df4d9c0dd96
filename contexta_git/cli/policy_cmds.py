"""The policy group: write a first quality policy from a run's metrics."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import project_option, runs_of
from contexta_git.cli.text import echo


@cli.group()
def policy() -> None:
    """Quality policies: the files gate and certify check runs against."""


@policy.command("init")
@click.argument("run")
@click.option("--output", "-o", default="quality.toml", show_default=True,
              type=click.Path(dir_okay=False), help="Policy file to write.")
@click.option("--force", is_flag=True, help="Overwrite the file when it exists.")
@project_option
@click.pass_context
def policy_init(ctx: click.Context, run: str, output: str, force: bool,
                project: str | None) -> None:
    """Write a commented policy from RUN's metrics.

    One check per metric, its bound set to the value RUN recorded (min, or max for
    loss-, error- and cost-like names), so RUN passes the policy as written; then edit
    the bounds. An existing file is kept unless --force."""
    from pathlib import Path

    from contexta_git.core.files import replace_file
    from contexta_git.release.scaffold import scaffold

    runs = runs_of(ctx)
    data = runs.get(runs.resolve(run, project))
    replace_file(Path(output), scaffold(data, output).encode("utf-8"), overwrite=force)
    echo(f"Wrote {output} from {data.ref}; edit the bounds, then: "
               f"contexta-git gate {data.ref} --policy {output}")
