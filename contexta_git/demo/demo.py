"""The end-to-end demo's data: a throwaway repository with a few recorded runs."""

from __future__ import annotations

import random
from pathlib import Path

from contexta_git.errors import InvalidValue
from contexta_git.git.repo import GitStore, git
from contexta_git.record.run import start_run
from contexta_git.store.runs import Runs

PROJECT = "demo"
#: files the demo writes beside its repository
BESIDE = ("quality.toml", "allowed_signers", "demo-signing-key", "demo-signing-key.pub")


def make_repository(root: Path) -> Path:
    """A new git repository with a training script committed, and its own identity."""
    repo = root / "ml-project"
    # the release steps write these next to the repository (demo/cert.py): never over a
    # file the user already has there (a quality.toml, an allowed_signers file)
    for path in (repo, *(root / name for name in BESIDE)):
        if path.exists() or path.is_symlink():
            raise InvalidValue(f"{path} already exists: give --keep a new folder")
    GitStore.init(repo)
    for key, value in (("user.name", "Demo User"), ("user.email", "demo@example.com")):
        git(["config", key, value], cwd=repo, check=True)
    (repo / "train.py").write_text("print('training')\n")
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(200)))
    git(["add", "train.py", "data/train.csv"], cwd=repo, check=True)
    git(["commit", "-q", "-m", "Add training script and data"], cwd=repo, check=True)
    return repo


def record_runs(repo: Path, count: int = 3) -> list[str]:
    """Record ``count`` training runs with different learning rates."""
    rng = random.Random(7)
    refs = []
    for index in range(count):
        lr = [0.1, 0.03, 0.01, 0.003][index % 4]
        with start_run(f"lr-{lr}", project=PROJECT, repo=repo, params={"lr": lr, "seed": 7}) as run:
            run.dataset("train", version="v1", path=repo / "data" / "train.csv")
            with run.stage("train"):
                for step in range(1, 4):
                    run.log_metric("loss", round(1.0 / (step * (1 + lr * 10)), 4), step=step)
            with run.stage("evaluate"):
                accuracy = round(0.86 + lr + rng.uniform(0, 0.01), 4)
                run.log_metrics({"accuracy": accuracy, "f1": round(accuracy - 0.02, 4)})
            refs.append(run.id.ref)
    return refs


def runs(repo: Path) -> Runs:
    return Runs.open(repo)
