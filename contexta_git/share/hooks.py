"""Install, uninstall and inspect contexta-git's git hooks, the way pre-commit does.

The hooks folder is found through the common git dir, so every worktree shares it.
A set ``core.hooksPath`` is refused (hooks in .git/hooks would never run) unless
``force``, which installs into that folder instead. Our script carries an id line;
a foreign hook already in place is kept as ``<hook>.legacy`` and still runs first;
installing again is idempotent and replaces a script of ours that differs from this
version's (``status`` calls it outdated); uninstalling removes only our script and puts
the foreign hook back.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.git.repo import GitStore, git

HOOKS = ("post-commit", "pre-push")
MARKER = "# contexta-git-hook:"


class HooksPathSet(ContextaError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"core.hooksPath is set to {path}, so git ignores .git/hooks; run "
            f"git config --unset core.hooksPath, or pass --force to install into {path}")


class LegacyExists(ContextaError):
    def __init__(self, hook: Path) -> None:
        self.hook = hook
        super().__init__(f"{hook} is not ours and {hook.name}.legacy exists too; "
                         "move one of them away, then install again")


@dataclass(frozen=True)
class HookState:
    hook: str
    path: str
    installed: bool  # our script is in place
    foreign: bool  # another program's hook is in place (not ours)
    legacy: bool  # a foreign hook is kept as <hook>.legacy and runs before ours
    python: str | None  # the interpreter our script runs, when installed
    outdated: bool = False  # ours, but not the script this version installs: install again


def template(hook: str, python: str = "") -> str:
    """Our hook script for ``hook``; ``python`` empty: use contexta-git from PATH."""
    text = resources.files("contexta_git").joinpath("templates/hook.sh").read_text()
    return text.replace("@HOOK@", hook).replace("@PYTHON@", python)


def hooks_dir(store: GitStore, force: bool = False) -> Path:
    cwd = store.workdir or store.git_dir
    configured = git(["config", "core.hooksPath"], cwd=cwd).stdout.decode().strip()
    if configured:
        if not force:
            raise HooksPathSet(configured)
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else Path(cwd) / path
    return store.common_dir / "hooks"


def _check(hooks: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(hooks))
    for hook in chosen:
        if hook not in HOOKS:
            raise InvalidValue(f"unknown hook {hook!r}; choose from {', '.join(HOOKS)}")
    return chosen


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(errors="replace")
    except OSError:
        return False


def install(store: GitStore, hooks: Iterable[str] = ("post-commit",), *, force: bool = False,
            python: str | None = None) -> list[HookState]:
    python = python if python is not None else sys.executable
    if "'" in python:
        raise InvalidValue(f"interpreter path {python!r} holds a quote; install from another one")
    folder = hooks_dir(store, force)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = _check(hooks)
    for hook in chosen:
        path, legacy = folder / hook, folder / f"{hook}.legacy"
        if path.exists() and not is_ours(path):
            if legacy.exists():
                raise LegacyExists(path)
            path.rename(legacy)
        text = template(hook, python)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        path.chmod(0o755)
    return [_state(folder, hook) for hook in chosen]


def uninstall(store: GitStore, hooks: Iterable[str] = HOOKS, *,
              force: bool = False) -> list[HookState]:
    folder = hooks_dir(store, force)
    chosen = _check(hooks)
    for hook in chosen:
        path, legacy = folder / hook, folder / f"{hook}.legacy"
        if not is_ours(path):
            continue
        path.unlink()
        if legacy.exists():
            legacy.rename(path)
    return [_state(folder, hook) for hook in chosen]


def status(store: GitStore) -> list[HookState]:
    try:
        folder = hooks_dir(store)
    except HooksPathSet:
        folder = hooks_dir(store, force=True)
    return [_state(folder, hook) for hook in HOOKS]


def _state(folder: Path, hook: str) -> HookState:
    path = folder / hook
    ours = path.exists() and is_ours(path)
    python, outdated = None, False
    if ours:
        text = path.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("INSTALL_PYTHON="):
                python = line.split("=", 1)[1].strip("'") or None
        outdated = text != template(hook, python or "")
    return HookState(hook, str(path), ours, path.exists() and not ours,
                     (folder / f"{hook}.legacy").exists(), python, outdated)
