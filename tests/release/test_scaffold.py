"""policy init: a commented policy from a run's metrics, which loads with the policy
loader and passes the gate for that run as written."""

from __future__ import annotations

import math
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.cli.main import cli
from contexta_git.core.records import Metric, RunData
from contexta_git.release.gate import evaluate
from contexta_git.release.policy import load_policy, parse_policy
from contexta_git.release.scaffold import lower_is_better, scaffold


def _cli(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--repo", str(repo), *args])


@pytest.fixture
def recorded(repo: Path) -> Path:
    out = _cli(repo, "record", "-p", "churn", "-n", "v1", "--stage", "evaluate", "--no-environment",
               "--metric", "accuracy=0.9134", "--metric", "val_loss=0.2071",
               "--metric", "latency_ms=12", "--metric", "eval.auc=0.88")
    assert out.exit_code == 0, out.output
    out = _cli(repo, "record", "-p", "churn", "-n", "v2", "--no-environment", "--metric", "f1=0.5")
    assert out.exit_code == 0, out.output
    return repo


def test_scaffold_loads_and_passes_the_gate_for_its_run(recorded: Path) -> None:
    target = recorded / "quality.toml"
    out = _cli(recorded, "policy", "init", "v1", "-o", str(target))
    assert out.exit_code == 0, out.output
    assert out.output == (f"Wrote {target} from run:churn.v1; edit the bounds, then: "
                          f"contexta-git gate run:churn.v1 --policy {target}\n")
    policy = load_policy(target)
    assert {(c.metric, c.kind, c.bound, c.stage) for c in policy.checks} == {
        ("accuracy", "min", 0.9134, "evaluate"), ("val_loss", "max", 0.2071, "evaluate"),
        ("latency_ms", "max", 12.0, "evaluate"), ("eval.auc", "min", 0.88, "evaluate")}
    gate = _cli(recorded, "gate", "v1", "--policy", str(target), "--format", "json")
    assert gate.exit_code == 0, gate.output
    assert '"decision": "PASS"' in gate.output
    # the bounds are live: a stricter accuracy bound fails the same run
    target.write_text(target.read_text().replace("min = 0.9134", "min = 0.95"))
    assert _cli(recorded, "gate", "v1", "--policy", str(target)).exit_code == 1


def test_scaffold_is_commented(recorded: Path) -> None:
    assert _cli(recorded, "policy", "init", "v1", "-o", str(recorded / "q.toml")).exit_code == 0
    text = (recorded / "q.toml").read_text()
    for line in ("#   min = 0.9 ", "#   max = 0.3 ", "#   range = [0.0, 0.3] ",
                 '#   stage = "evaluate" ', '#   severity = "warn" ', "#   min_abs_change = ",
                 "#   min_rel_change = ", "#   max_drop = ", '\n# baseline = "run:churn.'):
        assert line in text, line
    assert ("[metrics.val_loss]\n# recorded 0.2071 (stage evaluate); lower looks better, "
            "so a max bound\nmax = 0.2071\nstage = \"evaluate\"\n") in text
    assert '[metrics."eval.auc"]\n# recorded 0.88 (stage evaluate)' in text


def test_default_output_and_refusal_to_overwrite(recorded: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.chdir(recorded)
    assert _cli(recorded, "policy", "init", "v2").exit_code == 0
    first = (recorded / "quality.toml").read_text()
    out = _cli(recorded, "policy", "init", "v1")
    assert out.exit_code == 2
    assert out.output == "Error: quality.toml already exists; pass --force to overwrite it\n"
    assert (recorded / "quality.toml").read_text() == first
    out = _cli(recorded, "policy", "init", "v1", "--force")
    assert out.exit_code == 0, out.output
    assert "[metrics.accuracy]" in (recorded / "quality.toml").read_text()
    assert [p.name for p in recorded.iterdir() if p.name.startswith(".quality")] == []


def test_unknown_run_or_no_metrics_writes_nothing(repo: Path) -> None:
    target = repo / "quality.toml"
    out = _cli(repo, "policy", "init", "nope", "-o", str(target))
    assert out.exit_code == 2 and out.output.startswith("Error: no run 'nope'")
    assert _cli(repo, "record", "-p", "churn", "-n", "empty", "--no-environment").exit_code == 0
    out = _cli(repo, "policy", "init", "empty", "-o", str(target))
    assert out.exit_code == 2
    assert out.output == ("Error: run:churn.empty has no finite metric value to scaffold a "
                          "policy from\n")
    assert not target.exists()


def test_policy_is_one_group_and_gate_keeps_its_option() -> None:
    group = cli.commands["policy"]
    assert isinstance(group, click.Group) and set(group.commands) == {"init"}
    assert [n for n in cli.commands if "policy" in n] == ["policy"]
    assert any(p.name == "policy" for p in cli.commands["gate"].params)


@pytest.mark.parametrize(("name", "lower"), [
    ("accuracy", False), ("auc", False), ("eval.f1", False), ("val_loss", True),
    ("logloss", True), ("train/Loss", True), ("mean_abs_error", True), ("rmse", True),
    ("latency_ms", True), ("p95-latency", True), ("wer", True), ("recall@10", False),
    ("errors_total", True), ("timeliness", False),
])
def test_direction_from_the_name(name: str, lower: bool) -> None:
    assert lower_is_better(name) is lower


KEYS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.:/@-]{0,20}", fullmatch=True)
VALUES = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(min_value=-10**15, max_value=10**15))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(KEYS, st.sampled_from([None, "train", "evaluate"]), VALUES),
                min_size=1, max_size=8),
       st.lists(KEYS, max_size=2))
def test_any_recorded_metrics_round_trip_through_the_gate(
        rows: list[tuple[str, str | None, float]], bad: list[str]) -> None:
    metrics = [Metric(str(i), key, value, stage) for i, (key, stage, value) in enumerate(rows)]
    metrics += [Metric(f"x{i}", f"nan.{k}", math.nan) for i, k in enumerate(bad)]
    run = RunData("p", "r", "completed", None, None, {}, {}, None, {}, {}, (), tuple(metrics),
                  (), (), ())
    policy = parse_policy(scaffold(run))
    finite = {k for k, v in run.latest_metrics().items() if math.isfinite(v)}
    assert {c.metric for c in policy.checks} == finite
    assert evaluate(policy, run).decision == "PASS"
