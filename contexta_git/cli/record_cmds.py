"""Writing commands: init, record, run."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, runs_of

dataset_option = click.option(
    "--dataset", "datasets", multiple=True, metavar="NAME[@VERSION]=PATH",
    help="A dataset file or folder, fingerprinted (sha256, git blob id); repeatable.")
artifact_option = click.option(
    "--artifact", "artifacts", multiple=True, metavar="PATH",
    help="An output file (a model), fingerprinted; with run, read after the command; repeatable.")


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the contexta/runs branch (optional: the first record creates it too)."""
    from contexta_git.store.init import init as do_init

    created, tip = do_init(runs_of(ctx))
    click.echo(f"{'Created' if created else 'Already there:'} contexta/runs at {tip[:12]}")


@cli.command()
@click.option("--project", "-p", required=True, help="Project name.")
@click.option("--name", "-n", required=True, help="Run name, unique within the project.")
@click.option("--stage", help="Stage the metrics belong to (e.g. evaluate).")
@click.option("--metric", "metrics", multiple=True, metavar="KEY=VALUE", help="A metric; repeatable.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A param; repeatable.")
@click.option("--metrics-file", multiple=True, type=click.Path(dir_okay=False),
              help="JSON, TOML or YAML file of metrics; nested tables become dotted keys.")
@click.option("--params-file", multiple=True, type=click.Path(dir_okay=False),
              help="JSON, TOML or YAML file of params.")
@click.option("--event", "events", multiple=True, metavar="KEY=MESSAGE", help="An event; repeatable.")
@dataset_option
@artifact_option
@click.option("--no-environment", is_flag=True, help="Do not capture the Python environment.")
@json_option
@click.pass_context
def record(ctx: click.Context, project: str, name: str, stage: str | None, metrics: tuple[str, ...],
           params: tuple[str, ...], metrics_file: tuple[str, ...], params_file: tuple[str, ...],
           events: tuple[str, ...], datasets: tuple[str, ...], artifacts: tuple[str, ...],
           no_environment: bool, as_json: bool) -> None:
    """Record a completed run with these metrics, params and events, in one commit."""
    from contexta_git.record import inputs
    from contexta_git.record.oneshot import DataFile
    from contexta_git.record.oneshot import record as do_record
    from contexta_git.cli.views import run_dict

    values = inputs.metrics_args(metrics, metrics_file)
    settings = inputs.params_args(params, params_file)
    notes = dict(inputs.pairs(events, "event"))
    runs = runs_of(ctx)
    run_id = do_record(runs, project, name, metrics=values, params=settings, events=notes,
                       stage=stage, capture_environment=not no_environment,
                       datasets=[DataFile.parse(d) for d in datasets], artifacts=artifacts)
    if as_json:
        echo_json(run_dict(runs.get(run_id)))
    else:
        click.echo(f"Recorded {run_id.ref}: {len(values)} metrics, {len(settings)} params")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--project", "-p", required=True, help="Project name.")
@click.option("--name", "-n", required=True, help="Run name, unique within the project.")
@click.option("--metrics-file", type=click.Path(dir_okay=False),
              help="Metrics file the command writes (JSON, TOML or YAML); read when it ends.")
@click.option("--stage", help="Stage the metrics file belongs to.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A param; repeatable.")
@dataset_option
@artifact_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(ctx: click.Context, project: str, name: str, metrics_file: str | None, stage: str | None,
        params: tuple[str, ...], datasets: tuple[str, ...], artifacts: tuple[str, ...],
        command: tuple[str, ...]) -> None:
    """Run COMMAND (after --) as a recorded run: environment, source, duration, exit
    status and the metrics file it wrote. Exits with the command's own status."""
    from contexta_git.record import inputs
    from contexta_git.record.oneshot import DataFile, run_command

    result = run_command(runs_of(ctx), project, name, command, metrics_file=metrics_file,
                         params=inputs.params_args(params, ()), stage=stage,
                         datasets=[DataFile.parse(d) for d in datasets], artifacts=artifacts)
    data = result.run
    if result.problem:
        click.echo(f"Warning: {result.problem}; the run is marked failed", err=True)
    if result.interrupted:
        click.echo(f"Interrupted by {result.interrupted}; the run is marked failed", err=True)
    click.echo(f"Recorded {data.ref}: {data.status}, exit {result.exit_code}, "
               f"{result.seconds:.1f}s, {len(data.metrics)} metrics", err=True)
    ctx.exit(result.status)
