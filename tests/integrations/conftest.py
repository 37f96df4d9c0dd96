"""Framework tests train a tiny model on synthetic data with the real framework; a
framework that is not installed skips its tests, except where
``CONTEXTA_GIT_REQUIRE_FRAMEWORKS=1`` (CI) makes that a failure."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.integrations import base
from contexta_git.store import series
from contexta_git.store.runs import Runs

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 on torch: no TensorFlow needed


def framework(name: str) -> ModuleType:
    """Import ``name`` or skip the test saying so (fail instead when frameworks are required)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        reason = f"{name} is not installed (pip install -e '.[integrations]'): {exc}"
        if os.environ.get("CONTEXTA_GIT_REQUIRE_FRAMEWORKS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def only_run(repo: Path, project: str = "default") -> RunData:
    """The one run recorded in ``project`` (the test fails if there are more or none)."""
    runs = Runs.open(repo)
    ids = runs.ids(project)
    assert len(ids) == 1, ids
    return runs.get(ids[0])


def every_run(repo: Path, project: str = "default") -> list[RunData]:
    runs = Runs.open(repo)
    return [runs.get(i) for i in runs.ids(project)]


def points(repo: Path, run: RunData, key: str) -> tuple[list[int], list[float]]:
    """Steps and values of one series, as read back from the branch."""
    steps: list[int] = []
    values: list[float] = []
    for block in series.points(Runs.open(repo).view(), RunId(run.project, run.name), key):
        steps += block.steps
        values += block.values
    return steps, values


@pytest.fixture(autouse=True)
def no_leftover_runs() -> object:
    """A test that leaves an adapter's run open fails here, not at interpreter exit."""
    yield
    left = list(base._OPEN)
    for recorder in left:
        recorder.close("failed")
    assert left == [], "a run was left open"
