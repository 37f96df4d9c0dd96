"""Runs in from other trackers and out to them: import mlflow, import dvclive, export mlflow."""

from __future__ import annotations

from typing import Any

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, runs_of
from contexta_git.cli.text import echo

uri_option = click.option(
    "--tracking-uri", metavar="URI",
    help="The MLflow store: an mlruns folder, sqlite:///PATH.db or a server's URL "
         "(default: MLFLOW_TRACKING_URI, else ./mlruns).")


@cli.group("import")
def import_group() -> None:
    """Bring runs in from another tracker; importing again adds only what is new."""


@import_group.command("mlflow")
@uri_option
@click.option("--experiment", "experiments", multiple=True, metavar="NAME",
              help="An experiment to import (default: every active one); repeatable.")
@click.option("--no-artifacts", is_flag=True, help="Do not download and fingerprint artifacts.")
@json_option
@click.pass_context
def import_mlflow(ctx: click.Context, tracking_uri: str | None, experiments: tuple[str, ...],
                  no_artifacts: bool, as_json: bool) -> None:
    """Import an MLflow store's runs: each experiment a project; names, params, tags,
    status, times, source commit, datasets and every metric's full history."""
    from contexta_git.share.import_mlflow import import_mlflow as do_import

    outcome = do_import(runs_of(ctx), tracking_uri, experiments, artifacts=not no_artifacts)
    _report(outcome, "Imported", as_json)


@import_group.command("dvclive")
@click.argument("folder", type=click.Path())
@click.option("--project", "-p", required=True, help="Project name.")
@click.option("--name", "-n", help="Run name (default: dvclive- and the start of the digest "
              "of the files read).")
@json_option
@click.pass_context
def import_dvclive(ctx: click.Context, folder: str, project: str, name: str | None,
                   as_json: bool) -> None:
    """Import the folder DVCLive wrote (metrics.json, params.yaml, plots/metrics/*.tsv)
    as one run."""
    from contexta_git.share.import_dvclive import import_dvclive as do_import

    _report(do_import(runs_of(ctx), folder, project, name), "Imported", as_json)


@cli.group("export")
def export_group() -> None:
    """Write runs into another tracker's store; exporting again adds only what is new."""


@export_group.command("mlflow")
@uri_option
@click.option("--project", "-p", "projects", multiple=True,
              help="A project to export (default: all); repeatable.")
@json_option
@click.pass_context
def export_mlflow(ctx: click.Context, tracking_uri: str | None, projects: tuple[str, ...],
                  as_json: bool) -> None:
    """Write runs into an MLflow store: each project an experiment; names, params, tags,
    status, times, source and every series point with its step and time."""
    from contexta_git.share.export_mlflow import export_mlflow as do_export

    _report(do_export(runs_of(ctx), tracking_uri, projects), "Exported", as_json)


def _report(outcome: Any, verb: str, as_json: bool) -> None:
    if as_json:
        echo_json({verb.lower(): list(outcome.written), "skipped": list(outcome.skipped)})
        return
    for ref in outcome.written:
        echo(f"{verb} {ref}")
    echo(f"{verb} {len(outcome.written)} runs; {len(outcome.skipped)} already there")
