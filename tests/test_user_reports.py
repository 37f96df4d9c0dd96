"""Problems a new user ran into, kept fixed: each test is the user's own command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.names import RunId
from contexta_git.store import Runs


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def test_diff_of_runs_sharing_no_params_or_packages(repo: Path) -> None:
    assert invoke(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.9", "--param",
                  "lr=0.1", "--no-environment")[0] == 0
    assert invoke(repo, "record", "-p", "p", "-n", "b", "--metric", "acc=0.8",
                  "--param", "depth=3")[0] == 0
    code, out = invoke(repo, "diff", "a", "b", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert {c["key"] for c in doc["params"]} == {"lr", "depth"}
    assert len(doc["environment"]["added_packages"]) > 10  # b captured packages, a did not
    for extra in ([], ["--all"], ["--md"]):
        code, out = invoke(repo, "diff", "a", "b", *extra)
        assert code == 0 and "acc" in out, out


def test_run_with_an_invalid_metrics_file_ends_failed_with_the_commands_status(repo: Path) -> None:
    out_file = repo / "out.json"
    code, out = invoke(repo, "run", "-p", "p", "-n", "nan", "--metrics-file", str(out_file), "--",
                       sys.executable, "-c",
                       f"open({str(out_file)!r}, 'w').write('{{\"acc\": NaN}}')")
    assert code == 0, out
    assert "Warning: " in out and "metric 'acc' must be finite" in out
    data = Runs.open(repo).get(RunId("p", "nan"))
    assert data.status == "failed" and data.ended_at
    assert any(e.key == "metrics.invalid" for e in data.events)


def test_run_exit_codes_follow_the_shell(repo: Path) -> None:
    code, out = invoke(repo, "run", "-p", "p", "-n", "missing", "--", "no-such-command-xyz")
    assert code == 127
    assert out.startswith("Error: could not start no-such-command-xyz: No such file or directory")
    assert Runs.open(repo).get(RunId("p", "missing")).status == "failed"
    code, _ = invoke(repo, "run", "-p", "p", "-n", "killed", "--", sys.executable, "-c",
                     "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert code == 143
    data = Runs.open(repo).get(RunId("p", "killed"))
    assert data.status == "failed" and data.params["command"].endswith("signal.SIGTERM)'")
