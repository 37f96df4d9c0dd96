"""The merge rules for a run changed on both sides, and rm (retention)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from contexta_git.core import records
from contexta_git.cli.main import cli
from contexta_git.store.merge import merge_stages, merge_tables
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git, run_tree


def test_run_header_merge_prefers_terminal_status_and_later_end() -> None:
    base = {"status": "running", "params": {"lr": 0.1}, "notes": "n"}
    ours = {"status": "running", "params": {"lr": 0.1, "a": 1}, "notes": "mine"}
    theirs = {"status": "completed", "ended_at": "2026-01-02T00:00:00Z",
              "params": {"lr": 0.1, "b": 2}, "notes": "n"}
    merged = merge_tables(base, ours, theirs)
    assert merged == {"status": "completed", "params": {"lr": 0.1, "a": 1, "b": 2},
                      "notes": "mine", "ended_at": "2026-01-02T00:00:00Z"}
    ours = {"status": "failed", "ended_at": "2026-01-01T00:00:00Z"}
    theirs = {"status": "completed", "ended_at": "2026-01-03T00:00:00Z"}
    assert merge_tables(base, ours, theirs) == theirs  # both terminal: the later end wins
    assert merge_tables(base, theirs, ours) == theirs
    assert merge_tables({}, {"x": 1}, {"x": 2}) == {"x": 1}  # otherwise ours


def test_stages_merge_as_a_union_by_name() -> None:
    base = records.dumps({"stages": [{"name": "train", "status": "running", "order": 0}]})
    ours = records.dumps({"stages": [{"name": "train", "status": "running", "order": 0},
                                     {"name": "eval", "status": "completed", "order": 1}]})
    theirs = records.dumps({"stages": [{"name": "train", "status": "completed", "order": 0,
                                        "ended_at": "t"}]})
    merged = records.loads(merge_stages(base, ours, theirs))["stages"]
    assert [(s["name"], s["status"]) for s in merged] == [("train", "completed"),
                                                          ("eval", "completed")]


def test_rm_removes_runs_from_the_tip_and_history_keeps_them(repo: Path) -> None:
    runs = Runs.open(repo)
    for name in ("a", "b", "c"):
        record(runs, "p", name, metrics={"acc": 1.0}, capture_environment=False)
    before = git(repo, "rev-parse", "contexta/runs").stdout.strip()
    out = CliRunner().invoke(cli, ["--repo", str(repo), "rm", "a", "run:p.b"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Removed run:p.a, run:p.b from contexta/runs.\n")
    assert [r.name for r in runs.ids()] == ["c"]
    assert not any(f"/{RunId('p', 'a').name}/" in p for p in run_tree(repo))
    assert f"{RunId('p', 'a').path}/run.toml" in git(repo, "ls-tree", "-r", "--name-only",
                                                     before).stdout
    assert "Contexta-Removed: run:p.a run:p.b" in git(repo, "log", "-1", "contexta/runs").stdout
    tip = git(repo, "rev-parse", "contexta/runs").stdout
    out = CliRunner().invoke(cli, ["--repo", str(repo), "rm", "c", "nope"])
    assert out.exit_code == 2 and out.output.startswith("Error: no run 'nope'")
    assert git(repo, "rev-parse", "contexta/runs").stdout == tip  # nothing written
    git(repo, "fsck", "--strict")
