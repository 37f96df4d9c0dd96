"""The analysis API on real repositories: list, snapshot, compare, audit, select,
report, annotate and quarantine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import contexta_git
from contexta_git.core.locks import review
from contexta_git.core import records
from contexta_git.analysis.annotate import annotate
from contexta_git.analysis.audit import audit_reproducibility
from contexta_git.analysis.compare import RUN_LEVEL, compare_runs
from contexta_git.analysis.environments import compare_environments
from contexta_git.errors import AmbiguousRun, ContextaError, InvalidValue, RunNotFound
from contexta_git.analysis.listing import MetricCondition, list_runs, parse_time
from contexta_git.core.names import RunId
from contexta_git.analysis.quarantine import quarantine
from contexta_git.analysis.report import build_snapshot_report
from contexta_git.analysis.select import NoCandidate, select_best_run
from contexta_git.compat.snapshot import get_run_snapshot
from contexta_git.store.runs import RunChange, Runs

from tests.conftest import git


def put(runs: Runs, name: str, started: str, metrics: dict[str, dict[str, float]] | None = None,
        *, project: str = "p", packages: dict[str, str] | None = None, python: str = "3.11.0",
        params: dict[str, Any] | None = None, events: tuple[str, ...] = ()) -> RunId:
    """One completed run written in one commit, with explicit times."""
    rid = RunId(project, name)
    change = RunChange(rid, create=True, header={"status": "completed", "started_at": started,
                                                 "params": params or {}})
    order = 0
    for stage, values in (metrics or {}).items():
        if stage != RUN_LEVEL:
            change.stages.append({"name": stage, "order": order})
            order += 1
        for key, value in values.items():
            change.add("metrics.toml", {"id": f"{stage}-{key}", "key": key, "value": value,
                                        **({} if stage == RUN_LEVEL else {"stage": stage})})
    for key in events:
        change.add("events.toml", {"id": f"e-{key}", "key": key, "message": key})
    if packages is not None:
        change.environment = records.dumps({"python": {"version": python}, "platform": "linux",
                                            "packages": packages})
    runs.apply([change], f"test put {rid.ref}")
    return rid


@pytest.fixture
def runs(repo: Path) -> Runs:
    return Runs.open(repo)


def test_list_runs_oldest_first_with_filters(runs: Runs) -> None:
    put(runs, "b", "2025-04-03T09:00:00Z", {"evaluate": {"auc": 0.91}}, events=("data.bad",))
    put(runs, "a", "2025-03-28T09:00:00Z", {"evaluate": {"auc": 0.96}})
    put(runs, "c", "2025-04-21T23:30:00Z", {"evaluate": {"auc": 0.90}}, events=("data.bad",))
    put(runs, "d", "2025-04-22T00:00:00Z", {"evaluate": {"auc": 0.95}})
    assert [r.name for r in list_runs(runs, "p")] == ["a", "b", "c", "d"]
    window = list_runs(runs, "p", started_between=("2025-04-01", "2025-04-21"))
    assert [r.name for r in window] == ["b", "c"]  # the end date includes its whole day
    assert [r.name for r in list_runs(runs, "p", event="data.bad")] == ["b", "c"]
    assert [r.name for r in list_runs(runs, "p", metric="auc>=0.95")] == ["a", "d"]
    assert [r.name for r in list_runs(runs, "p", sort="auc")] == ["a", "d", "b", "c"]
    assert [r.name for r in list_runs(runs, "p", sort="auc", descending=False)][0] == "c"
    assert list_runs(runs, "p", detail=True)[0].latest_metrics("evaluate") == {"auc": 0.96}


@pytest.mark.parametrize("text", ["auc", "auc>>1", "auc>=high", ">=0.9"])
def test_bad_metric_conditions_are_one_line_errors(text: str) -> None:
    with pytest.raises(InvalidValue, match="metric condition"):
        MetricCondition.parse(text)


def test_time_parsing() -> None:
    assert parse_time("2025-04-21", end=True).isoformat() == "2025-04-21T23:59:59.999999+00:00"
    assert parse_time("2025-04-21T09:00:00+02:00").hour == 9
    with pytest.raises(InvalidValue, match="not an ISO date"):
        parse_time("April 1st")


def test_snapshot_has_the_seeds_shape(runs: Runs) -> None:
    put(runs, "a", "2025-03-28T09:00:00Z", {"evaluate": {"auc": 0.96}}, events=("note",),
        params={"seed": 1})
    snap = get_run_snapshot(runs, "a")
    assert snap.run.name == "a" and snap.params == {"seed": 1}
    metric = next(r for r in snap.records if r.record_type == "metric")
    event = next(r for r in snap.records if r.record_type == "event")
    assert (metric.key, metric.value, metric.stage) == ("auc", 0.96, "evaluate")
    assert (event.key, event.value, event.message) == ("note", None, "note")


def test_compare_runs_per_stage_in_pipeline_order(runs: Runs) -> None:
    put(runs, "a", "2025-01-01T00:00:00Z",
        {"train": {"loss": 0.5}, "evaluate": {"acc": 0.9, "f1": 0.8}, RUN_LEVEL: {"secs": 10.0}},
        params={"lr": 0.1, "seed": 1}, packages={"torch": "2.0.0"})
    put(runs, "b", "2025-01-02T00:00:00Z",
        {"train": {"loss": 0.4}, "evaluate": {"acc": 0.85}, RUN_LEVEL: {"secs": 10.0}},
        params={"lr": 0.01, "seed": 1, "epochs": 3}, packages={"torch": "2.0.0"})
    cmp = compare_runs(runs, "a", "b")
    assert [s.stage_name for s in cmp.stage_comparisons] == ["train", "evaluate", RUN_LEVEL]
    evaluate = {d.metric_key: d for d in cmp.stage_comparisons[1].metric_deltas}
    assert evaluate["acc"].delta == pytest.approx(-0.05)
    assert (evaluate["f1"].left, evaluate["f1"].right, evaluate["f1"].delta) == (0.8, None, None)
    assert cmp.stage_comparisons[2].metric_deltas[0].delta == 0.0
    assert {(c.key, c.left_value, c.right_value) for c in cmp.param_changes} == {
        ("lr", 0.1, 0.01), ("epochs", None, 3)}
    md = cmp.to_markdown()
    assert "| evaluate | acc | 0.9 | 0.85 | -0.05 |" in md and "secs" not in md
    assert "secs" in cmp.to_markdown(changed_only=False)


def test_compare_environments_normalizes_names(runs: Runs) -> None:
    put(runs, "a", "2025-01-01T00:00:00Z", packages={"torch": "2.0.0", "Scikit_Learn": "1.2",
                                                      "old": "1"}, python="3.11.0")
    put(runs, "b", "2025-01-02T00:00:00Z", packages={"torch": "2.1.0", "scikit-learn": "1.2",
                                                      "new": "2"}, python="3.12.1")
    env = compare_environments(runs, "a", "b")
    assert env.python_version_changed and not env.platform_changed
    assert [(c.key, c.left_value, c.right_value) for c in env.changed_packages] == [
        ("torch", "2.0.0", "2.1.0")]
    assert [c.key for c in env.added_packages] == ["new"]
    assert [(c.key, c.left_value) for c in env.removed_packages] == [("old", "1")]


def test_audit_of_a_captured_run_is_reproducible(repo: Path) -> None:
    (repo / "data.csv").write_text("x\n1\n")
    with contexta_git.start_run("full", project="p", repo=repo, params={"seed": 3}) as run:
        run.dataset("train", path=repo / "data.csv")
    runs = Runs.open(repo)
    audit = audit_reproducibility(runs, "full")
    checks = {c.name: c for c in audit.checks}
    assert all(checks[n].passed for n in ("environment", "code", "data", "seed")), audit.reasons
    # the lockfile passes only when an installer can use every entry; the others are named
    found = review(runs.get(runs.resolve("full")).lockfile)
    assert checks["lockfile"].passed == (not found.not_installable)
    if found.not_installable:
        assert audit.reproducibility_status == "partial"
        assert sorted(found.not_installable)[0] in checks["lockfile"].reason
    else:
        assert audit.reproducibility_status == "reproducible" and audit.reasons == []
    assert audit.package_count > 0


def test_audit_names_every_missing_piece(runs: Runs) -> None:
    put(runs, "bare", "2025-01-01T00:00:00Z")
    audit = audit_reproducibility(runs, "bare")
    assert audit.reproducibility_status == "not_reproducible"
    assert audit.reasons == ["no environment was recorded", "no pylock.toml: package sources "
                             "are unknown", "no code commit recorded", "no dataset recorded",
                             "no random seed among the params"]
    put(runs, "declared", "2025-01-01T00:00:00Z", packages={"torch": "2.0.0"})
    assert audit_reproducibility(runs, "declared").reproducibility_status == "partial"


def test_select_best_skips_quarantined_and_missing(runs: Runs) -> None:
    put(runs, "a", "2025-01-01T00:00:00Z", {"evaluate": {"auc": 0.91}, "train": {"auc": 0.99}})
    put(runs, "b", "2025-01-02T00:00:00Z", {"evaluate": {"auc": 0.95}})
    put(runs, "c", "2025-01-03T00:00:00Z", {"train": {"loss": 0.1}})
    assert select_best_run(runs, ["a", "b", "c"], "auc", stage_name="evaluate") == "run:p.b"
    assert select_best_run(runs, None, "auc", higher_is_better=False, project="p") == "run:p.b"
    quarantine(runs, ["b"], "bad data")
    assert select_best_run(runs, ["a", "b"], "auc", stage_name="evaluate") == "run:p.a"
    assert select_best_run(runs, ["a", "b"], "auc", stage_name="evaluate",
                           include_quarantined=True) == "run:p.b"
    with pytest.raises(NoCandidate, match=r"none of 2 run\(s\) has metric 'auc' in stage "
                       r"'evaluate' \(1 quarantined run\(s\) left out\)"):
        select_best_run(runs, ["b", "c"], "auc", stage_name="evaluate")


def test_report_sections_in_every_format(runs: Runs) -> None:
    put(runs, "a", "2025-01-01T00:00:00Z", {"evaluate": {"auc": 0.91}}, params={"lr": 0.1},
        packages={"torch": "2.0.0"}, events=("note",))
    report = build_snapshot_report(runs, "a")
    assert report.title == "Run report: run:p.a"
    assert [s.title for s in report.sections] == [
        "Summary", "Params", "Metrics by stage", "Datasets", "Environment", "Events", "Source",
        "Reproducibility"]
    assert "| evaluate | auc | 0.91 |  |" in report.to_markdown()
    assert "<td>torch</td>" not in report.to_html() and "<td>package torch</td>" in report.to_html()
    data = json.loads(report.to_json())
    assert data["sections"][2]["rows"] == [{"stage": "evaluate", "metric": "auc", "value": "0.91",
                                             "step": ""}]


def test_annotate_window_in_one_commit_and_idempotent(runs: Runs, repo: Path) -> None:
    put(runs, "before", "2025-03-31T23:59:59Z")
    put(runs, "first", "2025-04-01T00:00:00Z")
    put(runs, "last", "2025-04-21T18:00:00Z")
    put(runs, "after", "2025-04-22T00:00:00Z")
    result = annotate(runs, "data.contamination-window", started_between=("2025-04-01", "2025-04-21"),
                      message="vendor clamp", attributes={"vendor": "acme"}, project="p")
    assert result.runs == ("run:p.first", "run:p.last") and result.commit
    log = git(repo, "log", "-1", "--format=%s", "contexta/runs").stdout.strip()
    assert log == "annotate 2 runs: data.contamination-window"
    event = runs.get(RunId("p", "first")).events[-1]
    assert (event.key, event.message, event.attributes) == (
        "data.contamination-window", "vendor clamp", {"vendor": "acme"})
    assert runs.get(RunId("p", "after")).events == ()
    tip = runs.store.tip()
    again = annotate(runs, "data.contamination-window", started_between=("2025-04-01", "2025-04-21"),
                     message="vendor clamp", attributes={"vendor": "acme"}, project="p")
    assert again.commit is None and runs.store.tip() == tip
    with pytest.raises(ContextaError, match="no run of project p started between 2026-01-01"):
        annotate(runs, "x", started_between=("2026-01-01", "2026-02-01"), project="p")


def test_quarantine_and_release_append_only(runs: Runs, repo: Path) -> None:
    put(runs, "a", "2025-01-01T00:00:00Z")
    put(runs, "b", "2025-01-02T00:00:00Z")
    quarantine(runs, ["a"], "trained on clamped data")
    assert git(repo, "log", "-1", "--format=%s", "contexta/runs").stdout.strip() == \
        "quarantine 1 run: trained on clamped data"
    assert [r.name for r in list_runs(runs, "p")] == ["b"]
    assert [r.name for r in list_runs(runs, "p", quarantined=True)] == ["a"]
    assert runs.get(RunId("p", "a")).quarantined
    quarantine(runs, ["a"], "false alarm", undo=True)
    assert [r.name for r in list_runs(runs, "p")] == ["a", "b"]
    quarantine(runs, ["a"], "for real this time")
    keys = [e.key for e in runs.get(RunId("p", "a")).events]
    assert keys == ["contexta.quarantine", "contexta.release", "contexta.quarantine"]
    assert runs.get(RunId("p", "a")).quarantined


def test_unknown_and_ambiguous_runs(runs: Runs, branch_state) -> None:
    put(runs, "model-a", "2025-01-01T00:00:00Z")
    put(runs, "model-a", "2025-01-01T00:00:00Z", project="q")
    before = branch_state()
    with pytest.raises(RunNotFound, match=r"no run 'model-b'; did you mean run:p.model-a, "
                       r"run:q.model-a\?"):
        compare_runs(runs, "model-b", "p.model-a")
    with pytest.raises(AmbiguousRun, match="run name 'model-a' is ambiguous"):
        quarantine(runs, ["model-a"], "why")
    assert branch_state() == before
