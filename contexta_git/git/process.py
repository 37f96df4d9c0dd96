"""The one way to run git: every subprocess, config read and identity read goes here.

pygit2 ignores ``GIT_CONFIG_GLOBAL``, ``git -c`` and conditional includes, so what the
user configured is read by asking git itself. Variables a hook inherits from git
(``GIT_DIR``, ``GIT_INDEX_FILE``, ...) point at the repository that ran the hook and
are stripped before git is spawned.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from contexta_git.errors import ContextaError, NoIdentity

_HOOK_VARS = {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY"}


def git(
    args: list[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    background: bool = False,
    check: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real git with hook-inherited variables stripped (they point elsewhere)."""
    env = {k: v for k, v in os.environ.items() if k not in _HOOK_VARS}
    if background:
        subprocess.Popen(
            ["git", *args], cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return subprocess.CompletedProcess(args, 0, b"", b"")
    try:
        result = subprocess.run(["git", *args], cwd=cwd, env=env, input=input,
                                capture_output=True, check=False)
    except OSError as exc:
        raise ContextaError(f"cannot run git: {exc.strerror or exc}") from exc
    if check and result.returncode != 0:
        raise ContextaError(f"git {args[0]} failed: {last_line(result)}")
    return result


def last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The last meaningful line git wrote to stderr (or its exit status)."""
    lines = [x.strip() for x in result.stderr.decode(errors="replace").splitlines() if x.strip()]
    return lines[-1] if lines else f"exit status {result.returncode}"


def config_value(cwd: Path, key: str) -> str | None:
    """One value of git's configuration as git resolves it (None when unset)."""
    found = git(["config", "--get", key], cwd=cwd)
    value = found.stdout.decode().strip()
    return value if found.returncode == 0 and value else None


def config_values(cwd: Path, key: str) -> list[str]:
    """Every value of a multi-valued key (``git config --get-all``)."""
    found = git(["config", "--get-all", key], cwd=cwd)
    return [v.strip() for v in found.stdout.decode().splitlines() if v.strip()]


def committer_ident(cwd: Path) -> str:
    """``Name <email> <seconds> <tz>`` as git itself resolves the committer."""
    found = git(["var", "GIT_COMMITTER_IDENT"], cwd=cwd)
    ident = found.stdout.decode().strip()
    if found.returncode != 0 or "<" not in ident or ident.split("<", 1)[0].strip() == "":
        raise NoIdentity()
    return ident


def committer(cwd: Path) -> tuple[str, str]:
    """(name, email) of the committer as git resolves it."""
    ident = committer_ident(cwd)
    name, _, rest = ident.partition("<")
    return name.strip(), rest.partition(">")[0].strip()
