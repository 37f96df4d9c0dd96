"""The tools a user would pick instead, measured on the same work when installed.

MLflow: one run with the same params and metrics logged to a local SQLite tracking
store, and ``search_runs`` over the store. DVC: ``dvc exp save`` of the same metrics
and params files, and ``dvc exp show`` over the saved experiments. A peer that is
not installed is skipped (``pip install 'contexta-git[bench]'`` installs both).
Filling a peer is slow, so peers are measured at the smaller sizes only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import median_seconds, new_repo

METRICS = {f"metric_{k:02d}": k / 100 for k in range(10)}
PARAMS = {"lr": 0.01, "seed": 7, "batch_size": 64}


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def mlflow(root: Path, count: int, repeat: int) -> dict[str, float] | None:
    """Seconds to log one run after ``count`` runs, and to search all of them."""
    if not have("mlflow"):
        return None
    import logging

    import mlflow as ml
    from mlflow.tracking import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    ml.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    experiment = ml.set_experiment(f"bench-{count}").experiment_id
    client = MlflowClient()
    from mlflow.entities import Metric, Param

    def log(i: int) -> None:
        run = client.create_run(experiment)
        stamp = int(time.time() * 1000)
        client.log_batch(run.info.run_id,
                         metrics=[Metric(k, v, stamp, 0) for k, v in METRICS.items()],
                         params=[Param(k, str(v)) for k, v in PARAMS.items()])
        client.set_terminated(run.info.run_id)

    for i in range(count):
        log(i)
    record = median_seconds(log, repeat)
    search = median_seconds(lambda i: ml.search_runs([experiment], max_results=100000,
                                                      output_format="list"), 3)
    return {"record": record, "list": search}


def dvc(root: Path, count: int, repeat: int) -> dict[str, float] | None:
    """Seconds for ``dvc exp save`` after ``count`` saved experiments, and ``dvc exp show``."""
    exe = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
    if not Path(exe).exists():
        return None
    repo = new_repo(root / f"dvc-{count}")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    run = lambda *a: subprocess.run([exe, *a], cwd=repo, env=env, check=True,  # noqa: E731
                                    capture_output=True)
    run("init", "-q")
    (repo / "dvc.yaml").write_text("metrics:\n  - metrics.json\nparams:\n  - params.yaml\n")
    (repo / "params.yaml").write_text("".join(f"{k}: {v}\n" for k, v in PARAMS.items()))
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "dvc"], cwd=repo, check=True)

    def save(i: int) -> None:
        (repo / "metrics.json").write_text(json.dumps({**METRICS, "run": i}))
        run("exp", "save", "-q", "-f", "-n", f"exp-{time.monotonic_ns()}")

    for i in range(count):
        save(i)
    record = median_seconds(save, repeat)
    show = median_seconds(lambda i: run("exp", "show", "--json"), 3)
    return {"record": record, "list": show}
