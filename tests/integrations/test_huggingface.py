"""The Hugging Face Trainer callback, with a real Trainer and a tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integrations.conftest import framework, only_run, points


def tiny_trainer(tmp_path: Path, callback: Any, steps: int = 6, **args: Any) -> Any:
    torch = framework("torch")
    transformers = framework("transformers")
    framework("accelerate")

    class Tiny(transformers.PreTrainedModel):  # type: ignore[misc, name-defined]
        config_class = transformers.PretrainedConfig

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.linear = torch.nn.Linear(4, 1)
            self.post_init()

        def forward(self, x: Any, labels: Any = None) -> dict[str, Any]:
            out = self.linear(x).squeeze(-1)
            return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    data = [{"x": row, "labels": row.sum()} for row in x]
    settings = {"output_dir": str(tmp_path / "out"), "max_steps": steps,
                "per_device_train_batch_size": 8, "learning_rate": 0.05, "logging_steps": 1,
                "save_strategy": "no", "report_to": "none", "use_cpu": True,
                "disable_tqdm": True, **args}
    return transformers.Trainer(model=Tiny(transformers.PretrainedConfig(hidden=4)),
                                args=transformers.TrainingArguments(**settings),
                                train_dataset=data, eval_dataset=data[:8], callbacks=[callback])


def test_a_trainer_run_is_recorded_with_its_loss_curve_params_and_checkpoints(
        repo: Path, tmp_path: Path) -> None:
    framework("transformers")
    from contexta_git.integrations.huggingface import ContextaCallback

    trainer = tiny_trainer(tmp_path, ContextaCallback("hf-tiny", repo=repo), steps=6,
                           save_strategy="steps", save_steps=3, eval_strategy="steps",
                           eval_steps=3)
    trainer.train()
    run = only_run(repo)
    assert (run.name, run.status) == ("hf-tiny", "completed")
    assert run.params["learning_rate"] == 0.05 and run.params["max_steps"] == 6
    assert run.params["model.hidden"] == 4
    assert run.tags["framework"] == "transformers"
    steps, losses = points(repo, run, "loss")
    assert steps == [1, 2, 3, 4, 5, 6]
    logged = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses == pytest.approx(logged)
    assert points(repo, run, "eval_loss")[0] == [3, 6]
    assert {m.key for m in run.metrics} >= {"train_runtime", "train_loss"}
    checkpoints = sorted(a.path or "" for a in run.artifacts if a.kind == "checkpoint")
    assert [Path(p).name for p in checkpoints] == ["checkpoint-3", "checkpoint-6"]
    assert all(a.sha256 for a in run.artifacts)


def test_the_final_model_is_saved_and_fingerprinted_when_asked(repo: Path, tmp_path: Path) -> None:
    framework("transformers")
    from contexta_git.integrations.huggingface import ContextaCallback

    tiny_trainer(tmp_path, ContextaCallback("hf-model", repo=repo, model_path=tmp_path / "final"),
                 steps=2).train()
    model = [a for a in only_run(repo).artifacts if a.kind == "model"]
    assert len(model) == 1 and (tmp_path / "final" / "config.json").is_file()


def test_a_failing_training_is_failed_at_exit(repo: Path, tmp_path: Path) -> None:
    framework("transformers")
    from contexta_git.integrations import base
    from contexta_git.integrations.huggingface import ContextaCallback

    callback = ContextaCallback("hf-fails", repo=repo)
    trainer = tiny_trainer(tmp_path, callback, steps=4)
    trainer.train_dataset = [{"x": None, "labels": None}] * 32  # the first batch raises
    with pytest.raises(Exception):  # noqa: B017 - whatever the collator raises
        trainer.train()
    assert only_run(repo).status == "running"
    base.finish_open_runs()  # what the interpreter's exit runs
    run = only_run(repo)
    assert run.status == "failed"
    assert [e.key for e in run.events] == ["run.unfinished"]


def test_only_the_world_process_zero_writes(repo: Path, tmp_path: Path) -> None:
    framework("transformers")
    from contexta_git.integrations.huggingface import ContextaCallback

    callback = ContextaCallback("hf-rank1", repo=repo)
    trainer = tiny_trainer(tmp_path, callback, steps=2)
    trainer.is_world_process_zero = lambda: False  # what a rank-1 process's Trainer says
    trainer.train()
    from contexta_git.store.runs import Runs
    assert Runs.open(repo).ids() == []
