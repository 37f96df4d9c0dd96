"""push --every: at most one push per interval, the rest queued and sent by one
background sender with every run recorded meanwhile. The server's reflog counts pushes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.time import parse_duration
from contexta_git.errors import InvalidValue
from contexta_git.record.oneshot import record
from contexta_git.share.batch import Queued, push_every
from contexta_git.share.sync import PushResult
from contexta_git.store.runs import Runs

from tests.conftest import git


def _setup(tmp_path: Path, url: str) -> tuple[Runs, Path]:
    served = tmp_path / "served" / "server.git"
    git(served, "config", "core.logAllRefUpdates", "always")  # one reflog line per push
    git(tmp_path, "clone", "-q", url, str(tmp_path / "a"))
    return Runs.open(tmp_path / "a"), served


def _pushes(served: Path) -> int:
    out = git(served, "reflog", "show", "--format=%H", "refs/heads/contexta/runs", check=False)
    return len(out.stdout.split())


def _runs_on(served: Path) -> int:
    out = git(served, "ls-tree", "-r", "--name-only", "refs/heads/contexta/runs", check=False)
    return sum(p.endswith("/run.toml") for p in out.stdout.split())


def _wait_for_sender(log: Path, limit: float = 20.0) -> str:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if log.exists() and log.read_text().strip():
            return log.read_text()
        time.sleep(0.1)
    pytest.fail("the background sender never pushed")


def test_one_push_per_interval_the_rest_queued_and_sent_together(tmp_path: Path,
                                                                 server: str) -> None:
    runs, served = _setup(tmp_path, server)
    record(runs, "p", "r1", metrics={"acc": 1.0}, capture_environment=False)
    first = push_every(runs, "origin", 1.5)
    assert isinstance(first, PushResult)
    record(runs, "p", "r2", metrics={"acc": 2.0}, capture_environment=False)
    second = push_every(runs, "origin", 1.5)
    record(runs, "p", "r3", metrics={"acc": 3.0}, capture_environment=False)
    third = push_every(runs, "origin", 1.5)
    assert isinstance(second, Queued) and second.started_sender
    assert isinstance(third, Queued) and not third.started_sender  # one sender only
    assert third.due == second.due
    assert (_pushes(served), _runs_on(served)) == (1, 1)  # nothing sent before the interval
    log = _wait_for_sender(runs.store.common_dir / "contexta-push" / "origin.log")
    assert "pushed" in log and "to origin (1 attempt," in log
    assert (_pushes(served), _runs_on(served)) == (2, 3)  # r2 and r3 in one push


def test_cli_push_every_and_the_setting(tmp_path: Path, server: str) -> None:
    runs, served = _setup(tmp_path, server)
    repo = tmp_path / "a"
    (repo / "pyproject.toml").write_text('[tool.contexta-git]\npush-every = "1h"\n')
    record(runs, "p", "r1", metrics={"acc": 1.0}, capture_environment=False)
    runner = CliRunner()
    out = runner.invoke(cli, ["--repo", str(repo), "push", "--every", "1s"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Pushed contexta/runs at ")
    record(runs, "p", "r2", metrics={"acc": 1.0}, capture_environment=False)
    out = runner.invoke(cli, ["--repo", str(repo), "push", "--every", "1s"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("Queued: a push to origin went out less than 1s ago; the "
                                 "next one leaves at ")
    _wait_for_sender(runs.store.common_dir / "contexta-push" / "origin.log")
    assert _runs_on(served) == 2
    # the setting alone queues too (1h: the push that went out just now counts)
    out = runner.invoke(cli, ["--repo", str(repo), "push", "--deadline", "5s"])
    assert out.exit_code == 0 and "Queued" in out.output and "push-every" in out.output
    state = runs.store.common_dir / "contexta-push" / "origin.json"
    # no sender is left waiting an hour behind the test: mark the queued push as sent
    state.write_text('{"last": 0, "due": null}')


@pytest.mark.parametrize("bad", ["10x", "0", "-5s", "m", "1m 2", "", "1.5.2s"])
def test_bad_durations_are_refused_with_one_line(tmp_path: Path, server: str, bad: str) -> None:
    runs, served = _setup(tmp_path, server)
    record(runs, "p", "r1", metrics={"acc": 1.0}, capture_environment=False)
    out = CliRunner().invoke(cli, ["--repo", str(tmp_path / "a"), "push", "--every", bad])
    assert out.exit_code == 2
    assert out.output.startswith(f"Error: push interval {bad!r}")
    assert out.output.count("\n") == 1
    assert _pushes(served) == 0


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("10m", 600),
                                               ("1h30m", 5400), ("250ms", 0.25), ("1d", 86400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_bad_writer_name_is_refused(tmp_path: Path, server: str) -> None:
    runs, served = _setup(tmp_path, server)
    record(runs, "p", "r1", metrics={"acc": 1.0}, capture_environment=False)
    out = CliRunner().invoke(cli, ["--repo", str(tmp_path / "a"), "push", "--writer", "a/b"])
    assert out.exit_code == 2 and out.output.startswith("Error: ") and "writer" in out.output
    assert git(served, "for-each-ref").stdout.count("contexta") == 0
    with pytest.raises(InvalidValue):
        parse_duration("soon")
