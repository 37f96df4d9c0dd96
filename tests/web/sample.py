"""A real repository to browse: runs with step series, params and datasets, one run
quarantined, one certified (signed with a throwaway SSH key), and a policy file."""

from __future__ import annotations

import math
from pathlib import Path

from contexta_git.analysis.quarantine import quarantine
from contexta_git.demo.cert import POLICY, setup_signing
from contexta_git.record.run import start_run
from contexta_git.release.certify import certify
from contexta_git.release.policy import load_policy
from contexta_git.store.runs import Runs

#: name -> (learning rate, batch size, loss decay)
RUNS = {"baseline": (0.1, 32, 0.02), "tuned": (0.03, 64, 0.05), "wide": (0.01, 128, 0.04)}
STEPS = 60
QUARANTINED = "wide"
CERTIFIED = "tuned"


def record(repo: Path, name: str, lr: float, batch: int, decay: float, *,
           project: str = "vision") -> None:
    with start_run(name, project=project, repo=repo, capture_environment=False,
                   params={"lr": lr, "batch": batch, "optimizer": "adam"}) as run:
        run.dataset("images", version="2024-05", source="s3://bucket/images", split="train",
                    rows=50_000)
        model = repo.parent / f"{name}.bin"
        model.write_bytes(name.encode() * 100)
        run.artifact(model, kind="model")
        run.event("note", f"trained {name} <b>bold</b> on 1 GPU")
        with run.stage("train"):
            for step in range(STEPS):
                run.log_metric("loss", 0.3 + 2.0 * math.exp(-decay * step), step=step)
                run.log_metric("lr_now", lr * (1 - step / STEPS / 2), step=step)
        with run.stage("evaluate"):
            run.log_metric("accuracy", 0.9 + decay)
            run.log_metric("f1", 0.86 + decay)


def build(repo: Path, *, certificate: bool = True) -> Runs:
    for name, (lr, batch, decay) in RUNS.items():
        record(repo, name, lr, batch, decay)
    runs = Runs.open(repo)
    quarantine(runs, [f"run:vision.{QUARANTINED}"], "vendor feed corrupted in May")
    (repo / "quality.toml").write_text(POLICY)
    if certificate:
        setup_signing(repo, repo.parent)
        certify(runs, f"run:vision.{CERTIFIED}", load_policy(repo / "quality.toml"),
                client="FinanceBank Corp", model="Vision 1.0", cert_id="vision-1.0")
    return runs
