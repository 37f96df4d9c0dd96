"""The command group, its shared options and its error handling.

Command modules import only click at the top; pygit2, deepdiff and rich load inside
the command that needs them, so ``contexta-git --help`` starts fast.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from contexta_git import __version__
from contexta_git.cli.text import echo
from contexta_git.errors import EXIT_CRASH, EXIT_ERROR, ContextaError

#: OS errors the user can fix (a read-only repository, a full disk, a file-size limit)
_USER_FIXABLE = {errno.EROFS, errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EACCES, errno.EPERM}


class Group(click.Group):
    """Turns a ContextaError into ``Error: <one line>`` and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from contexta_git.cli.progress import background

        try:
            with background("contexta-git"):
                return super().invoke(ctx)
        except ContextaError as exc:
            echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(1)
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in _USER_FIXABLE:
                echo(f"Error: {exc.filename or 'a file'}: {exc.strerror}", err=True)
                ctx.exit(EXIT_ERROR)
            echo(f"Error: internal error ({type(exc).__name__}: {exc}); "
                 "please report it with the command you ran", err=True)
            ctx.exit(EXIT_CRASH)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--repo", type=click.Path(file_okay=False), default=None, envvar="CONTEXTA_GIT_REPO",
              help="Repository holding the runs (default: the one containing the current folder).")
@click.version_option(__version__, prog_name="contexta-git")
@click.pass_context
def cli(ctx: click.Context, repo: str | None) -> None:
    """Record ML training runs in this git repository, on the branch contexta/runs,
    and compare, gate and certify them."""
    ctx.obj = {"repo": repo}


def main() -> None:
    cli(prog_name="contexta-git")


from contexta_git.cli import commands  # noqa: E402,F401 - registers every command on the group
