from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git.errors import InvalidValue
from contexta_git.record.run import start_run
from contexta_git.store.runs import Runs
from contexta_git.web import charts


def record(repo: Path, name: str, points: int, *, scale: float = 1.0, flushes: int = 2) -> None:
    with start_run(name, project="p", repo=repo, capture_environment=False,
                   flush_interval=1e9) as run:
        for i in range(points):
            run.log_metric("loss", scale / (1 + i), step=i)
            if i % 10 == 0:
                run.log_metric("acc", i / points, step=i, stage="evaluate")
            if (i + 1) % max(1, points // flushes) == 0:
                run.flush()


def runs_of(repo: Path, *names: str) -> tuple[Runs, list]:
    store = Runs.open(repo)
    return store, [(rid, store.get(rid)) for rid in map(store.resolve, names)]


def test_a_chart_has_a_line_per_run_and_key_downsampled_to_the_cap(repo: Path) -> None:
    record(repo, "a", 5000)
    record(repo, "b", 5000, scale=2.0)
    store, runs = runs_of(repo, "a", "b")
    found = charts.chart(store.view(), runs, ["loss", "evaluate.acc"], cap=100)
    assert [line.name for line in found.lines] == ["a / loss", "b / loss", "a / evaluate.acc",
                                                   "b / evaluate.acc"]
    loss_a, loss_b, acc_a, _ = found.lines
    assert loss_a.count == 5000 and len(loss_a.ys) <= 100
    assert (loss_a.xs[0], loss_a.ys[0]) == (0, 1.0)  # the first point, the maximum
    assert (loss_a.xs[-1], loss_a.ys[-1]) == (4999, 1 / 5000)
    assert loss_b.ys[0] == 2.0
    assert (acc_a.key, acc_a.stage, acc_a.count) == ("acc", "evaluate", 500)
    spec = found.spec()
    assert spec["x"] == "step" and len(spec["lines"]) == 4
    assert spec["lines"][0]["x"] == loss_a.xs


def test_time_axis_smoothing_and_log_scale(repo: Path) -> None:
    with start_run("r", project="p", repo=repo, capture_environment=False) as run:
        for i, v in enumerate([4.0, 0.0, -1.0, 2.0, 8.0]):
            run.log_metric("gap", v, step=i)
    store, runs = runs_of(repo, "r")
    logged = charts.chart(store.view(), runs, ["gap"], log=True).lines[0]
    assert (logged.xs, logged.ys) == ([0, 3, 4], [4.0, 2.0, 8.0])  # nothing <= 0 on a log scale
    smooth = charts.chart(store.view(), runs, ["gap"], smooth=2).lines[0]
    assert smooth.ys == [4.0, 2.0, -0.5, 0.5, 5.0]
    timed = charts.chart(store.view(), runs, ["gap"], x="time")
    assert timed.lines[0].xs == sorted(timed.lines[0].xs)
    assert timed.lines[0].xs[0] > 1.6e12  # ms since the epoch
    assert timed.spec()["lines"][0]["x"][0] == timed.lines[0].xs[0] / 1000


def test_points_sharing_a_step_keep_the_last_logged(repo: Path) -> None:
    with start_run("r", project="p", repo=repo, capture_environment=False) as run:
        for step, v in [(2, 1.0), (1, 2.0), (2, 3.0)]:
            run.log_metric("x", v, step=step)
    store, runs = runs_of(repo, "r")
    got = charts.chart(store.view(), runs, ["x"]).lines[0]
    assert (got.xs, got.ys) == ([1, 2], [2.0, 3.0])


def test_unknown_series_axis_and_window_are_one_line_errors(repo: Path) -> None:
    record(repo, "a", 20)
    store, runs = runs_of(repo, "a")
    with pytest.raises(InvalidValue, match=r"run:p.a has no step series 'lost' \(it has: acc, loss\)"):
        charts.chart(store.view(), runs, ["lost"])
    with pytest.raises(InvalidValue, match="x axis must be one of step, time, not 'epoch'"):
        charts.chart(store.view(), runs, ["loss"], x="epoch")
    with pytest.raises(InvalidValue, match="smoothing window must be at least 1"):
        charts.chart(store.view(), runs, ["loss"], smooth=0)


def test_every_series_overlays_the_runs_that_have_each_key(repo: Path) -> None:
    record(repo, "a", 50)
    with start_run("b", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("loss", 1.0, step=0)
    store, runs = runs_of(repo, "a", "b")
    found = charts.every_series(store.view(), runs)
    assert [(c.title, [line.name for line in c.lines]) for c in found] == [
        ("acc", ["a / acc"]), ("loss", ["a / loss", "b / loss"])]
    assert charts.total_points(found) == 5 + 50 + 1
