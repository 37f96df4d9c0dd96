"""Keras 3 (tested on the torch backend): ``model.fit(..., callbacks=[ContextaCallback()])``.

One run per ``fit``: params are Keras's own fit parameters (``epochs``, ``steps``), the
optimizer's config under ``optimizer.`` and the loss; each training batch's logs are
points at the global batch number, each epoch's (validation included) points under
``epoch/`` at the epoch number. Files in ``checkpoint_dir`` (where a ``ModelCheckpoint``
writes) are fingerprinted after each epoch, and ``model_path`` (``.keras``), when given,
is saved and fingerprinted at the end. Only rank 0 (``RANK``/``LOCAL_RANK``) writes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import keras

from contexta_git.integrations.base import Recorder, env_rank


class ContextaCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Records each ``model.fit`` as one contexta-git run."""

    def __init__(self, name: str | None = None, project: str = "default",
                 repo: str | os.PathLike[str] | None = None, *, tags: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None,
                 checkpoint_dir: str | os.PathLike[str] | None = None,
                 model_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.recorder = Recorder("keras", name, project, repo, tags, params)
        self.checkpoint_dir, self.model_path = checkpoint_dir, model_path
        self._step = 0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        if env_rank() != 0:
            return
        self._step = 0
        params: dict[str, Any] = {**(self.params or {})}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            params["optimizer"] = {"class": type(optimizer).__name__, **optimizer.get_config()}
        params["loss"] = getattr(self.model, "loss", None)
        self.recorder.open(params, tags={"model": type(self.model).__name__,
                                         "backend": keras.backend.backend()})

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._step += 1
        if logs:
            self.recorder.metrics(logs, self._step)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if logs:
            self.recorder.metrics(logs, epoch, prefix="epoch/")
        self.recorder.checkpoints(self.checkpoint_dir)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if not self.recorder.active:
            return
        if self.model_path is not None:
            self.model.save(self.model_path)
            self.recorder.artifact(self.model_path, "model")
        if getattr(self.model, "stop_training", False):
            self.recorder.event("training.stopped_early", f"stopped after {self._step} batches",
                                step=self._step)
        self.recorder.close("completed")
