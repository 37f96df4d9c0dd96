"""The Lightning logger, with a real Trainer and a tiny module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integrations.conftest import every_run, framework, only_run, points


def tiny(fail_at: int | None = None) -> tuple[Any, Any]:
    torch = framework("torch")
    lightning = framework("lightning.pytorch")

    class Tiny(lightning.LightningModule):  # type: ignore[misc, name-defined]
        def __init__(self, lr: float = 0.05, width: int = 4) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.linear = torch.nn.Linear(width, 1)

        def training_step(self, batch: Any, index: int) -> Any:
            if fail_at is not None and self.global_step == fail_at:
                raise RuntimeError("diverged")
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch: Any, index: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1)), batch_size=8)
    return Tiny(), data


def trainer(tmp_path: Path, logger: Any, **settings: Any) -> Any:
    lightning = framework("lightning.pytorch")
    return lightning.Trainer(logger=logger, default_root_dir=tmp_path, accelerator="cpu",
                             log_every_n_steps=1, enable_progress_bar=False,
                             enable_model_summary=False, **settings)


def test_fit_is_one_run_with_hyperparameters_steps_and_checkpoints(repo: Path, tmp_path: Path) -> None:
    framework("lightning.pytorch")
    from contexta_git.integrations.lightning import ContextaLogger

    module, data = tiny()
    trainer(tmp_path, ContextaLogger("pl-tiny", repo=repo), max_epochs=2).fit(module, data, data)
    run = only_run(repo)
    assert (run.name, run.status) == ("pl-tiny", "completed")
    assert run.params == {"lr": 0.05, "width": 4}
    steps, losses = points(repo, run, "train_loss")
    assert steps == list(range(8)) and len(losses) == 8
    assert points(repo, run, "val_loss")[0] == [3, 7]  # Lightning's step at each epoch's end
    kinds = sorted((a.kind or "", Path(a.path or "").name) for a in run.artifacts)
    assert ("model", "epoch=1-step=8.ckpt") in kinds
    assert [k for k, _ in kinds].count("checkpoint") == 2  # one per epoch, each as saved


def test_an_exception_fails_the_run_and_a_later_test_is_a_run_of_its_own(
        repo: Path, tmp_path: Path) -> None:
    framework("lightning.pytorch")
    from contexta_git.integrations.lightning import ContextaLogger

    logger = ContextaLogger("pl-fails", repo=repo)
    module, data = tiny(fail_at=2)
    with pytest.raises(RuntimeError, match="diverged"):
        trainer(tmp_path, logger, max_epochs=1).fit(module, data)
    module, data = tiny()
    trainer(tmp_path, logger, max_epochs=1).validate(module, data)
    runs = {r.name: r for r in every_run(repo)}
    assert runs["pl-fails"].status == "failed"
    assert points(repo, runs["pl-fails"], "train_loss")[0] == [0, 1]
    assert runs["pl-fails-2"].status == "completed"


def test_ranks_other_than_zero_write_nothing(repo: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    framework("lightning.pytorch")
    from lightning.pytorch.utilities import rank_zero_only

    from contexta_git.integrations.lightning import ContextaLogger
    from contexta_git.store.runs import Runs

    monkeypatch.setattr(rank_zero_only, "rank", 1)  # what Lightning sets in a rank-1 process
    module, data = tiny()
    trainer(tmp_path, ContextaLogger("pl-rank1", repo=repo), max_epochs=1,
            enable_checkpointing=False).fit(module, data)
    assert Runs.open(repo).ids() == []
