"""The README's command reference, generated from ``--help`` (by cog; checked in CI)."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli

PROG = "contexta-git"
WIDTH = 80


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every visible command and sub-command, the group itself first, names sorted."""
    paths = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


def help_text(path: tuple[str, ...]) -> str:
    """What ``contexta-git <path> --help`` prints, at a fixed width."""
    ctx = click.Context(cli, info_name=PROG, terminal_width=WIDTH, max_content_width=WIDTH,
                        **cli.context_settings)
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = click.Context(command, info_name=name, parent=ctx, **command.context_settings)
    return command.get_help(ctx)


def reference() -> str:
    """Markdown: a heading and the help text of every command."""
    parts = []
    for path in command_paths():
        title = " ".join((PROG, *path))
        parts.append(f"### `{title}`\n\n```text\n{help_text(path).rstrip()}\n```\n")
    return "\n".join(parts)
