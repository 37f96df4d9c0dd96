"""Hugging Face ``transformers``: ``Trainer(..., callbacks=[ContextaCallback()])``.

One run per ``trainer.train()``: params are the ``TrainingArguments`` and, under
``model.``, the model's config; every ``on_log`` becomes points at ``state.global_step``
(the end-of-training summary, ``train_runtime`` and friends, plain metrics); each saved
checkpoint folder and the best checkpoint are fingerprinted. Only the world's process
zero (``state.is_world_process_zero``) writes.

``report_to="contexta-git"`` is not offered: the Trainer looks names up in a fixed table
(``INTEGRATION_TO_CALLBACK``) with no way to register one short of editing that table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from contexta_git.integrations.base import Recorder

# the numbers the Trainer logs once, when training ends
_SUMMARY = {"train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos",
            "train_loss"}


class ContextaCallback(TrainerCallback):  # type: ignore[misc]
    """Records each ``trainer.train()`` as one contexta-git run."""

    def __init__(self, name: str | None = None, project: str = "default",
                 repo: str | os.PathLike[str] | None = None, *, tags: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None,
                 model_path: str | os.PathLike[str] | None = None) -> None:
        self.recorder = Recorder("transformers", name, project, repo, tags, params)
        self.model_path = model_path

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        params: dict[str, Any] = dict(args.to_dict())
        config = getattr(model, "config", None)
        if config is not None:
            params["model"] = config if isinstance(config, dict) else config.to_dict()
        self.recorder.open(params, tags={"model": type(model).__name__} if model is not None else None)

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        if _SUMMARY & logs.keys():
            self.recorder.metrics(logs, None)
        else:
            self.recorder.metrics(logs, state.global_step)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            self.recorder.artifact(folder, "checkpoint")

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None,
                     **kwargs: Any) -> None:
        if not state.is_world_process_zero or not self.recorder.active:
            return
        self.recorder.artifact(state.best_model_checkpoint, "model", name="best-checkpoint")
        if self.model_path is not None and model is not None:
            model.save_pretrained(self.model_path)
            self.recorder.artifact(self.model_path, "model")
        if state.max_steps and state.global_step < state.max_steps:
            self.recorder.event("training.stopped_early", f"stopped at step {state.global_step} "
                                f"of {state.max_steps}", step=state.global_step)
        self.recorder.close("completed")
