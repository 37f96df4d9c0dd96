"""Gate, certify, verify and card: the release commands."""

from __future__ import annotations

import click

from .main import cli
from .options import echo_json, json_option, project_option, runs_of

policy_option = click.option("--policy", type=click.Path(dir_okay=False), required=True,
                             help="Policy file (TOML): one [metrics.<name>] table per metric.")
baseline_option = click.option("--baseline", help="Baseline run for change checks "
                               "(overrides the policy's baseline).")


@cli.command()
@click.argument("run")
@policy_option
@baseline_option
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "junit"]),
              default="text", show_default=True, help="Output format.")
@click.pass_context
def gate(ctx: click.Context, run: str, policy: str, baseline: str | None, project: str | None,
         fmt: str) -> None:
    """Check RUN against a policy: a row per check and the decision.
    Exit 0 on PASS or WARN, 1 on FAIL, 2 when the gate cannot be evaluated."""
    from ..gate import gate as do_gate
    from ..gate_formats import gate_junit, gate_markdown
    from ..policy import load_policy

    result = do_gate(runs_of(ctx), run, load_policy(policy), baseline=baseline, project=project)
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "md":
        click.echo(gate_markdown(result))
    elif fmt == "junit":
        click.echo(gate_junit(result), nl=False)
    else:
        from .cert_render import gate_table

        gate_table(result)
    ctx.exit(0 if result.passed else 1)
