"""scikit-learn's autolog: every fit a run, with real estimators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.integrations.conftest import every_run, framework, only_run

Autolog = Callable[..., None]


@pytest.fixture
def autolog() -> Iterator[Autolog]:
    framework("sklearn")
    from contexta_git.integrations import sklearn as adapter

    yield adapter.autolog
    adapter.autolog(disable=True)


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def test_a_fit_is_a_run_with_params_fit_time_scores_and_the_model(
        repo: Path, tmp_path: Path, autolog: Autolog) -> None:
    from sklearn.linear_model import LogisticRegression

    x, y = data()
    autolog(repo=repo, eval_sets={"valid": (x[100:], y[100:])}, model_dir=tmp_path / "models")
    model = LogisticRegression(C=0.5, max_iter=50).fit(x[:100], y[:100])
    run = only_run(repo)
    assert run.status == "completed" and run.name.startswith("LogisticRegression-")
    assert run.params["C"] == 0.5 and run.params["max_iter"] == 50
    metrics = {m.key: m.value for m in run.metrics}
    assert metrics["score/train"] == pytest.approx(model.score(x[:100], y[:100]))
    assert metrics["score/valid"] == pytest.approx(model.score(x[100:], y[100:]))
    assert metrics["fit_time_s"] > 0
    assert [(a.kind, Path(a.path or "").parent.name) for a in run.artifacts] == [("model", "models")]


def test_a_pipeline_is_one_run_and_a_failing_fit_a_failed_one(repo: Path, autolog: Autolog) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = data()
    autolog(repo=repo)
    make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    with pytest.raises(ValueError):
        LogisticRegression().fit(x, np.zeros(len(y)))  # one class only
    runs = sorted(every_run(repo), key=lambda r: r.name)
    assert [(r.name.split("-")[0], r.status) for r in runs] == [
        ("LogisticRegression", "failed"), ("Pipeline", "completed")]
    assert runs[1].params["logisticregression__C"] == 1.0


def test_disable_puts_every_fit_back(repo: Path, autolog: Autolog) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    before = (LogisticRegression.fit, DecisionTreeClassifier.fit)
    autolog(repo=repo)
    assert LogisticRegression.fit is not before[0]
    autolog(disable=True)
    assert (LogisticRegression.fit, DecisionTreeClassifier.fit) == before
    LogisticRegression().fit(*data())
    from contexta_git.store.runs import Runs
    assert Runs.open(repo).ids() == []


def test_other_ranks_write_nothing(repo: Path, autolog: Autolog,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.linear_model import LogisticRegression

    from contexta_git.store.runs import Runs

    monkeypatch.setenv("LOCAL_RANK", "1")
    autolog(repo=repo)
    LogisticRegression().fit(*data())
    assert Runs.open(repo).ids() == []
