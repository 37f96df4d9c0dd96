"""Deployments and model aliases: deploy, deployments, alias set|resolve|history|protect."""

from __future__ import annotations

from typing import Any

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of
from contexta_git.cli.text import echo

reason_option = click.option("--reason", required=True, help="Why (recorded with who and when).")
certificate_option = click.option("--certificate", "certificate",
                                  help="Certificate id vouching for RUN (it is verified).")


@cli.command()
@click.argument("run")
@click.option("--env", required=True, help="Environment deployed to (e.g. prod).")
@click.option("--name", help="Deployment name (default: the environment).")
@certificate_option
@reason_option
@project_option
@json_option
@click.pass_context
def deploy(ctx: click.Context, run: str, env: str, name: str | None, certificate: str | None,
           reason: str, project: str | None, as_json: bool) -> None:
    """Record that RUN was deployed to ENV: who, when, why, the run it replaced."""
    from contexta_git.release.deploy import deploy as do_deploy

    done = do_deploy(runs_of(ctx), run, env=env, name=name, certificate=certificate,
                     reason=reason, project=project)
    if as_json:
        echo_json(done)
        return
    was = f" (was {done['previous']})" if done.get("previous") else ""
    echo(f"Deployed {done['run']} to {done['env']} as {done['project']}/{done['name']}{was}")
    echo(f"  by {done['who']} at {done['at']}: {done['reason']}")


@cli.command()
@project_option
@json_option
@click.pass_context
def deployments(ctx: click.Context, project: str | None, as_json: bool) -> None:
    """List every recorded deployment, oldest first."""
    from contexta_git.analysis.aliases import deployments as listed

    found = listed(runs_of(ctx), project)
    if as_json:
        echo_json(found)
        return
    if not found:
        echo("No deployments recorded.")
    for d in found:
        cert = f" cert {d['certificate']}" if d.get("certificate") else ""
        echo(f"{d['at']}  {d['project']}/{d['name']} ({d['env']})  {d['run']}{cert}  "
             f"by {d.get('who', 'unknown')}: {d['reason']}")


@cli.group()
def alias() -> None:
    """Model aliases (PROJECT@ALIAS, e.g. churn@champion): every move is recorded."""


@alias.command("set")
@click.argument("name", metavar="PROJECT@ALIAS")
@click.argument("run")
@certificate_option
@reason_option
@click.option("--no-sign", is_flag=True, help="Do not seal the move with a signed tag "
              "(default: sealed when user.signingKey is set).")
@json_option
@click.pass_context
def alias_set(ctx: click.Context, name: str, run: str, certificate: str | None, reason: str,
              no_sign: bool, as_json: bool) -> None:
    """Point PROJECT@ALIAS at RUN (a protected alias needs a valid certificate)."""
    from contexta_git.release.alias import set_alias

    move = set_alias(runs_of(ctx), name, run, reason=reason, certificate=certificate,
                     sign=False if no_sign else None)
    if as_json:
        echo_json(move.to_dict())
        return
    was = f" (was {move.entry['previous']})" if move.entry.get("previous") else ""
    echo(f"{move.alias} -> {move.run}{was}")
    seal = f"signed tag {move.tag.removeprefix('refs/tags/')}" if move.tag else "not signed"
    echo(f"  by {move.entry['who']} at {move.entry['at']}; {seal}")


@alias.command("resolve")
@click.argument("name", metavar="PROJECT@ALIAS")
@click.option("--at", "at", help="What it named at this ISO date or date-time.")
@json_option
@click.pass_context
def alias_resolve(ctx: click.Context, name: str, at: str | None, as_json: bool) -> None:
    """Print the run PROJECT@ALIAS names, its certificate and artifact digests."""
    from contexta_git.analysis.aliases import resolve_alias

    found = resolve_alias(runs_of(ctx), name, at)
    if as_json:
        echo_json(found.to_dict())
        return
    echo(f"{found.alias} -> {found.run}")
    echo(f"  certificate: {found.certificate or '-'}")
    for a in found.artifacts:
        echo(f"  artifact {a.get('name')}: sha256 {a.get('sha256') or '-'} {a.get('path') or ''}")


@alias.command("history")
@click.argument("name", metavar="PROJECT@ALIAS")
@click.option("--at", "at", help="Say what it named at this ISO date or date-time (a date "
              "alone: the end of that day, UTC).")
@json_option
@click.pass_context
def alias_history(ctx: click.Context, name: str, at: str | None, as_json: bool) -> None:
    """Every move of PROJECT@ALIAS: who moved it, when, why, and from what."""
    from contexta_git.analysis.aliases import alias_history as history

    found = history(runs_of(ctx), name, at)
    if as_json:
        echo_json(found.to_dict())
        return
    if at is not None:
        _in_force(found.alias, at, found.current)
        return
    for entry in found.entries:
        echo(_line(entry))


def _in_force(alias: str, at: str, move: dict[str, Any] | None) -> None:
    if move is None:
        echo(f"On {at}, {alias} named no run.")
        return
    echo(f"On {at}, {alias} named {move.get('run')}")
    echo(f"  moved there by {move.get('who')} at {move.get('at')}: {move.get('reason')}")
    if move.get("previous"):
        echo(f"  before that it named {move.get('previous')}")


def _line(entry: dict[str, Any]) -> str:
    who = f"by {entry.get('who')}: {entry.get('reason')}"
    if entry.get("action") == "protect":
        return f"{entry.get('at')}  protected  {who}"
    was = f" (was {entry['previous']})" if entry.get("previous") else ""
    cert = f" cert {entry['certificate']}" if entry.get("certificate") else ""
    return f"{entry.get('at')}  -> {entry.get('run')}{was}{cert}  {who}"


@alias.command("protect")
@click.argument("name", metavar="PROJECT@ALIAS")
@click.option("--reason", help="Why it is protected.")
@click.pass_context
def alias_protect(ctx: click.Context, name: str, reason: str | None) -> None:
    """From now on, moves of PROJECT@ALIAS need --certificate: a valid certificate of
    that run whose decision allows delivery."""
    from contexta_git.release.alias import protect_alias

    move = protect_alias(runs_of(ctx), name, reason=reason)
    echo(f"{move.alias} is protected (since {move.entry.get('at')}, by {move.entry.get('who')})")
