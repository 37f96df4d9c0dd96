"""Attack: one malformed quarantine ledger (``projects/<p>/quarantines/<run>.toml``), made
by hand or brought by a remote, against the promise that one unreadable run never breaks
the others. The ledger is planted with git's own plumbing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git

LEDGER = "projects/p/quarantines/victim.toml"


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def plant(repo: Path, path: str, content: str) -> None:
    """Commit ``content`` at ``path`` on contexta/runs with git plumbing."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo.parent / "plant-index")}
    git(repo, "read-tree", "refs/heads/contexta/runs", env=env)
    blob = git(repo, "hash-object", "-w", "--stdin", input=content).stdout.strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(repo, "write-tree", env=env).stdout.strip()
    commit = git(repo, "commit-tree", tree, "-p", "refs/heads/contexta/runs", "-m", "plant",
                 env=env).stdout.strip()
    git(repo, "update-ref", "refs/heads/contexta/runs", commit)


@pytest.fixture
def two_runs(repo: Path) -> Path:
    runs = Runs.open(repo)
    record(runs, "p", "victim", metrics={"acc": 0.5}, capture_environment=False)
    record(runs, "p", "healthy", metrics={"acc": 0.7}, capture_environment=False)
    return repo


def test_attack_malformed_ledger_does_not_break_listings(two_runs: Path) -> None:
    plant(two_runs, LEDGER, "not toml [[[\n")
    code, out, err = invoke(two_runs, "runs")
    assert code == 0, err
    assert "run:p.healthy" in out and "run:p.victim" not in out
    assert err.count("Warning: skipped unreadable run") == 1 and LEDGER in err, err
    code, out, err = invoke(two_runs, "best", "acc")
    assert code == 0 and out.strip() == "run:p.healthy", out + err


def test_attack_pull_refuses_a_malformed_ledger(two_runs: Path, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(two_runs), str(bare))
    git(two_runs, "remote", "add", "origin", str(bare))
    assert invoke(two_runs, "push")[0] == 0
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    assert invoke(other, "pull")[0] == 0
    plant(two_runs, LEDGER, "not toml [[[\n")
    assert invoke(two_runs, "push")[0] == 0
    code, out, err = invoke(other, "pull")
    assert code == 0 and "refused" in err and LEDGER in err, out + err
    assert git(other, "show", f"refs/heads/contexta/runs:{LEDGER}", check=False).returncode != 0


def test_attack_malformed_ledger_is_named_and_removable(two_runs: Path) -> None:
    plant(two_runs, LEDGER, "not toml [[[\n")
    code, _, err = invoke(two_runs, "show", "victim")
    assert code == 2 and LEDGER in err, err
    code, _, err = invoke(two_runs, "rm", "victim")
    assert code == 0, err
