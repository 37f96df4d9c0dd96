"""The Keras callback, with Keras 3 on the torch backend and a tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integrations.conftest import framework, only_run, points


def tiny() -> tuple[Any, Any, Any]:
    keras = framework("keras")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    return model, x, x.sum(axis=1)


def test_fit_records_batches_epochs_params_checkpoints_and_the_model(repo: Path, tmp_path: Path) -> None:
    keras = framework("keras")
    from contexta_git.integrations.keras import ContextaCallback

    model, x, y = tiny()
    checkpoints = tmp_path / "ckpt"
    checkpoints.mkdir()
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(str(checkpoints / "e{epoch}.weights.h5"), save_weights_only=True),
        ContextaCallback("keras-tiny", repo=repo, checkpoint_dir=checkpoints,
                         model_path=tmp_path / "final.keras")])
    run = only_run(repo)
    assert (run.name, run.status) == ("keras-tiny", "completed")
    assert run.tags["backend"] == "torch"  # KERAS_BACKEND, set in conftest: no TensorFlow
    assert run.params["epochs"] == 2 and run.params["steps"] == 3
    assert run.params["optimizer.learning_rate"] == pytest.approx(0.05)
    assert run.params["loss"] == "mse"
    assert points(repo, run, "loss")[0] == [1, 2, 3, 4, 5, 6]
    steps, val = points(repo, run, "epoch/val_loss")
    assert steps == [0, 1] and val == pytest.approx(history.history["val_loss"])
    named = sorted((a.kind or "", a.name) for a in run.artifacts)
    assert named == [("checkpoint", "e1.weights.h5"), ("checkpoint", "e2.weights.h5"),
                     ("model", "final.keras")]


def test_early_stopping_is_an_event_of_a_completed_run(repo: Path) -> None:
    keras = framework("keras")
    from contexta_git.integrations.keras import ContextaCallback

    model, x, y = tiny()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    model.fit(x, y, batch_size=8, epochs=5, verbose=0,
              callbacks=[stop, ContextaCallback("keras-early", repo=repo)])
    run = only_run(repo)
    assert run.status == "completed"
    assert [e.key for e in run.events] == ["training.stopped_early"]


def test_other_ranks_write_nothing(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    framework("keras")
    from contexta_git.integrations.keras import ContextaCallback
    from contexta_git.store.runs import Runs

    monkeypatch.setenv("RANK", "1")
    model, x, y = tiny()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ContextaCallback("keras-rank1", repo=repo)])
    assert Runs.open(repo).ids() == []
