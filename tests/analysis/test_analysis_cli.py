"""The analysis commands through click's CliRunner: exit codes, exact errors, state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.analysis.test_analysis import RUN_LEVEL, put


@pytest.fixture
def runs(repo: Path) -> Runs:
    store = Runs.open(repo)
    put(store, "old", "2025-03-28T09:00:00Z", {"train": {"loss": 0.3}, "evaluate": {"auc": 0.96,
        "f1": 0.9}}, packages={"torch": "2.0.0", "numpy": "1.24.0"}, params={"lr": 0.1})
    put(store, "mid", "2025-04-03T09:00:00Z", {"evaluate": {"auc": 0.912}},
        packages={"torch": "2.1.0", "numpy": "1.24.0"})
    put(store, "new", "2025-04-14T09:00:00Z", {"train": {"loss": 0.2}, "evaluate": {"auc": 0.918,
        "f1": 0.9}, RUN_LEVEL: {"secs": 3.0}}, packages={"torch": "2.1.0", "numpy": "1.26.4"},
        params={"lr": 0.01})
    return store


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def test_diff_tables_json_and_markdown(repo: Path, runs: Runs) -> None:
    code, out, _ = invoke(repo, "diff", "old", "new")
    assert code == 0
    assert "evaluate  auc     0.96  0.918  -0.042" in out
    assert "f1" not in out  # unchanged rows are hidden by default
    assert "param lr: 0.1 -> 0.01" in out
    assert "package changed: numpy 1.24.0 -> 1.26.4" in out
    assert "f1" in invoke(repo, "diff", "old", "new", "--all")[1]
    data = json.loads(invoke(repo, "diff", "old", "new", "--json")[1])
    assert data["environment"]["changed_packages"] == [
        {"package": "numpy", "left": "1.24.0", "right": "1.26.4"},
        {"package": "torch", "left": "2.0.0", "right": "2.1.0"}]
    md = invoke(repo, "diff", "run:p.old", "p.new", "--md")[1]
    assert "| evaluate | auc | 0.96 | 0.918 | -0.042 |" in md
    assert "- changed: `torch` 2.0.0 → 2.1.0" in md


def test_unknown_run_suggests_close_matches(repo: Path, runs: Runs, branch_state) -> None:
    before = branch_state()
    code, _, err = invoke(repo, "diff", "olld", "new")
    assert code == 2 and err == "Error: no run 'olld'; did you mean run:p.old?\n"
    code, _, err = invoke(repo, "quarantine", "nwe", "--reason", "x")
    assert code == 2 and err == "Error: no run 'nwe'; did you mean run:p.new?\n"
    put(runs, "old", "2025-01-01T00:00:00Z", project="q")
    before = branch_state()
    code, _, err = invoke(repo, "audit", "old")
    assert code == 2 and err == ("Error: run name 'old' is ambiguous: run:p.old, run:q.old; "
                                 "use run:<project>.<name>\n")
    assert branch_state() == before


def test_audit_and_report(repo: Path, runs: Runs, tmp_path: Path) -> None:
    code, out, _ = invoke(repo, "audit", "old")
    assert code == 0 and "run:p.old  partial" in out
    assert "[MISS] lockfile    no pylock.toml: package sources are unknown" in out
    assert json.loads(invoke(repo, "audit", "old", "--json")[1])["package_count"] == 2
    code, out, _ = invoke(repo, "report", "old")
    assert code == 0 and out.startswith("# Run report: run:p.old\n")
    target = tmp_path / "r.html"
    code, _, err = invoke(repo, "report", "old", "--format", "html", "-o", str(target))
    assert code == 0 and err == f"Wrote {target}\n"
    assert "<h2>Metrics</h2>" in target.read_text() and "run:p.old" in target.read_text()
    assert json.loads(invoke(repo, "report", "old", "--format", "json")[1])["run"] == "run:p.old"


def test_best_and_runs_filters_with_quarantine(repo: Path, runs: Runs) -> None:
    assert invoke(repo, "best", "auc", "--stage", "evaluate") == (0, "run:p.old\n", "")
    assert invoke(repo, "best", "loss", "--min")[1] == "run:p.new\n"
    code, out, _ = invoke(repo, "quarantine", "old", "--reason", "clamped data")
    assert (code, out) == (0, "quarantined 1 run(s): run:p.old\n")
    assert invoke(repo, "best", "auc", "--stage", "evaluate")[1] == "run:p.new\n"
    assert invoke(repo, "best", "auc", "--include-quarantined")[1] == "run:p.old\n"
    names = [r["name"] for r in json.loads(invoke(repo, "runs", "--json")[1])]
    assert names == ["new", "mid"]  # newest first, quarantined left out
    names = [r["name"] for r in json.loads(invoke(repo, "runs", "--json", "--include-quarantined",
                                                  "--sort", "-auc")[1])]
    assert names == ["old", "new", "mid"]
    assert [r["name"] for r in json.loads(invoke(repo, "runs", "--json", "--quarantined")[1])] == [
        "old"]
    out = invoke(repo, "runs", "--json", "--metric", "auc>0.915", "--include-quarantined")[1]
    assert [r["name"] for r in json.loads(out)] == ["new", "old"]
    code, _, err = invoke(repo, "runs", "--metric", "auc>>1")
    assert code == 2 and err.startswith("Error: metric condition 'auc>>1' must look like")
    code, out, _ = invoke(repo, "quarantine", "old", "--reason", "false alarm", "--undo")
    assert (code, out) == (0, "released 1 run(s): run:p.old\n")
    assert invoke(repo, "best", "auc")[1] == "run:p.old\n"


def test_annotate_window(repo: Path, runs: Runs, branch_state) -> None:
    code, out, _ = invoke(repo, "annotate", "--started-between", "2025-04-01", "2025-04-14",
                          "--event", "data.contamination-window", "-m", "vendor clamp",
                          "--attr", "vendor=acme")
    assert code == 0
    assert out == ("annotated 2 run(s) with data.contamination-window:\n  run:p.mid\n  run:p.new\n")
    assert git(repo, "log", "-1", "--format=%s", "contexta/runs").stdout == \
        "annotate 2 runs: data.contamination-window\n"
    assert Runs.open(repo).get(RunId("p", "mid")).events[0].attributes == {"vendor": "acme"}
    names = json.loads(invoke(repo, "runs", "--json", "--event", "data.contamination-window")[1])
    assert [r["name"] for r in names] == ["new", "mid"]
    before = branch_state()
    code, _, err = invoke(repo, "annotate", "--started-between", "2025-04-14", "2025-04-01",
                          "--event", "x")
    assert code == 2 and err == "Error: time window starts after it ends: 2025-04-14 > 2025-04-01\n"
    code, _, err = invoke(repo, "annotate", "--started-between", "2025-04-01", "soon",
                          "--event", "x")
    assert code == 2 and err.startswith("Error: 'soon' is not an ISO date or date-time")
    code, _, err = invoke(repo, "annotate", "--started-between", "2025-04-01", "2025-04-02",
                          "--event", "x", "--attr", "novalue")
    assert code == 2 and err == "Error: attribute 'novalue' must look like KEY=VALUE\n"
    assert branch_state() == before


def test_demo_shows_a_diff_and_an_audit(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert "== 4. What changed from run:demo.lr-0.1 to run:demo.lr-0.03" in result.stdout
    assert "param lr: 0.1 -> 0.03" in result.stdout
    assert "[PASS] seed        seed recorded: seed=7" in result.stdout
