"""pull names every run the incoming history removed: fast-forward and merge alike."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.share.sync import pull, push
from contexta_git.store.rm import rm
from contexta_git.store.runs import Runs

from tests.conftest import git, two_clones


def _clones(tmp_path: Path) -> tuple[Path, Path]:
    return two_clones(tmp_path)


def _rec(runs: Runs, name: str) -> None:
    record(runs, "p", name, metrics={"acc": 0.5}, capture_environment=False)


def test_a_fast_forward_that_removes_runs_says_which(tmp_path: Path) -> None:
    path_a, path_b = _clones(tmp_path)
    a, b = Runs.open(path_a), Runs.open(path_b)
    for name in ("r1", "r2", "r3"):
        _rec(a, name)
    push(a)
    pull(b)
    before = git(path_b, "rev-parse", "contexta/runs").stdout.strip()
    rm(a, ["r1", "r2", "r3"])
    push(a)
    out = CliRunner().invoke(cli, ["--repo", str(path_b), "pull"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "Fast-forward: 0 new runs, 0 merged, 3 removed",
        "  removed run:p.r1", "  removed run:p.r2", "  removed run:p.r3",
        f"History still holds them: git show {before[:12]} has them.",
    ]
    assert b.ids() == []
    rm_back = git(path_b, "ls-tree", "-r", "--name-only", before).stdout
    assert rm_back.count("/run.toml") == 3  # the previous tip named in the output has them


def test_a_merge_that_removes_runs_says_which_in_json(tmp_path: Path) -> None:
    path_a, path_b = _clones(tmp_path)
    a, b = Runs.open(path_a), Runs.open(path_b)
    for name in ("keep", "gone1", "gone2"):
        _rec(a, name)
    push(a)
    pull(b)
    rm(a, ["gone1", "gone2"])
    push(a)
    _rec(b, "mine")  # b moved too: a real merge
    before = git(path_b, "rev-parse", "contexta/runs").stdout.strip()
    out = CliRunner().invoke(cli, ["--repo", str(path_b), "pull", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["how"] == "merge"
    assert result["removed"] == ["run:p.gone1", "run:p.gone2"]
    assert result["previous"] == before
    assert sorted(r.name for r in b.ids()) == ["keep", "mine"]
    subject = git(path_b, "log", "-1", "--format=%s", "contexta/runs").stdout.strip()
    assert subject == "merge runs from origin: 0 new, 0 merged, 2 removed"
    # nothing removed: the summary says nothing about removals
    _rec(a, "later")
    push(a)
    out = CliRunner().invoke(cli, ["--repo", str(path_b), "pull"])
    assert out.output.splitlines()[0] == "Merged: 1 new run, 0 merged"
