"""Upstream Contexta's analyses on the command line: diagnose, lineage, trend, alerts."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of
from contexta_git.cli.text import echo


@cli.command()
@click.argument("run")
@project_option
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]),
              help="Exit 1 when an issue of this severity or worse is found.")
@json_option
@click.pass_context
def diagnose(ctx: click.Context, run: str, project: str | None, fail_on: str | None,
             as_json: bool) -> None:
    """Diagnose RUN with upstream Contexta's checks: degraded records, incomplete or
    metric-less stages, failed batches and deployments, missing evaluate/package stages."""
    from contexta_git.compat.interpret import diagnose_run

    result = diagnose_run(runs_of(ctx), run, project)
    if as_json:
        echo_json(result)
    else:
        echo(f"Diagnostics for {result.run_id}: {len(result.issues)} issue(s)")
        for issue in result.issues:
            echo(f"  [{issue.severity.upper()}] {issue.code}: {issue.summary}")
    ranks = {"info": 0, "warning": 1, "error": 2}
    if fail_on and any(ranks[i.severity] >= ranks[fail_on] for i in result.issues):
        ctx.exit(1)


@cli.command()
@click.argument("ref")
@project_option
@click.option("--direction", type=click.Choice(["both", "inbound", "outbound", "upstream",
                                                 "downstream"]), default="both",
              show_default=True, help="Which edges to follow from REF.")
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True,
              help="How many edges away to go.")
@json_option
@click.pass_context
def lineage(ctx: click.Context, ref: str, project: str | None, direction: str, depth: int,
            as_json: bool) -> None:
    """The recorded relations around REF (a run, artifact, deployment or any reference),
    deployments included: deployment -> run edges are ``deployed_from``."""
    from contexta_git.compat.interpret import traverse_lineage

    found = traverse_lineage(runs_of(ctx), ref, direction=direction, max_depth=depth,
                             project=project)
    if as_json:
        echo_json(found)
        return
    echo(f"Lineage of {found.root_ref}: {len(found.edges)} edge(s), "
         f"{len(found.visited_refs)} node(s)")
    for edge in found.edges:
        echo(f"  {edge.source_ref} --{edge.relation_type}--> {edge.target_ref}  "
             f"(depth {edge.depth})")


@cli.command()
@click.argument("metric")
@project_option
@click.option("--stage", help="Only values recorded in this stage (default: any stage).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="The last this many runs.")
@json_option
@click.pass_context
def trend(ctx: click.Context, metric: str, project: str | None, stage: str | None, limit: int,
          as_json: bool) -> None:
    """METRIC's latest value in each of the last runs of a project, oldest first."""
    from contexta_git.compat.interpret import get_metric_trend

    found = get_metric_trend(runs_of(ctx), metric, project=project, stage_name=stage,
                             limit=limit)
    if as_json:
        echo_json({**found.to_dict(), "values": list(found.values)})
        return
    if not found.points:
        echo(f"No run has {metric}.")
    for point in found.points:
        where = f" [{point.stage_name}]" if point.stage_name else ""
        echo(f"{point.run_id}  {point.value:g}{where}")


@cli.command()
@click.argument("run")
@click.option("--rules", "rules_file", required=True, type=click.Path(dir_okay=False),
              metavar="FILE", help="TOML file of [[rules]]: metric_key, operator "
              "(gt|lt|gte|lte|eq|ne), threshold, optional stage_name, severity, name.")
@project_option
@json_option
@click.pass_context
def alerts(ctx: click.Context, run: str, rules_file: str, project: str | None,
           as_json: bool) -> None:
    """Evaluate alert rules against RUN's latest metric values; exit 1 when one triggers."""
    from contexta_git.compat.interpret import evaluate_alerts, load_rules_file

    rules = load_rules_file(rules_file)
    results = evaluate_alerts(runs_of(ctx), run, rules, project)
    if as_json:
        echo_json(list(results))
    else:
        for r in results:
            state = "TRIGGERED" if r.triggered else "ok"
            value = "missing" if r.actual_value is None else f"{r.actual_value:g}"
            echo(f"{state:<9}  {r.severity:<7}  {r.rule_name}  (actual {value})")
    if any(r.triggered for r in results):
        ctx.exit(1)
