"""``best`` selected in SQL by the index gives exactly what reading every run gives: the
same winner and value for plain metrics, aggregates, stages, ties, quarantined runs and
dotted keys (NaN and infinities in what SQL reads: test_index). Real repositories; the
slow path, reading every run, is the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git.analysis import listing, select
from contexta_git.analysis.quarantine import quarantine
from contexta_git.errors import ContextaError
from contexta_git.record.oneshot import record
from contexta_git.record.run import start_run
from contexta_git.store.runs import Runs

# name -> (latest metrics in stage evaluate, loss series), recorded in this order
RUNS = {
    "a": ({"acc": 0.5, "f1": 0.3, "val.acc": 0.1}, [1.0, 0.2, 0.6]),
    "b": ({"acc": 0.9, "f1": 0.3}, [0.9, 0.4]),
    "c": ({"acc": 0.9, "f1": 0.1}, [0.8, 0.05, 0.9]),  # ties b on acc, later
    "d": ({"acc": 0.95, "f1": 0.2, "val.acc": 0.7}, [3.0]),  # quarantined below
    "e": ({"acc": 0.7, "f1": 0.1}, []),
}
REFS = ["acc", "f1", "loss.min", "loss.max", "loss.last", "loss", "loss.count", "loss.first",
        "val.acc", "acc.last", "missing", "acc.min"]


def build(repo: Path) -> Runs:
    for name, (metrics, losses) in RUNS.items():
        with start_run(name, project="p", repo=repo, capture_environment=False) as run:
            for step, loss in enumerate(losses):
                run.log_metric("loss", loss, step=step)
            with run.stage("evaluate"):
                run.log_metrics(metrics)
    record(Runs.open(repo), "q", "other", metrics={"acc": 0.99}, capture_environment=False)
    runs = Runs.open(repo)
    quarantine(runs, ["run:p.d"], "leaked test data")
    runs.store.commit(lambda view: {"projects/p/runs/zz/bad/run.toml": b"status = 'completed'\n"},
                      "an unreadable run")  # named in what best leaves out, either way
    return runs


def answer(runs: Runs, ref: str, **options: object) -> tuple[str, float, list[str]] | str:
    try:
        found = select.best_run(runs, None, ref, **options)  # type: ignore[arg-type]
    except ContextaError as exc:
        return f"error: {exc}"
    return found.ref, found.value, [p.folder for p in found.skipped]


@pytest.mark.parametrize("higher", [True, False], ids=["higher", "lower"])
def test_sql_and_full_reading_agree(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                    higher: bool) -> None:
    runs = build(repo)
    cases = [dict(higher_is_better=higher, project="p"),
             dict(higher_is_better=higher, project="p", include_quarantined=True),
             dict(higher_is_better=higher, project="p", stage_name="evaluate"),
             dict(higher_is_better=higher)]
    fast = {(ref, i): answer(runs, ref, **case) for ref in REFS for i, case in enumerate(cases)}
    answered = sum(listing.ranked_summaries(runs.view(), "p", ref, None, descending=higher,
                                            limit=10) is not None for ref in REFS)
    assert answered == len(REFS)  # the index answered every reference
    monkeypatch.setattr(listing, "ranked_summaries", lambda *a, **k: None)
    slow = {(ref, i): answer(runs, ref, **case) for ref in REFS for i, case in enumerate(cases)}
    assert fast == slow
    bad = ["projects/p/runs/zz/bad"]
    assert fast[("acc", 0)] == (("run:p.b", 0.9, bad) if higher else ("run:p.a", 0.5, bad))
    assert fast[("acc", 1)] == (("run:p.d", 0.95, bad) if higher else ("run:p.a", 0.5, bad))
    assert fast[("acc", 3)] == (("run:q.other", 0.99, bad) if higher else ("run:p.a", 0.5, bad))


def test_a_ranked_run_that_is_quarantined_never_wins(repo: Path) -> None:
    runs = build(repo)
    top, _problems = listing.ranked_summaries(runs.view(), "p", "acc", None, descending=True,
                                              limit=1) or ([], [])
    assert [s.name for s in top] == ["d"]  # SQL ranks it first; the ledger then excludes it
    assert select.best_run(runs, None, "acc", project="p").ref == "run:p.b"
