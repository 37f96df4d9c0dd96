"""Sharing and retention commands: push, pull, rm (and the hooks group)."""

from __future__ import annotations

from typing import Any

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import echo_json, json_option, project_option, runs_of
from contexta_git.cli.text import echo


@cli.command()
@click.argument("remote", default="origin")
@click.option("--no-retry", is_flag=True, help="Fail instead of pulling when the remote moved.")
@click.pass_context
def push(ctx: click.Context, remote: str, no_retry: bool) -> None:
    """Push contexta/runs and every contexta/cert/* and contexta/alias/* tag to REMOTE
    (default origin)."""
    from contexta_git.cli.progress import progress
    from contexta_git.share.sync import push as do_push

    with progress("push") as report:
        result = do_push(runs_of(ctx), remote, retry=not no_retry, progress=report)
    for pulled in result.pulled:
        echo(f"{remote} had moved: merged {_counts(pulled)}, pushed again")
        _removed(pulled)
    tags = f" and {', '.join(result.tags)}" if result.tags else ""
    echo(f"Pushed contexta/runs at {result.tip[:12]}{tags} to {remote}")


@cli.command()
@click.argument("remote", default="origin")
@json_option
@click.pass_context
def pull(ctx: click.Context, remote: str, as_json: bool) -> None:
    """Fetch REMOTE's runs and certificates and merge them into contexta/runs."""
    import dataclasses

    from contexta_git.cli.progress import progress
    from contexta_git.share.sync import pull as do_pull

    with progress("pull") as report:
        result = do_pull(runs_of(ctx), remote, progress=report)
    if as_json:
        echo_json(dataclasses.asdict(result))
        return
    what = {"no-remote-runs": f"{remote} has no runs yet", "up-to-date": "Already up to date",
            "fast-forward": f"Fast-forward: {_counts(result)}",
            "merge": f"Merged: {_counts(result)}"}[result.how]
    echo(what)
    _removed(result)
    for note in result.notes:
        echo(f"  {note}")
    for refused in result.refused:
        echo(f"Warning: refused {refused.message} (not merged)", err=True)
    if result.tags:
        echo(f"New certificates: {', '.join(result.tags)}")


def _counts(result: object) -> str:
    added, merged = len(getattr(result, "added", ())), len(getattr(result, "merged", ()))
    removed = len(getattr(result, "removed", ()))
    return f"{added} new run{'s' * (added != 1)}, {merged} merged" + (
        f", {removed} removed" if removed else "")


def _removed(result: Any) -> None:
    """Name every run the pull removed, and where they can still be found."""
    for ref in result.removed:
        echo(f"  removed {ref}")
    if result.removed and result.previous:
        echo(f"History still holds them: git show {result.previous[:12]} has them.")


@cli.command()
@click.argument("run", nargs=-1, required=True)
@project_option
@click.pass_context
def rm(ctx: click.Context, run: tuple[str, ...], project: str | None) -> None:
    """Remove RUN... from the tip of contexta/runs (history keeps them: see git gc)."""
    from contexta_git.store.rm import rm as do_rm

    result = do_rm(runs_of(ctx), run, project)
    echo(f"Removed {', '.join(result.removed)} from contexta/runs.")
    if result.previous:
        echo(f"History still holds them: git show {result.previous[:12]} has them; "
             "see the README to drop them for good.")


@cli.group()
def hooks() -> None:
    """Install git hooks: post-commit records a run per commit, pre-push pushes runs."""


hook_option = click.option("--hook", "names", multiple=True,
                           type=click.Choice(["post-commit", "pre-push"]),
                           help="Which hook (repeatable; default: post-commit).")


@hooks.command("install")
@hook_option
@click.option("--force", is_flag=True, help="Install into core.hooksPath when it is set.")
@click.pass_context
def hooks_install(ctx: click.Context, names: tuple[str, ...], force: bool) -> None:
    """Install the hooks; a hook already there is kept as <hook>.legacy and still runs."""
    from contexta_git.share.hooks import install, status

    store = runs_of(ctx).store
    before = {s.hook: s for s in status(store)}
    for state in install(store, names or ("post-commit",), force=force):
        kept = f" (kept the previous hook as {state.hook}.legacy)" if state.legacy else ""
        was = before[state.hook]
        verb = ("Installed" if not was.installed else "Updated" if was.outdated
                or was.python != state.python else "Already installed, unchanged:")
        echo(f"{verb} {state.path}{kept}")


@hooks.command("uninstall")
@hook_option
@click.option("--force", is_flag=True, help="Uninstall from core.hooksPath when it is set.")
@click.pass_context
def hooks_uninstall(ctx: click.Context, names: tuple[str, ...], force: bool) -> None:
    """Remove our hooks and put back any hook kept as <hook>.legacy."""
    from contexta_git.share.hooks import HOOKS, status, uninstall

    store = runs_of(ctx).store
    before = {s.hook: s.installed for s in status(store)}
    for state in uninstall(store, names or HOOKS, force=force):
        if not before.get(state.hook):
            echo(f"{state.hook}: not installed, nothing to do")
        else:
            restored = ", restored the previous hook" if state.foreign else ""
            echo(f"{state.hook}: removed{restored}")


@hooks.command("status")
@json_option
@click.pass_context
def hooks_status(ctx: click.Context, as_json: bool) -> None:
    """Say which hooks are installed, and with which interpreter."""
    import dataclasses

    from contexta_git.share.hooks import status

    states = status(runs_of(ctx).store)
    if as_json:
        echo_json([dataclasses.asdict(s) for s in states])
        return
    for s in states:
        what = "installed" if s.installed else "foreign hook" if s.foreign else "not installed"
        if s.outdated:
            what += f", outdated (run contexta-git hooks install --hook {s.hook})"
        extra = (", runs .legacy first" if s.legacy else "") + (f", {s.python}" if s.python else "")
        echo(f"{s.hook}: {what}{extra} ({s.path})")


@hooks.command("run", hidden=True)
@click.argument("hook")
@click.argument("args", nargs=-1)
def hooks_run(hook: str, args: tuple[str, ...]) -> None:
    """What the installed hook scripts run (never fails)."""
    from contexta_git.share.hook_run import main as run_hook

    run_hook([hook, *args])
