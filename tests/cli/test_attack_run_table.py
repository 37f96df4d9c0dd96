"""Attacks on the run table (`runs --filter/--sort/--format`) found by hand: each test is
the one-line reproduction of a crash or a silent wrong answer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "runs", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_date_param_does_not_break_the_run_table(repo: Path) -> None:
    runs = Runs.open(repo)
    record(runs, "p", "dated", params={"cutoff": dt.datetime(2025, 1, 1, 9, 30),
                                       "day": dt.date(2025, 1, 2)}, capture_environment=False)
    record(runs, "p", "plain", params={"cutoff": "none"}, capture_environment=False)
    code, out, err = invoke(repo, "--format", "json", "--sort", "params.cutoff")
    assert code == 0, err
    rows = json.loads(out)
    assert {row["run"]: row["params.day"] for row in rows} == {"run:p.dated": "2025-01-02",
                                                                "run:p.plain": None}
    code, out, err = invoke(repo, "--filter", "params.day == '2025-01-02'", "--format", "csv")
    assert code == 0, err
    assert "run:p.dated" in out and "run:p.plain" not in out


def test_deeply_nested_filter_is_refused_not_a_crash(repo: Path) -> None:
    record(Runs.open(repo), "p", "a", params={"lr": 0.1}, capture_environment=False)
    for text in ("(" * 400 + "params.lr > 0" + ")" * 400, "not " * 2000 + "params.lr > 0"):
        code, out, err = invoke(repo, "--filter", text)
        assert code == 2 and out == "", err
        assert err.startswith("Error: filter ") and "nested too deeply" in err


def test_an_impossible_date_in_a_filter_is_named(repo: Path) -> None:
    record(Runs.open(repo), "p", "a", params={"lr": 0.1}, capture_environment=False)
    code, out, err = invoke(repo, "--filter", "started >= 2025-13-45")
    assert code == 2 and out == ""
    assert err.startswith("Error: filter 'started >= 2025-13-45': ") and "character 12" in err
