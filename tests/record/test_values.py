"""Values handed to the recording API: numbers of any kind are accepted (converted),
anything TOML cannot hold is refused at the call, before it is buffered; one bad value
never stops the records that follow it from reaching git."""

from __future__ import annotations

import datetime
import fractions
import tomllib
from pathlib import Path

import numpy as np
import pytest

from contexta_git.core.names import RunId
from contexta_git.errors import InvalidValue
from contexta_git.record.run import start_run
from contexta_git.store.runs import Runs

from tests.conftest import git


def test_numpy_values_are_numbers_and_every_later_metric_reaches_git(repo: Path) -> None:
    with start_run("np", project="p", repo=repo, capture_environment=False,
                   params={"seed": np.int32(7)}) as run:
        run.log_param("batch", np.int64(32))
        run.log_params({"lr": np.float32(0.5), "shuffle": np.bool_(True), "ratio":
                        fractions.Fraction(1, 4), "layers": (np.int16(64), 32), "flag": True,
                        "day": datetime.date(2025, 4, 1)})
        for step in range(100):
            run.log_metric("loss", np.float64(1.0 / (step + 1)), step=step)
        run.log_metrics({"acc": np.float16(0.75), "count": np.uint8(3)})
        run.event("note", "numbers in attributes", attributes={"n": np.int64(3),
                                                                 "xs": [np.float32(0.25)]})
        run.dataset("train", rows=np.int64(1000))
        run.flush()
    data = Runs.open(repo).get(RunId("p", "np"))
    assert data.status == "completed"
    assert data.params == {"seed": 7, "batch": 32, "lr": 0.5, "shuffle": True, "ratio": 0.25,
                           "layers": [64, 32], "flag": True, "day": datetime.date(2025, 4, 1)}
    assert [type(data.params[k]) for k in ("seed", "batch", "lr", "shuffle")] == [
        int, int, float, bool]
    assert data.series_summaries()["loss"].count == 100  # stepped: a series, in chunks
    assert data.latest_metrics()["acc"] == 0.75 and data.latest_metrics()["count"] == 3
    note = next(e for e in data.events if e.key == "note")
    assert note.attributes == {"n": 3, "xs": [0.25]}
    assert data.datasets[0].rows == 1000
    raw = git(repo, "show", f"contexta/runs:{RunId('p', 'np').path}/run.toml").stdout
    assert tomllib.loads(raw)["params"]["batch"] == 32


@pytest.mark.parametrize(("call", "message"), [
    (lambda run: run.log_param("weights", np.zeros(3)),
     "param 'weights' must be a string, number, boolean, date, list or table, got ndarray"),
    (lambda run: run.log_param("path", Path("x")),
     "param 'path' must be a string, number, boolean, date, list or table, got PosixPath"),
    (lambda run: run.log_params({"a": 1, "b": {"c": object()}}),
     "param 'b.c' must be a string, number, boolean, date, list or table, got object"),
    (lambda run: run.log_metric("acc", np.array([0.5])), "metric 'acc' must be a number"),
    (lambda run: run.log_metric("acc", np.bool_(True)), "metric 'acc' must be a number"),
    (lambda run: run.log_metric("acc", np.float64("nan")), "metric 'acc' must be finite"),
    (lambda run: run.event("e", "m", attributes={"arr": np.ones(2)}),
     "event attribute 'arr' must be a string, number, boolean, date, list or table, got ndarray"),
    (lambda run: run.event("e", b"bytes"), "event message must be a string, got bytes"),
    (lambda run: run.dataset("d", rows=np.float64(2.5)), "dataset rows must be an integer"),
    (lambda run: run.log_param("s", "bad \ud800 surrogate"), "param 's' is not valid Unicode"),
])
def test_anything_else_is_refused_at_the_call_and_the_run_goes_on(repo: Path, call: object,
                                                                   message: str) -> None:
    with start_run("bad", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("before", 1.0)
        with pytest.raises(InvalidValue) as caught:
            call(run)  # type: ignore[operator]
        assert str(caught.value).startswith(message)
        assert "\n" not in str(caught.value)
        for step in range(100):
            run.log_metric("after", float(step), step=step)
        run.flush()
    data = Runs.open(repo).get(RunId("p", "bad"))
    assert data.status == "completed"
    assert data.series_summaries()["after"].count == 100
    assert {m.key for m in data.metrics} == {"before"}
    assert set(data.params) == set() and not data.datasets
    assert [e.key for e in data.events] == []

