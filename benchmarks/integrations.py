"""What a framework adapter adds to a training that logs every step.

    python benchmarks/integrations.py [--repeat 5] [--only lightning,keras]

API: the same tiny training (a 4-input linear model on synthetic data, one thread), once
with the contexta-git callback or logger and once without, logging every step both
times (Lightning into a logger that drops what it gets, the Trainer with
``logging_steps=1``, Keras's per-batch logs, XGBoost and LightGBM evaluating every
round). Timed: the training call only (``fit``, ``train``), which with the adapter
includes opening the run (real environment capture), every step's points and the final
commit. The two variants alternate, ``--repeat`` times each; medians of wall and CPU time.
On a shared machine the difference of two medians is noisy, so the adapter's own hooks
are also timed inside the training that uses them: "open+end", opening and ending the run
(environment capture, the first and the last commit: once a training, whatever its
length), and "steps in hooks", the rest of their wall time (every step's points, the
flushes every 5 s), as a share of the training's wall time without the adapter. That
share leaves out what a
framework itself does only because a callback listens (Keras's per-batch logs, say);
the difference of medians includes it. A framework that is not installed is left out and
named.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

from contexta_git.integrations.base import Recorder

sys.path.insert(0, str(Path(__file__).parent))
from common import new_repo, print_setup, table

Train = Callable[[Path | None], None]  # repo to record into, or None: no adapter


def lightning(steps: int) -> Train:
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.loggers.logger import Logger

    from contexta_git.integrations.lightning import ContextaLogger

    class Drop(Logger):  # type: ignore[misc]
        name, version = "drop", 0

        def log_metrics(self, metrics: Any, step: Any = None) -> None:
            pass

        def log_hyperparams(self, *args: Any, **kwargs: Any) -> None:
            pass

    class Tiny(pl.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"lr": 0.01})
            self.linear = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, index: int) -> Any:
            loss = torch.nn.functional.mse_loss(self.linear(batch[0]).squeeze(-1), batch[1])
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    x = torch.randn(8 * steps, 4)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1)), batch_size=8)

    def train(repo: Path | None) -> None:
        logger = ContextaLogger(repo=repo) if repo else Drop()
        pl.Trainer(logger=logger, max_epochs=1, log_every_n_steps=1, accelerator="cpu",
                   enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False).fit(Tiny(), data)
    return train


def transformers(steps: int) -> Train:
    import torch
    import transformers as hf

    from contexta_git.integrations.huggingface import ContextaCallback

    class Tiny(hf.PreTrainedModel):  # type: ignore[misc]
        config_class = hf.PretrainedConfig

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.linear = torch.nn.Linear(4, 1)
            self.post_init()

        def forward(self, x: Any, labels: Any = None) -> dict[str, Any]:
            return {"loss": torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), labels)}

    x = torch.randn(8 * steps, 4)
    data = [{"x": row, "labels": row.sum()} for row in x]
    out = tempfile.mkdtemp()

    def train(repo: Path | None) -> None:
        args = hf.TrainingArguments(output_dir=out, max_steps=steps, per_device_train_batch_size=8,
                                    logging_steps=1, save_strategy="no", report_to="none",
                                    use_cpu=True, disable_tqdm=True)
        trainer = hf.Trainer(model=Tiny(hf.PretrainedConfig()), args=args, train_dataset=data,
                             callbacks=[ContextaCallback(repo=repo)] if repo else [])
        trainer.remove_callback(hf.PrinterCallback)  # the same quiet loop in both variants
        trainer.train()
    return train


def keras(steps: int) -> Train:
    import keras as k

    from contexta_git.integrations.keras import ContextaCallback

    x = np.random.default_rng(0).normal(size=(8 * steps, 4)).astype("float32")

    def train(repo: Path | None) -> None:
        model = k.Sequential([k.Input((4,)), k.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, x.sum(1), batch_size=8, epochs=1, verbose=0,
                  callbacks=[ContextaCallback(repo=repo)] if repo else [])
    return train


def xgboost(steps: int) -> Train:
    import xgboost as xgb

    from contexta_git.integrations.xgboost import ContextaCallback

    x = np.random.default_rng(0).normal(size=(2000, 4))
    data = xgb.DMatrix(x, label=x.sum(1))

    def train(repo: Path | None) -> None:
        xgb.train({"max_depth": 2, "nthread": 1}, data, num_boost_round=steps,
                  evals=[(data, "train")], verbose_eval=False,
                  callbacks=[ContextaCallback(repo=repo)] if repo else [])
    return train


def lightgbm(steps: int) -> Train:
    import lightgbm as lgb

    from contexta_git.integrations.lightgbm import ContextaCallback

    x = np.random.default_rng(0).normal(size=(2000, 4))

    def train(repo: Path | None) -> None:
        data = lgb.Dataset(x, label=x.sum(1), free_raw_data=False)
        lgb.train({"num_leaves": 4, "num_threads": 1, "verbose": -1}, data, num_boost_round=steps,
                  valid_sets=[data], callbacks=[ContextaCallback(repo=repo)] if repo else [])
    return train


FRAMEWORKS = {"lightning": (lightning, 1000), "transformers": (transformers, 1000),
              "keras": (keras, 1500), "xgboost": (xgboost, 1000), "lightgbm": (lightgbm, 1000)}


HOOKS = ("on_", "log_", "after_", "before_", "finalize", "__call__")
in_hooks = [0.0]
at_ends = [0.0]


def time_hooks(adapter: type) -> None:
    """Add the wall time of every hook of ``adapter`` to ``in_hooks``."""
    for name, method in list(vars(adapter).items()):
        if name.startswith(HOOKS) and callable(method):
            def timed_hook(*args: Any, __method: Any = method, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return __method(*args, **kwargs)
                finally:
                    in_hooks[0] += time.perf_counter() - started
            setattr(adapter, name, timed_hook)


def time_run_ends() -> None:
    """Add the wall time of opening and ending runs (environment capture, first and last
    commit: paid once a training, whatever its length) to ``at_ends`` too."""
    for name in ("open", "close"):
        method = getattr(Recorder, name)

        def timed_end(*args: Any, __method: Any = method, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return __method(*args, **kwargs)
            finally:
                at_ends[0] += time.perf_counter() - started
        setattr(Recorder, name, timed_end)


def adapters() -> list[type]:
    found = []
    for module, name in (("lightning", "ContextaLogger"), ("huggingface", "ContextaCallback"),
                         ("keras", "ContextaCallback"), ("xgboost", "ContextaCallback"),
                         ("lightgbm", "ContextaCallback")):
        try:
            found.append(getattr(__import__(f"contexta_git.integrations.{module}",
                                            fromlist=[name]), name))
        except ImportError:
            pass
    return found


def timed(train: Train, repo: Path | None) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    train(repo)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=",".join(FRAMEWORKS))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    for adapter in adapters():
        time_hooks(adapter)
    time_run_ends()
    print_setup("API: real (each run the adapter opens captures this interpreter's environment)")
    rows, missing = [], []
    with tempfile.TemporaryDirectory() as tmp:
        repo = new_repo(Path(tmp) / "repo")
        for name in args.only.split(","):
            make, steps = FRAMEWORKS[name]
            try:
                train = make(steps)
            except ImportError as exc:
                missing.append(f"{name} ({exc.name})")
                continue
            train(None)  # warm up: imports, first-call costs, the environment cache
            train(repo)
            times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
            shares, ends = [], []
            for _ in range(args.repeat):
                times[False].append(timed(train, None))
                in_hooks[0] = at_ends[0] = 0.0
                times[True].append(timed(train, repo))
                shares.append((in_hooks[0] - at_ends[0]) / times[False][-1][0])
                ends.append(at_ends[0])
            base = [statistics.median(t[i] for t in times[False]) for i in (0, 1)]
            with_ = [statistics.median(t[i] for t in times[True]) for i in (0, 1)]
            rows.append([name, str(steps), f"{base[0]:.2f}", f"{with_[0]:.2f}",
                         f"{100 * (with_[0] / base[0] - 1):+.1f} %", f"{base[1]:.2f}",
                         f"{with_[1]:.2f}", f"{100 * (with_[1] / base[1] - 1):+.1f} %",
                         f"{1000 * statistics.median(ends):.0f}",
                         f"{100 * statistics.median(shares):.2f} %"])
            print(f"{name}: done", file=sys.stderr, flush=True)
    print(f"API, one training of STEPS steps logging every step, medians of {args.repeat}; seconds:")
    print(table(rows, ["framework", "steps", "wall without", "wall with", "wall added",
                       "CPU without", "CPU with", "CPU added", "open+end ms",
                       "steps in hooks"]))
    if missing:
        print(f"not installed, left out: {', '.join(missing)}")


if __name__ == "__main__":
    main()
