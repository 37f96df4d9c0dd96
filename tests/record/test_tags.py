"""Tags set where runs are recorded: record --tag, run --tag, start_run(tags=)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import contexta_git
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs

CLI = [sys.executable, "-m", "contexta_git"]


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=repo, capture_output=True, text=True, check=False)


def test_record_and_run_take_tags(repo: Path) -> None:
    done = cli(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.5", "--tag", "team=vision",
               "--tag", "why=retry after [OOM]", "--no-environment")
    assert done.returncode == 0, done.stderr
    assert Runs.open(repo).get(RunId("p", "a")).tags == {"team": "vision", "why": "retry after [OOM]"}
    shown = cli(repo, "show", "a")
    assert "tags: team=vision, why=retry after [OOM]" in shown.stdout
    assert json.loads(cli(repo, "show", "a", "--json").stdout)["tags"]["team"] == "vision"
    done = cli(repo, "run", "-p", "p", "-n", "b", "--tag", "team=nlp", "--", "true")
    assert done.returncode == 0, done.stderr
    assert Runs.open(repo).get(RunId("p", "b")).tags == {"team": "nlp"}


def test_a_malformed_tag_is_one_line_and_writes_nothing(repo: Path) -> None:
    done = cli(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.5", "--tag", "novalue")
    assert done.returncode == 2
    assert done.stderr.strip() == "Error: tag 'novalue' must look like KEY=VALUE"
    assert Runs.open(repo).store.tip() is None


def test_start_run_takes_tags(repo: Path) -> None:
    with contexta_git.start_run("c", project="p", repo=repo, tags={"team": "vision"},
                                capture_environment=False) as run:
        run.log_metric("acc", 0.7)
    assert Runs.open(repo).get(RunId("p", "c")).tags == {"team": "vision"}
