"""XGBoost: ``xgb.train(..., callbacks=[ContextaCallback()])`` (or the scikit-learn
wrappers' ``callbacks=``).

One run per training: params are the booster's own configuration (``save_config``, the
``learner`` table flattened) and the ones given; each round's evaluation results are
points ``DATA/METRIC`` at the round number; ``best_iteration`` and ``best_score`` (set by
early stopping) are plain metrics. Files in ``checkpoint_dir`` (``TrainingCheckPoint``'s
folder) are fingerprinted as they appear, and ``model_path``, when given, is saved and
fingerprinted at the end. Only rank 0 of XGBoost's collective writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from xgboost import collective
from xgboost.callback import TrainingCallback

from contexta_git.integrations.base import Recorder


class ContextaCallback(TrainingCallback):  # type: ignore[misc]
    """Records each XGBoost training as one contexta-git run."""

    def __init__(self, name: str | None = None, project: str = "default",
                 repo: str | os.PathLike[str] | None = None, *, tags: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None,
                 checkpoint_dir: str | os.PathLike[str] | None = None,
                 model_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.recorder = Recorder("xgboost", name, project, repo, tags, params)
        self.checkpoint_dir, self.model_path = checkpoint_dir, model_path

    def before_training(self, model: Any) -> Any:
        if collective.get_rank() == 0:
            config = json.loads(model.save_config()).get("learner", {})
            self.recorder.open(config)
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Mapping[str, Any]) -> bool:
        for data, metrics in evals_log.items():
            for metric, history in metrics.items():
                if history:
                    last = history[-1]  # (mean, std) under xgb.cv
                    value = last[0] if isinstance(last, tuple) else last
                    self.recorder.metrics({f"{data}/{metric}": value}, epoch)
        self.recorder.checkpoints(self.checkpoint_dir)
        return False

    def after_training(self, model: Any) -> Any:
        if not self.recorder.active:
            return model
        best = {name: model.attr(name) for name in ("best_iteration", "best_score")}
        self.recorder.metrics({k: float(v) for k, v in best.items() if v is not None}, None)
        if self.model_path is not None:
            model.save_model(os.fspath(self.model_path))
            self.recorder.artifact(self.model_path, "model")
        self.recorder.close("completed")
        return model
