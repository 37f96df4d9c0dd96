"""Metric references with aggregates (``loss.min``) wherever a metric is named: runs
filters and sort, best, gate policies, diff; and ``show`` of step series (summaries, and
the points with --series). Real repositories, the CLI as the user runs it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from contexta_git.analysis.compare import compare_runs
from contexta_git.analysis.listing import list_runs
from contexta_git.analysis.select import best_run
from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.record.run import start_run
from contexta_git.release.gate import gate
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import RunChange, Runs

from tests.conftest import git

LOSSES = {"steady": [1.0, 0.6, 0.4, 0.3], "spiky": [2.0, 0.1, 0.9, 0.8],
          "flat": [0.5, 0.5, 0.5, 0.45]}


def runs_with_series(repo: Path) -> Runs:
    for name, losses in LOSSES.items():
        with start_run(name, project="p", repo=repo, capture_environment=False) as run:
            with run.stage("train"):
                for step, loss in enumerate(losses):
                    run.log_metric("loss", loss, step=step * 10)
                    run.flush()
            run.log_metric("acc", 1 - losses[-1], stage="evaluate")
    return Runs.open(repo)


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def test_best_filters_and_sort_take_aggregates(repo: Path) -> None:
    runs = runs_with_series(repo)
    assert best_run(runs, None, "loss.min", higher_is_better=False).ref == "run:p.spiky"
    assert best_run(runs, None, "loss", higher_is_better=False).ref == "run:p.steady"  # latest
    assert best_run(runs, None, "loss.last", higher_is_better=False).ref == "run:p.steady"
    assert best_run(runs, None, "loss.first", higher_is_better=False).ref == "run:p.flat"
    assert best_run(runs, None, "loss.max", stage_name="train").value == 2.0
    assert invoke(repo, "best", "loss.min", "--min")[1] == "run:p.spiky\n"
    assert invoke(repo, "best", "loss.min", "--min", "--stage", "evaluate")[0] == 2
    assert [r.name for r in list_runs(runs, metric="loss.min<0.35")] == ["steady", "spiky"]
    assert [r.name for r in list_runs(runs, metric="loss.count==4")] == list(LOSSES)
    assert [r.name for r in list_runs(runs, sort="loss.max")] == ["spiky", "steady", "flat"]
    code, out, _err = invoke(repo, "runs", "--metric", "loss.max>1", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["spiky"]
    code, out, _err = invoke(repo, "runs", "--sort", "loss.min", "--json")
    assert [r["name"] for r in json.loads(out)] == ["spiky", "steady", "flat"]
    assert json.loads(out)[0]["metrics"] == {"loss": 0.8, "acc": 0.19999999999999996}


def test_a_gate_policy_checks_a_series_aggregate(repo: Path, tmp_path: Path) -> None:
    runs = runs_with_series(repo)
    policy = parse_policy('[metrics."loss.min"]\nmax = 0.35\nstage = "train"\n'
                          '[metrics."loss.count"]\nmin = 4\n')
    assert gate(runs, "steady", policy).decision == "PASS"
    flat = gate(runs, "flat", policy)
    assert flat.decision == "FAIL" and flat.rows[0].value == 0.45
    assert flat.rows[0].reason == "0.45 > max 0.35"
    path = tmp_path / "policy.toml"
    path.write_text('[metrics."loss.max"]\nmax = 1.5\n')
    code, out, _err = invoke(repo, "gate", "spiky", "--policy", str(path), "--format", "json")
    assert code == 1 and json.loads(out)["checks"][0]["value"] == 2.0
    path.write_text("[metrics.loss.min]\nmax = 1.5\n")  # unquoted: a table inside [metrics.loss]
    code, _out, err = invoke(repo, "gate", "spiky", "--policy", str(path))
    assert code == 2 and err == (f"Error: invalid policy {path}: [metrics.loss] holds a table "
                                 "'min': quote a series aggregate as one key, "
                                 '[metrics."loss.min"]\n')


def test_diff_shows_series_by_their_summaries(repo: Path) -> None:
    runs = runs_with_series(repo)
    result = compare_runs(runs, "steady", "spiky")
    (train,) = [s for s in result.stage_comparisons if s.stage_name == "train"]
    rows = {d.metric_key: (d.left, d.right) for d in train.metric_deltas}
    assert rows == {"loss": (0.3, 0.8), "loss.first": (1.0, 2.0), "loss.min": (0.3, 0.1),
                    "loss.max": (1.0, 2.0), "loss.count": (4, 4)}
    out = invoke(repo, "diff", "steady", "spiky", "--md")[1]
    assert "| train | loss.min | 0.3 | 0.1 | -0.2 |" in out
    assert "loss.count" not in out  # unchanged rows are left out
    code, out, _err = invoke(repo, "compare", "steady", "spiky", "flat", "--json")
    rows = {r["key"]: r["values"] for r in json.loads(out)["rows"] if r["section"] == "metric"}
    assert code == 0 and rows["train.loss.min"] == [0.3, 0.1, 0.45]
    assert rows["train.loss"] == [0.3, 0.8, 0.45] and "train.loss.count" not in rows


def test_show_prints_summaries_and_series_prints_every_point(repo: Path) -> None:
    runs_with_series(repo)
    code, out, _err = invoke(repo, "show", "spiky")
    assert code == 0
    assert "train  loss    4       0..30  0.8   0.1 (10)    2 (0)" in out
    code, out, _err = invoke(repo, "show", "spiky", "--json")
    shown = json.loads(out)
    assert shown["series"][0]["min"] == 0.1 and shown["series"][0]["min_step"] == 10
    assert [m["key"] for m in shown["metric_records"]] == ["acc"]
    code, out, _err = invoke(repo, "show", "spiky", "--series", "loss")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["step"], r["value"], r["stage"]) for r in rows] == [
        ("0", "2.0", "train"), ("10", "0.1", "train"), ("20", "0.9", "train"),
        ("30", "0.8", "train")]
    assert all(int(r["time_ms"]) > 1_700_000_000_000 for r in rows)
    code, out, _err = invoke(repo, "show", "spiky", "--series", "loss", "--json")
    points = json.loads(out)["points"]
    assert [(p["step"], p["value"], p["stage"]) for p in points] == [
        (0, 2.0, "train"), (10, 0.1, "train"), (20, 0.9, "train"), (30, 0.8, "train")]
    assert invoke(repo, "show", "spiky", "--series", "loss", "--stage", "evaluate")[2] == (
        "Error: run:p.spiky has no step series 'loss' in stage 'evaluate'\n")
    assert invoke(repo, "show", "spiky", "--series", "los") == (
        2, "", "Error: run:p.spiky has no step series 'los' (it has: loss)\n")
    assert invoke(repo, "show", "spiky", "--stage", "train") == (
        2, "", "Error: --stage goes with --series KEY\n")


def test_an_unreadable_chunk_is_named_and_never_breaks_listings(repo: Path) -> None:
    runs = runs_with_series(repo)
    folder = RunId("p", "spiky").path
    chunk = next(p for p in git(repo, "ls-tree", "-r", "--name-only", "contexta/runs",
                                "--", folder).stdout.split() if "/series/" in p)
    runs.store.commit(lambda view: {chunk: b"values = [1, 2\n"}, "damage a chunk")
    code, out, err = invoke(repo, "runs", "--json")
    assert code == 0 and len(json.loads(out)) == 3 and err == ""  # summaries only
    assert invoke(repo, "best", "loss.min", "--min")[1] == "run:p.spiky\n"
    assert invoke(repo, "show", "spiky")[0] == 0
    code, out, err = invoke(repo, "show", "spiky", "--series", "loss")
    assert code == 2 and err.startswith(f"Error: unreadable run {chunk}: not valid TOML")
    runs.store.commit(lambda view: {f"{folder}/series.toml": b"next_chunk = 'x'\n"}, "damage")
    code, out, err = invoke(repo, "runs", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["flat", "steady"]
    assert err == (f"Warning: skipped unreadable run {folder}/series.toml: next_chunk must be "
                   "an integer, got 'x'\n")


def test_series_points_and_their_summaries_stay_apart_from_single_values(repo: Path) -> None:
    with start_run("r", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("loss", 0.9, step=1)
        run.log_metric("loss", 0.7, step=2)
        run.flush()
        run.log_metric("loss", 0.2)  # a final value without a step: logged last, it is latest
    runs = Runs.open(repo)
    data = runs.get(RunId("p", "r"))
    assert data.latest_metrics() == {"loss": 0.2}
    assert data.metric("loss.last") == 0.2 and data.metric("loss.min") == 0.7
    change = RunChange(RunId("p", "r"), create=False)
    change.add("metrics.toml", {"id": "x", "key": "loss.min", "value": 5.0})
    runs.apply([change], "a metric whose key looks like an aggregate")
    assert runs.get(RunId("p", "r")).metric("loss.min") == 5.0  # the exact key wins
