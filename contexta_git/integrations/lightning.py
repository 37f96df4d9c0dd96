"""PyTorch Lightning: ``Trainer(logger=ContextaLogger())``.

One run per ``fit`` (a later ``validate`` or ``test`` with the same logger is a run of its
own, named ``NAME-2``, ``NAME-3``...): params are the module's and datamodule's saved
hyperparameters, metrics are points at Lightning's ``step``, every checkpoint
``ModelCheckpoint`` writes (latest, best, top k) is fingerprinted as it is saved and the
best one again as the model when training ends. Status is Lightning's own:
``finalize("success")`` completes the run, ``finalize("failed")`` (an exception) fails
it. Every method is ``rank_zero_only``.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

from contexta_git.integrations.base import Recorder, default_name, flat_params

_STATUS = {"success": "completed", "failed": "failed", "finished": "completed"}


class ContextaLogger(Logger):  # type: ignore[misc]
    """A Lightning logger that records into the repository's ``contexta/runs`` branch."""

    def __init__(self, name: str | None = None, project: str = "default",
                 repo: str | os.PathLike[str] | None = None, *, tags: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._name = name or default_name("lightning")
        self.recorder = Recorder("lightning", self._name, project, repo, tags, params)
        self._params: dict[str, Any] = {}
        self._seen: dict[str, float] = {}  # checkpoint path -> modification time fingerprinted
        self._best: str | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int:
        return max(self.recorder.runs_opened, 1)

    def _open(self) -> None:
        if not self.recorder.active:
            self.recorder.open(self._params)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        self._params.update(values)
        if self.recorder.run is not None:
            self.recorder.run.log_params(flat_params(values))
        else:
            self._open()

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._open()
        self.recorder.metrics({k: v for k, v in metrics.items() if k != "epoch"}, step or 0)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._open()
        paths = {getattr(checkpoint_callback, "last_model_path", ""),
                 getattr(checkpoint_callback, "best_model_path", ""),
                 *getattr(checkpoint_callback, "best_k_models", {})}
        for path in sorted(p for p in paths if p and Path(p).is_file()):
            mtime = Path(path).stat().st_mtime
            if self._seen.get(path) != mtime:
                self._seen[path] = mtime
                self.recorder.artifact(path, "checkpoint")
        self._best = getattr(checkpoint_callback, "best_model_path", None) or self._best

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        if not self.recorder.active:
            return
        if self._best:
            self.recorder.artifact(self._best, "model", name="best-checkpoint")
        self.recorder.close(_STATUS.get(status, status))
        self._best = None
