"""Hermetic git for every test: a temporary HOME with its own identity, no system
config, no templates; real repositories in tmp_path; git itself as the oracle."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


def git(repo: Path | str, *args: str, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real git in ``repo``; fail the test with git's stderr when asked to."""
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                            input=input, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[protocol \"file\"]\n\tallow = always\n"
    )
    templates = tmp_path_factory.mktemp("templates")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(templates))
    monkeypatch.setenv("CONTEXTA_GIT_NO_GC", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_NAME",
                 "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                 "CONTEXTA_GIT_REPO"):
        monkeypatch.delenv(name, raising=False)
    _reset_pygit2_search_path(home)
    return home


def _reset_pygit2_search_path(home: Path) -> None:
    """libgit2 caches where global config lives at first use: point it at this HOME."""
    import pygit2

    for level in (pygit2.enums.ConfigLevel.GLOBAL, pygit2.enums.ConfigLevel.XDG,
                  pygit2.enums.ConfigLevel.SYSTEM):
        pygit2.settings.search_path[level] = str(home) if level != pygit2.enums.ConfigLevel.SYSTEM \
            else str(home / "nosystem")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real repository with one commit on main and a clean working tree."""
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q")
    (path / "train.py").write_text("print('train')\n")
    git(path, "add", "train.py")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def branch_state(repo: Path) -> Callable[[], tuple[str | None, int]]:
    """(tip of contexta/runs, number of objects reachable from it): to prove nothing moved."""
    def state() -> tuple[str | None, int]:
        tip = git(repo, "rev-parse", "-q", "--verify", "refs/heads/contexta/runs", check=False)
        if tip.returncode != 0:
            return None, 0
        listed = git(repo, "rev-list", "--objects", "refs/heads/contexta/runs").stdout
        return tip.stdout.strip(), len(listed.splitlines())
    return state


def run_tree(repo: Path) -> list[str]:
    """Every path on the runs branch, from git itself."""
    out = git(repo, "ls-tree", "-r", "--name-only", "refs/heads/contexta/runs", check=False)
    return out.stdout.split() if out.returncode == 0 else []


__all__ = ["git", "run_tree"]


def two_clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones, ``a`` and ``b``, of one bare remote that holds one commit on main."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "a"))
    git(tmp_path / "a", "commit", "-q", "--allow-empty", "-m", "init")
    git(tmp_path / "a", "push", "-q", "origin", "HEAD")
    git(tmp_path, "clone", "-q", str(bare), str(tmp_path / "b"))
    return tmp_path / "a", tmp_path / "b"
