"""The recording commands as a user types them."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner
from packaging.pylock import Pylock

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs

from tests.conftest import git


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def test_init_creates_the_branch_once(repo: Path) -> None:
    code, out = invoke(repo, "init")
    assert code == 0 and out.startswith("Created contexta/runs at ")
    assert git(repo, "show", "contexta/runs:FORMAT").stdout == "contexta-git/2\n"
    code, out = invoke(repo, "init")
    assert code == 0 and out.startswith("Already there: contexta/runs at ")
    assert git(repo, "rev-list", "--count", "contexta/runs").stdout.strip() == "1"


def test_record_from_flags_and_files(repo: Path) -> None:
    (repo / "metrics.json").write_text(json.dumps({"accuracy": 0.91, "eval": {"auc": 0.95}}))
    (repo / "params.yaml").write_text("lr: 0.01\nmodel:\n  depth: 6\n")
    (repo / "more.toml").write_text("f1 = 0.88\n")
    code, out = invoke(repo, "record", "-p", "churn", "-n", "base", "--stage", "evaluate",
                       "--metrics-file", str(repo / "metrics.json"),
                       "--metrics-file", str(repo / "more.toml"), "--metric", "loss=0.3",
                       "--params-file", str(repo / "params.yaml"), "--param", "seed=7",
                       "--param", "optimizer=adam", "--event", "note=retrained on v3")
    assert code == 0, out
    assert out == "Recorded run:churn.base: 4 metrics, 4 params\n"
    data = Runs.open(repo).get(RunId("churn", "base"))
    assert data.latest_metrics("evaluate") == {"accuracy": 0.91, "eval.auc": 0.95, "f1": 0.88,
                                               "loss": 0.3}
    assert data.params == {"lr": 0.01, "model.depth": 6, "seed": 7, "optimizer": "adam"}
    assert [(e.key, e.message) for e in data.events] == [("note", "retrained on v3")]
    assert data.status == "completed" and [s.name for s in data.stages] == ["evaluate"]
    # the whole run is one commit
    assert git(repo, "rev-list", "--count", "contexta/runs").stdout.strip() == "1"


def test_record_captures_a_valid_pylock(repo: Path) -> None:
    code, out = invoke(repo, "record", "-p", "p", "-n", "r", "--metric", "acc=1")
    assert code == 0, out
    data = Runs.open(repo).get(RunId("p", "r"))
    doc = tomllib.loads(data.lockfile.decode())
    lock = Pylock.from_dict(doc)
    unlocked = doc.get("tool", {}).get("contexta-git", {}).get("unlocked", [])
    names = {p.name for p in lock.packages} | {u["name"] for u in unlocked}
    assert {"pygit2", "click", "tomli-w", "packaging"} <= names
    assert len(lock.packages) + len(unlocked) == len(data.packages)
    assert data.environment["python"]["version"] == ".".join(map(str, sys.version_info[:3]))


def test_runs_and_show_json(repo: Path) -> None:
    for name, acc in (("a", 0.8), ("b", 0.9)):
        assert invoke(repo, "record", "-p", "p", "-n", name, "--metric", f"acc={acc}",
                      "--no-environment")[0] == 0
    code, out = invoke(repo, "runs", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == ["b", "a"]
    assert {"run_id", "project", "name", "status", "started_at"} <= set(rows[0])
    assert rows[0]["run_id"] == "p.b" and rows[0]["metrics"] == {"acc": 0.9}
    code, out = invoke(repo, "show", "a", "--json")
    assert code == 0 and json.loads(out)["metrics"] == {"acc": 0.8}
    code, out = invoke(repo, "show", "run:p.b")
    assert code == 0 and "run:p.b  completed" in out and "acc" in out


def test_show_unknown_and_ambiguous(repo: Path) -> None:
    for project in ("p", "q"):
        invoke(repo, "record", "-p", project, "-n", "same", "--metric", "acc=1", "--no-environment")
    invoke(repo, "record", "-p", "p", "-n", "baseline", "--metric", "acc=1", "--no-environment")
    assert invoke(repo, "show", "same") == (
        2, "Error: run name 'same' is ambiguous: run:p.same, run:q.same; use run:<project>.<name>\n")
    assert invoke(repo, "show", "baseline2") == (
        2, "Error: no run 'baseline2'; did you mean run:p.baseline?\n")


def test_run_wraps_a_command(repo: Path) -> None:
    script = repo / "train.py"
    script.write_text("import json, sys\njson.dump({'acc': 0.93}, open(sys.argv[1], 'w'))\n")
    metrics = repo / "out.json"
    code, out = invoke(repo, "run", "-p", "p", "-n", "nightly", "--metrics-file", str(metrics),
                       "--", sys.executable, str(script), str(metrics))
    assert code == 0, out
    data = Runs.open(repo).get(RunId("p", "nightly"))
    assert data.status == "completed" and data.latest_metrics() == {"acc": 0.93}
    exit_event = next(e for e in data.events if e.key == "run.exit")
    assert exit_event.attributes["exit_code"] == 0


def test_run_failing_command_exits_with_its_status(repo: Path) -> None:
    code, out = invoke(repo, "run", "-p", "p", "-n", "bad", "--metrics-file", "nope.json", "--",
                       sys.executable, "-c", "raise SystemExit(3)")
    assert code == 3, out
    data = Runs.open(repo).get(RunId("p", "bad"))
    assert data.status == "failed"
    assert {e.key for e in data.events} == {"run.exit", "metrics.missing"}


def test_run_without_command(repo: Path, branch_state) -> None:
    assert invoke(repo, "run", "-p", "p", "-n", "x") == (
        2, "Error: no command given: put it after --, e.g. contexta-git run ... -- python train.py\n")
    assert branch_state() == (None, 0)


def test_demo_runs_end_to_end() -> None:
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Recorded 3 runs on branch contexta/runs" in result.output
    assert "Demo finished" in result.output

