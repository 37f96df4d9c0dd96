"""The hook published for the pre-commit framework, installed through pre-commit itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contexta_git.store.runs import Runs

from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]


def _hook_repository(tmp_path: Path) -> tuple[Path, str]:
    """This package's files at their current state, committed in a throwaway repository."""
    target = tmp_path / "hook-repo"
    shutil.copytree(ROOT / "contexta_git", target / "contexta_git",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, target / name)
    git(target, "init", "-q")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "snapshot")
    return target, git(target, "rev-parse", "HEAD").stdout.strip()


def test_pre_commit_installs_and_runs_the_post_commit_hook(repo: Path, tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    hook_repo, rev = _hook_repository(tmp_path)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks:\n  - id: contexta-git\n")
    (repo / "pyproject.toml").write_text(
        '[tool.contexta-git]\nproject = "pc"\nmetrics = ["metrics.json"]\n')
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install", "--hook-type", "post-commit"], cwd=repo, env=env,
                   check=True, capture_output=True)
    built = subprocess.run([*pre_commit, "install-hooks"], cwd=repo, env=env,
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (repo / "metrics.json").write_text('{"acc": 0.75}')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "train", env=env)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    runs = Runs.open(repo)
    [run_id] = runs.ids("pc")
    data = runs.get(run_id)
    assert data.source["commit"] == head and data.latest_metrics() == {"acc": 0.75}
    git(repo, "fsck", "--strict")
