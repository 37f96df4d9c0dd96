"""LightGBM: ``lgb.train(..., callbacks=[ContextaCallback()])``.

One run per training: params are LightGBM's own (``env.params``) and the ones given;
each iteration's evaluation results are points ``DATA/METRIC`` at the iteration number.
LightGBM tells a callback nothing when training ends, so the run completes at the last
iteration; when early stopping ends training sooner, the run completes when the
callback's ``with`` block ends, at ``finish()``, when the callback starts another
training, or when the interpreter exits (``failed`` if an uncaught exception ends it).
``model_path``, when given, is saved and fingerprinted when the run completes (but at
exit). Only rank 0
(``RANK``/``LOCAL_RANK``) writes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from contexta_git.integrations.base import Recorder, env_rank


class ContextaCallback:
    """Records each LightGBM training as one contexta-git run."""

    order = 20  # after LightGBM's own loggers, before early stopping (30) can end the round
    before_iteration = False

    def __init__(self, name: str | None = None, project: str = "default",
                 repo: str | os.PathLike[str] | None = None, *, tags: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None,
                 model_path: str | os.PathLike[str] | None = None) -> None:
        self.recorder = Recorder("lightgbm", name, project, repo, tags, params, exit_status="completed")
        self.model_path = model_path
        self._model: Any = None

    def __call__(self, env: Any) -> None:
        if env.iteration == env.begin_iteration:
            self.finish()  # a new training: the previous one stopped early
            if env_rank() == 0:
                self.recorder.open(env.params)
        if not self.recorder.active:
            return
        self._model = env.model
        for result in env.evaluation_result_list or ():
            data, metric, value = result[0], result[1], result[2]
            self.recorder.metrics({f"{data}/{metric}": value}, env.iteration)
        if env.iteration + 1 >= env.end_iteration:
            self.finish()

    def finish(self, status: str = "completed") -> None:
        """End the run (saving ``model_path``); nothing happens when none is open."""
        if not self.recorder.active:
            return
        if status == "completed" and self.model_path is not None and self._model is not None:
            self._model.save_model(os.fspath(self.model_path))
            self.recorder.artifact(self.model_path, "model")
        self._model = None
        self.recorder.close(status)

    def __enter__(self) -> ContextaCallback:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.finish("failed" if exc is not None else "completed")
