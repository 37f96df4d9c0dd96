"""Analysis commands: diff, audit, best, report, annotate, quarantine."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import (
    echo_json, json_option, project_option, runs_of, warn_skipped, write_output,
)
from contexta_git.cli.text import echo


@cli.command()
@click.argument("run_a")
@click.argument("run_b")
@project_option
@click.option("--all", "show_all", is_flag=True, help="Show unchanged metrics too.")
@click.option("--md", "as_md", is_flag=True, help="Print Markdown (for pull-request comments).")
@json_option
@click.pass_context
def diff(ctx: click.Context, run_a: str, run_b: str, project: str | None, show_all: bool,
         as_md: bool, as_json: bool) -> None:
    """Compare RUN_A with RUN_B: metrics per stage with deltas (B minus A), params,
    datasets, Python, platform and packages. Only changed rows unless --all."""
    from contexta_git.analysis.compare import compare_runs

    result = compare_runs(runs_of(ctx), run_a, run_b, project)
    if as_json:
        echo_json(result.to_dict(changed_only=not show_all))
    elif as_md:
        echo(result.to_markdown(changed_only=not show_all), document=True, nl=False)
    else:
        from contexta_git.cli.render_analysis import comparison

        comparison(result, show_all)


@cli.command()
@click.argument("run")
@project_option
@json_option
@click.pass_context
def audit(ctx: click.Context, run: str, project: str | None, as_json: bool) -> None:
    """Could RUN be reproduced? Environment, lockfile, code commit, data, seed."""
    from contexta_git.analysis.audit import audit_reproducibility

    result = audit_reproducibility(runs_of(ctx), run, project)
    if as_json:
        echo_json(result.to_dict())
        return
    from contexta_git.cli.render_analysis import audit as show

    show(result)


@cli.command()
@click.argument("metric")
@project_option
@click.option("--stage", help="Only values recorded in this stage (default: any stage).")
@click.option("--min", "lowest", is_flag=True, help="Lower is better (e.g. loss).")
@click.option("--include-quarantined", is_flag=True, help="Let quarantined runs compete.")
@click.pass_context
def best(ctx: click.Context, metric: str, project: str | None, stage: str | None,
         lowest: bool, include_quarantined: bool) -> None:
    """Print the run with the best value of METRIC (highest unless --min): its latest
    value, or an aggregate of a step series (loss.min, acc.max, loss.first, loss.count)."""
    from contexta_git.analysis.select import best_run

    found = best_run(runs_of(ctx), None, metric, stage_name=stage, higher_is_better=not lowest,
                     include_quarantined=include_quarantined, project=project)
    warn_skipped(found.skipped)
    echo(found.ref)


@cli.command()
@click.argument("runs", nargs=-1, required=True)
@project_option
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md",
              show_default=True, help="Output format (html: one self-contained page with "
              "charts, for one or more runs).")
@click.option("--policy", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --format html: the gate's thresholds and results in the metrics.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@click.pass_context
def report(ctx: click.Context, runs: tuple[str, ...], project: str | None, fmt: str,
           policy: str | None, output: str | None) -> None:
    """A report of RUNS: summary, params, metrics by stage, datasets, environment, events,
    source and reproducibility; as html also the curves of every step series (runs
    overlaid), the environment diff, the audit and the certificates, verified. Several
    runs as md or json: upstream's multi-run report (a metric table, best run per row)."""
    from contexta_git.errors import InvalidValue

    if fmt != "html" and policy:
        raise InvalidValue(f"--format {fmt} reports without a policy; use --format html "
                           "with --policy")
    if fmt != "html" and len(runs) > 1:
        from contexta_git.compat.interpret import build_multi_run_report

        doc = build_multi_run_report(runs_of(ctx), runs, project)
        text = doc.to_json() + "\n" if fmt == "json" else doc.to_markdown()
    elif fmt == "html":
        from contexta_git.release.policy import load_policy
        from contexta_git.web.report import html_report

        rules = load_policy(policy) if policy else None
        text = html_report(runs_of(ctx), runs, project=project, policy=rules)
    else:
        from contexta_git.analysis.report import build_snapshot_report

        text = build_snapshot_report(runs_of(ctx), runs[0], project).render(fmt)
    if output:
        write_output(output, text)
        echo(f"Wrote {output}", err=True)
    else:
        echo(text, document=True, nl=False)


@cli.command()
@click.option("--started-between", nargs=2, required=True, metavar="START END",
              help="ISO dates or date-times (UTC unless an offset is given); "
                   "an END date includes that whole day.")
@click.option("--event", required=True, help="Event key, e.g. data.contamination-window.")
@click.option("--message", "-m", default="", help="Event message.")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="Attribute; repeatable.")
@click.option("--level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error", "critical"]))
@project_option
@click.pass_context
def annotate(ctx: click.Context, started_between: tuple[str, str], event: str, message: str,
             attrs: tuple[str, ...], level: str, project: str | None) -> None:
    """Append an event to every run that started in a time window, in one commit."""
    from contexta_git.record import inputs
    from contexta_git.analysis.annotate import annotate as do_annotate

    result = do_annotate(runs_of(ctx), event, started_between=started_between, message=message,
                         attributes=dict(inputs.pairs(attrs, "attribute")), level=level,
                         project=project)
    warn_skipped(result.skipped)
    done = "annotated" if result.commit else "already annotated"
    echo(f"{done} {len(result.runs)} run(s) with {event}:")
    for ref in result.runs:
        echo(f"  {ref}")


@cli.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why these runs must not be trusted.")
@click.option("--undo", is_flag=True, help="Release the runs instead (appends contexta.release).")
@project_option
@click.pass_context
def quarantine(ctx: click.Context, runs: tuple[str, ...], reason: str, undo: bool,
               project: str | None) -> None:
    """Quarantine RUNS: listing and `best` leave them out unless asked."""
    from contexta_git.analysis.quarantine import quarantine as do_quarantine

    result = do_quarantine(runs_of(ctx), list(runs), reason, undo=undo, project=project)
    state = "released" if undo else "quarantined"
    if not result.runs:
        echo(f"nothing to do: every run named is already {state}")
        return
    echo(f"{state} {len(result.runs)} run(s): " + ", ".join(result.runs))
