"""Recording runs with the Python API: real repositories, git as the oracle."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import contexta_git
from contexta_git.errors import ContextaError, RunExists
from contexta_git.core.names import RunId, shard
from contexta_git.store.runs import Runs

from tests.conftest import git, run_tree


def test_start_run_records_everything_on_the_branch(repo: Path) -> None:
    with contexta_git.start_run("r1", project="p", repo=repo, params={"lr": 0.1}) as run:
        with run.stage("train"):
            run.log_metric("loss", 0.5, step=1)
            run.log_metric("loss", 0.25, step=2)
        with run.stage("evaluate"):
            run.log_metrics({"accuracy": 0.91, "auc": 0.95})
        run.event("note", "hello", attributes={"epochs": 3})
    base = f"projects/p/runs/{shard('r1')}/r1"
    paths = run_tree(repo)
    for name in ("run.toml", "stages.toml", "metrics.toml", "events.toml", "environment.toml",
                 "pylock.toml"):
        assert f"{base}/{name}" in paths
    assert "FORMAT" in paths
    head = tomllib.loads(git(repo, "show", f"contexta/runs:{base}/run.toml").stdout)
    assert head["status"] == "completed" and head["params"] == {"lr": 0.1}
    assert head["source"]["commit"] == git(repo, "rev-parse", "HEAD").stdout.strip()
    data = Runs.open(repo).get(RunId("p", "r1"))
    assert [s.name for s in data.stages] == ["train", "evaluate"]
    assert data.latest_metrics() == {"loss": 0.25, "accuracy": 0.91, "auc": 0.95}
    assert data.latest_metrics("train") == {"loss": 0.25}
    git(repo, "fsck", "--strict")


def test_commits_are_readable_audit_trail(repo: Path) -> None:
    with contexta_git.start_run("r1", project="p", repo=repo) as run:
        run.log_metric("acc", 1.0)
    log = git(repo, "log", "--format=%s%n%b", "contexta/runs").stdout
    assert "finish run:p.r1 (completed)" in log
    assert "Contexta-Run: run:p.r1" in log
    assert "Contexta-Source-Commit: " in log


def test_never_touches_head_index_or_working_tree(repo: Path) -> None:
    (repo / "train.py").write_text("changed\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "untracked.txt").write_text("u\n")
    before = (git(repo, "rev-parse", "HEAD").stdout, git(repo, "status", "--porcelain").stdout,
              git(repo, "diff", "--cached").stdout, git(repo, "symbolic-ref", "HEAD").stdout)
    with contexta_git.start_run("r1", project="p", repo=repo) as run:
        run.log_metric("acc", 1.0)
    after = (git(repo, "rev-parse", "HEAD").stdout, git(repo, "status", "--porcelain").stdout,
             git(repo, "diff", "--cached").stdout, git(repo, "symbolic-ref", "HEAD").stdout)
    assert before == after
    data = Runs.open(repo).get(RunId("p", "r1"))
    assert data.source["dirty"] is True and len(data.source["diff_sha256"]) == 64


def test_failed_run_is_marked_and_exception_propagates(repo: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        with contexta_git.start_run("boom", project="p", repo=repo) as run:
            run.log_metric("loss", 1.0)
            raise ZeroDivisionError("diverged")
    data = Runs.open(repo).get(RunId("p", "boom"))
    assert data.status == "failed"
    assert data.latest_metrics() == {"loss": 1.0}
    assert any(e.key == "run.failed" and "ZeroDivisionError" in e.message for e in data.events)


def test_duplicate_run_name_is_refused_and_nothing_moves(repo: Path, branch_state) -> None:
    with contexta_git.start_run("r1", project="p", repo=repo):
        pass
    before = branch_state()
    with pytest.raises(RunExists, match="run:p.r1 already exists"):
        with contexta_git.start_run("r1", project="p", repo=repo):
            pass
    assert branch_state() == before


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.9", True, None, [1]])
def test_bad_metric_values_are_refused(repo: Path, value: object) -> None:
    with contexta_git.start_run("r1", project="p", repo=repo) as run:
        with pytest.raises(ContextaError, match="metric 'acc' must be"):
            run.log_metric("acc", value)  # type: ignore[arg-type]
    assert Runs.open(repo).get(RunId("p", "r1")).metrics == ()


def test_dataset_and_artifact_fingerprints_match_git(repo: Path) -> None:
    (repo / "data.csv").write_text("a,b\n1,2\n")
    (repo / "model.bin").write_bytes(b"\x00\x01weights")
    with contexta_git.start_run("r1", project="p", repo=repo) as run:
        run.dataset("train", version="v3", path=repo / "data.csv", rows=1)
        run.artifact(repo / "model.bin", kind="model")
    data = Runs.open(repo).get(RunId("p", "r1"))
    blob = git(repo, "hash-object", "data.csv").stdout.strip()
    assert data.datasets[0].git_blob == blob and data.datasets[0].version == "v3"
    assert data.artifacts[0].sha256 is not None and data.artifacts[0].size == 9


def test_flush_commits_buffered_records(repo: Path) -> None:
    run = contexta_git.start_run("r1", project="p", repo=repo).start()
    run.log_metric("loss", 0.1)
    assert Runs.open(repo).get(RunId("p", "r1")).metrics == ()
    run.flush()
    assert Runs.open(repo).get(RunId("p", "r1")).latest_metrics() == {"loss": 0.1}
    assert Runs.open(repo).get(RunId("p", "r1")).status == "running"
    run.finish()


def test_time_based_flush(repo: Path) -> None:
    run = contexta_git.start_run("r1", project="p", repo=repo, flush_interval=0).start()
    run.log_metric("loss", 0.1)
    assert Runs.open(repo).get(RunId("p", "r1")).latest_metrics() == {"loss": 0.1}
    run.finish()
