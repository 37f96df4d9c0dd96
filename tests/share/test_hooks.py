"""Hooks: a real `git commit` runs the installed post-commit hook; install is safe."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.git.repo import GitStore
from contexta_git.share.hooks import HOOKS, HooksPathSet, install, status, template, uninstall
from contexta_git.analysis.listing import list_runs
from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs

from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ('[tool.contexta-git]\nproject = "churn"\nmetrics = ["metrics.json"]\n'
          'params = ["params.yaml"]\ndatasets = ["data/train.csv"]\n')


@pytest.fixture
def hooked(repo: Path) -> Path:
    (repo / "pyproject.toml").write_text(CONFIG)
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-q", "-m", "configure contexta-git")
    install(GitStore(repo))
    return repo


def _commit(repo: Path, message: str, *files: tuple[str, str]) -> str:
    for name, text in files:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        git(repo, "add", name)
    result = git(repo, "commit", "-q", "-m", message)
    return result.stderr


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def full_runs(repo: Path, project: str | None = None) -> list[RunData]:
    """Every run of the repository, read whole, oldest first."""
    store = Runs.open(repo)
    return [store.get(RunId(s.project, s.name)) for s in list_runs(store, project)]


def test_commit_records_a_run_linked_to_the_commit(hooked: Path) -> None:
    (hooked / "data").mkdir()
    (hooked / "data" / "train.csv").write_text("a,b\n1,2\n")
    stderr = _commit(hooked, "train", ("metrics.json", '{"acc": 0.9, "eval": {"auc": 0.8}}'),
                     ("params.yaml", "lr: 0.1\nmodel:\n  depth: 3\n"))
    head = _head(hooked)
    runs = full_runs(hooked, "churn")
    assert [r.name for r in runs] == [f"main-{head[:8]}"]
    run = runs[0]
    assert stderr.strip() == f"contexta-git: recorded {run.ref}"
    assert run.source["commit"] == head and run.status == "completed"
    assert run.latest_metrics() == {"acc": 0.9, "eval.auc": 0.8}
    assert run.params == {"lr": 0.1, "model.depth": 3}
    assert run.datasets[0].name == "data/train.csv"
    assert run.datasets[0].git_blob == git(hooked, "hash-object", "data/train.csv").stdout.strip()
    assert git(hooked, "status", "--porcelain").stdout == "?? data/\n"  # tree untouched
    out = CliRunner().invoke(cli, ["--repo", str(hooked), "runs", "--json"])
    assert json.loads(out.output)[0]["ref"] == run.ref


def test_commit_without_metrics_file_records_nothing_and_says_nothing(hooked: Path) -> None:
    stderr = _commit(hooked, "docs", ("README", "hi\n"))
    assert stderr == ""
    assert git(hooked, "rev-parse", "-q", "--verify", "contexta/runs", check=False).stdout == ""


def test_amend_and_rebase_do_not_duplicate(hooked: Path) -> None:
    _commit(hooked, "train", ("metrics.json", '{"acc": 0.9}'))
    git(hooked, "commit", "-q", "--amend", "-m", "train (better message)")
    assert len(Runs.open(hooked).ids("churn")) == 1
    git(hooked, "checkout", "-q", "-b", "side", "HEAD~1")
    _commit(hooked, "unrelated", ("other.txt", "x\n"))
    git(hooked, "checkout", "-q", "main")
    git(hooked, "rebase", "-q", "side")
    assert len(Runs.open(hooked).ids("churn")) == 1
    _commit(hooked, "retrain", ("metrics.json", '{"acc": 0.95}'))  # a new change: a new run
    names = sorted(r.name for r in Runs.open(hooked).ids("churn"))
    assert len(names) == 2 and f"main-{_head(hooked)[:8]}" in names


def test_metrics_come_from_the_commit_when_tracked_else_the_working_tree(hooked: Path) -> None:
    _commit(hooked, "train", ("metrics.json", '{"acc": 0.5}'))
    (hooked / "metrics.json").write_text('{"acc": 0.7}')  # not committed
    _commit(hooked, "more code", ("model.py", "x = 1\n"))
    values = {r.source["commit"]: r.latest_metrics()["acc"] for r in full_runs(hooked)}
    assert values[_head(hooked)] == 0.5
    git(hooked, "rm", "-q", "--cached", "metrics.json")
    _commit(hooked, "untrack metrics", ("model.py", "x = 2\n"))
    values = {r.source["commit"]: r.latest_metrics()["acc"] for r in full_runs(hooked)}
    assert values[_head(hooked)] == 0.7


def test_an_error_never_fails_the_commit(hooked: Path) -> None:
    stderr = _commit(hooked, "broken metrics", ("metrics.json", '{"acc": "high"}'))
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith("contexta-git post-commit: ") and "nothing recorded" in stderr
    assert git(hooked, "log", "-1", "--format=%s").stdout.strip() == "broken metrics"


def test_hooks_path_set_is_refused_with_the_fix_unless_forced(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "my-hooks")
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "install"])
    assert out.exit_code == 2
    assert out.output == ("Error: core.hooksPath is set to my-hooks, so git ignores .git/hooks; "
                          "run git config --unset core.hooksPath, or pass --force to install "
                          "into my-hooks\n")
    assert not (repo / ".git" / "hooks" / "post-commit").exists()
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "install", "--force"])
    assert out.exit_code == 0, out.output
    assert (repo / "my-hooks" / "post-commit").read_text() == template("post-commit",
                                                                     sys.executable)
    with pytest.raises(HooksPathSet):
        uninstall(GitStore(repo))


def test_foreign_hook_is_kept_still_runs_and_is_restored(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    foreign = "#!/bin/sh\necho foreign >> \"$(git rev-parse --git-dir)/foreign.log\"\n"
    hook.write_text(foreign)
    hook.chmod(0o755)
    store = GitStore(repo)
    first = install(store)
    assert first[0].legacy and first[0].installed
    second = install(store)  # idempotent: the legacy hook is not overwritten by ours
    assert second == first
    assert (hook.parent / "post-commit.legacy").read_text() == foreign
    _commit(repo, "one", ("a.txt", "a\n"))
    assert (repo / ".git" / "foreign.log").read_text() == "foreign\n"
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "uninstall"])
    assert out.exit_code == 0, out.output
    assert hook.read_text() == foreign and not (hook.parent / "post-commit.legacy").exists()


def test_worktrees_share_the_hook_from_the_common_dir(hooked: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    git(hooked, "worktree", "add", "-q", "-b", "exp", str(other))
    install(GitStore(other))  # idempotent, and into the common hooks folder
    assert not (hooked / ".git" / "worktrees" / "wt" / "hooks").exists()
    _commit(other, "train in worktree", ("metrics.json", '{"acc": 0.3}'))
    head = git(other, "rev-parse", "HEAD").stdout.strip()
    assert [r.name for r in Runs.open(hooked).ids("churn")] == [f"exp-{head[:8]}"]


def test_falls_back_to_contexta_git_on_path(hooked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(GitStore(hooked), python="/nonexistent/python")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    stderr = _commit(hooked, "train", ("metrics.json", '{"acc": 0.9}'))
    assert "contexta-git: recorded run:churn.main-" in stderr
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    stderr = _commit(hooked, "retrain", ("metrics.json", '{"acc": 0.8}'))
    assert "contexta-git: not found" in stderr and len(Runs.open(hooked).ids()) == 1


def test_status_and_the_top_level_hooks_match_the_template(hooked: Path) -> None:
    states = {s.hook: s for s in status(GitStore(hooked))}
    assert states["post-commit"].installed and states["post-commit"].python == sys.executable
    assert not states["pre-push"].installed
    out = CliRunner().invoke(cli, ["--repo", str(hooked), "hooks", "status"])
    assert out.output.startswith(f"post-commit: installed, {sys.executable}")
    for hook in HOOKS:
        shipped = ROOT / "hooks" / hook
        assert shipped.read_text() == template(hook)
        assert os.access(shipped, os.X_OK)
    out = CliRunner().invoke(cli, ["--repo", str(hooked), "hooks", "install", "--hook", "nope"])
    assert out.exit_code == 2


def test_pre_push_pushes_the_runs_branch_with_the_users_push(hooked: Path,
                                                             tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(hooked, "remote", "add", "origin", str(remote))
    install(GitStore(hooked), ["pre-push"])
    _commit(hooked, "train", ("metrics.json", '{"acc": 0.9}'))
    git(hooked, "push", "-q", "origin", "main")
    assert git(remote, "rev-parse", "refs/heads/contexta/runs").stdout == \
        git(hooked, "rev-parse", "refs/heads/contexta/runs").stdout
    git(remote, "fsck", "--strict")
