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
@click.option("--deadline", metavar="DURATION", help="Keep retrying (pull, merge, push again, "
              "after a jittered pause) this long when the remote keeps moving, e.g. 90s, 5m "
              "(default: push-deadline in [tool.contexta-git], else 1m).")
@click.option("--every", metavar="DURATION", help="Push at most once per DURATION, e.g. 10m: "
              "a push within the interval is queued and sent, with every run recorded "
              "meanwhile, when it ends (default: push-every in [tool.contexta-git]).")
@click.option("--writer", metavar="NAME", help="Push to this writer's own ref "
              "refs/contexta/incoming/NAME, which never contends; ingest merges it "
              "(default: git config contexta.writer).")
@click.pass_context
def push(ctx: click.Context, remote: str, no_retry: bool, deadline: str | None,
         every: str | None, writer: str | None) -> None:
    """Push contexta/runs and every contexta/cert/* and contexta/alias/* tag to REMOTE
    (default origin)."""
    from contexta_git.cli.progress import progress
    from contexta_git.share.batch import Queued, push_every
    from contexta_git.share.push_config import push_config
    from contexta_git.share.sync import push as do_push

    runs = runs_of(ctx)
    config = push_config(runs.store, every, deadline, writer)
    with progress("push") as report:
        if config.every is not None:
            result = push_every(runs, remote, config.every, deadline=config.deadline,
                                writer=config.writer, progress=report)
        else:
            result = do_push(runs, remote, retry=not no_retry, deadline=config.deadline,
                             writer=config.writer, progress=report)
    if isinstance(result, Queued):
        echo(f"Queued: a push to {remote} went out less than {every or 'push-every'} ago; "
             f"the next one leaves at {_clock(result.due)} with every run recorded by then")
        return
    for pulled in result.pulled:
        echo(f"{remote} had moved: merged {_counts(pulled)}, pushed again")
        _removed(pulled)
    tags = f" and {', '.join(result.tags)}" if result.tags else ""
    where = "contexta/runs" if config.writer is None else result.ref.removeprefix("refs/")
    echo(f"Pushed {where} at {result.tip[:12]}{tags} to {remote}")
    if result.attempts > 1:
        echo(f"{result.attempts} attempts in {result.seconds:.1f} s, "
             f"{len(result.pulled)} merged on the way")


def _clock(epoch: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%H:%M:%S UTC")


@cli.command()
@click.argument("remote", default="origin")
@json_option
@click.pass_context
def pull(ctx: click.Context, remote: str, as_json: bool) -> None:
    """Fetch REMOTE's runs, certificates, alias tags and writers' incoming runs and merge
    them into contexta/runs; REMOTE may be a bundle file (bundle create)."""
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
    if result.writers:
        echo(f"Merged incoming runs of {', '.join(result.writers)} (not ingested yet)")


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
