"""Writing commands: init, record, run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, runs_of
from contexta_git.cli.text import echo

if TYPE_CHECKING:
    from contexta_git.share.settings import SettingsFile

dataset_option = click.option(
    "--dataset", "datasets", multiple=True, metavar="NAME[@VERSION]=PATH",
    help="A dataset file or folder, fingerprinted (sha256, git blob id); repeatable.")
tag_option = click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE",
    help="A tag (free text, shown and filtered as tags.KEY); repeatable.")
artifact_option = click.option(
    "--artifact", "artifacts", multiple=True, metavar="PATH",
    help="An output file (a model), fingerprinted; with run, read after the command; repeatable.")


@cli.command()
@click.option("--project", "-p", help="Configure the post-commit hook for this project: write "
              "[tool.contexta-git] into pyproject.toml (other keys below need it).")
@click.option("--metrics", multiple=True, metavar="FILE", help="Metrics file the hook records "
              "(JSON, TOML or YAML; relative to the repository root); repeatable.")
@click.option("--params", multiple=True, metavar="FILE", help="Params file; repeatable.")
@click.option("--datasets", multiple=True, metavar="PATH", help="Dataset file or folder to "
              "fingerprint; repeatable.")
@click.option("--name", metavar="TEMPLATE", help="Run name template: {branch}, {short}, {commit}.")
@click.option("--stage", help="Stage the metrics belong to.")
@click.option("--environment/--no-environment", default=None,
              help="Capture the Python environment (the hook's default: yes).")
@click.option("--remote", metavar="REMOTE", help="In a clone: make git fetch REMOTE bring "
              "contexta/runs too, and pull its runs now.")
@click.pass_context
def init(ctx: click.Context, project: str | None, metrics: tuple[str, ...], params: tuple[str, ...],
         datasets: tuple[str, ...], name: str | None, stage: str | None,
         environment: bool | None, remote: str | None) -> None:
    """Create the contexta/runs branch (optional: the first record creates it too); with
    --project, also write or update [tool.contexta-git] in pyproject.toml, keeping the
    rest of the file byte for byte."""
    from contexta_git.store.init import init as do_init

    runs = runs_of(ctx)
    planned = None
    if project is not None:
        from contexta_git.share.settings import Settings, render_settings

        wanted = Settings(project, metrics, params, datasets, name, stage, environment)
        planned = render_settings(runs.store.workdir, wanted)
    elif metrics or params or datasets or name or stage or environment is not None:
        raise click.UsageError("--metrics, --params, --datasets, --name, --stage and "
                               "--environment configure the hook: give --project too")
    if remote is not None:
        _track(runs, remote)
    created, tip = do_init(runs)
    echo(f"{'Created' if created else 'Already there:'} contexta/runs at {tip[:12]}")
    if planned is not None:
        _save(planned)


def _track(runs: object, remote: str) -> None:
    from contexta_git.share.clone import track

    result = track(runs, remote)  # type: ignore[arg-type]
    echo(f"git fetch {remote} now brings contexta/runs ({result.refspec})" if result.added
         else f"git fetch {remote} already brings contexta/runs")
    added = len(result.pulled.added)
    if result.pulled.how != "no-remote-runs":
        echo(f"Pulled {added} run{'s' * (added != 1)} from {remote}")


def _save(planned: SettingsFile) -> None:
    from contexta_git.share.settings import save_settings

    save_settings(planned)
    what = (f"Created {planned.path} with [tool.contexta-git]" if planned.created else
            f"Updated [tool.contexta-git] in {planned.path}" if planned.updated and planned.changed
            else f"Added [tool.contexta-git] to {planned.path}" if planned.changed
            else f"[tool.contexta-git] in {planned.path} is already up to date")
    echo(f"{what}: project {planned.config.project}, "
               f"metrics {', '.join(planned.config.metrics)}")
    if planned.shadowed_by:
        echo(f"Warning: {planned.shadowed_by} also configures the hook and is read first",
                   err=True)


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
@tag_option
@dataset_option
@artifact_option
@click.option("--no-environment", is_flag=True, help="Do not capture the Python environment.")
@json_option
@click.pass_context
def record(ctx: click.Context, project: str, name: str, stage: str | None, metrics: tuple[str, ...],
           params: tuple[str, ...], metrics_file: tuple[str, ...], params_file: tuple[str, ...],
           events: tuple[str, ...], tags: tuple[str, ...], datasets: tuple[str, ...],
           artifacts: tuple[str, ...], no_environment: bool, as_json: bool) -> None:
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
                       datasets=[DataFile.parse(d) for d in datasets], artifacts=artifacts,
                       tags=dict(inputs.pairs(tags, "tag")))
    if as_json:
        echo_json(run_dict(runs.get(run_id)))
    else:
        echo(f"Recorded {run_id.ref}: {len(values)} metrics, {len(settings)} params")


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--project", "-p", required=True, help="Project name.")
@click.option("--name", "-n", required=True, help="Run name, unique within the project.")
@click.option("--metrics-file", type=click.Path(dir_okay=False),
              help="Metrics file the command writes (JSON, TOML or YAML); read when it ends.")
@click.option("--stage", help="Stage the metrics file belongs to.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A param; repeatable.")
@tag_option
@dataset_option
@artifact_option
@click.option("--system-metrics", type=click.FloatRange(0.1, 86400), metavar="SECONDS",
              help="Sample CPU, memory, disk and network I/O (and NVIDIA GPUs) every SECONDS "
              "into series under system/.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(ctx: click.Context, project: str, name: str, metrics_file: str | None, stage: str | None,
        params: tuple[str, ...], tags: tuple[str, ...], datasets: tuple[str, ...],
        artifacts: tuple[str, ...], system_metrics: float | None, command: tuple[str, ...]) -> None:
    """Run COMMAND (after --) as a recorded run: environment, source, duration, exit
    status and the metrics file it wrote. Exits with the command's own status."""
    from contexta_git.record import inputs
    from contexta_git.record.oneshot import DataFile, run_command

    result = run_command(runs_of(ctx), project, name, command, metrics_file=metrics_file,
                         params=inputs.params_args(params, ()), stage=stage,
                         datasets=[DataFile.parse(d) for d in datasets], artifacts=artifacts,
                         tags=dict(inputs.pairs(tags, "tag")), system_metrics=system_metrics)
    data = result.run
    if result.problem:
        echo(f"Warning: {result.problem}; the run is marked failed", err=True)
    if result.interrupted:
        echo(f"Interrupted by {result.interrupted}; the run is marked failed", err=True)
    echo(f"Recorded {data.ref}: {data.status}, exit {result.exit_code}, "
         f"{result.seconds:.1f}s, {len(data.metrics)} metrics", err=True)
    ctx.exit(result.status)
