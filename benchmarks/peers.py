"""The tools a user would pick instead, measured on the same work when installed,
and compared like with like.

MLflow is a Python API: one run with the same params and metrics logged to a local
SQLite tracking store, and ``search_runs`` over the store, against contexta-git's
API (``record``, and listing with every run's metrics), both in-process. DVC is a
command line: ``dvc exp save`` of the same metrics and params files, and ``dvc exp
show --json`` over the saved experiments, against contexta-git's CLI ``record`` and
``runs --json`` on a repository holding as many runs, a new process each.
A peer that is not installed is skipped (``pip install 'contexta-git[bench]'``
installs both). Filling a peer is slow, so peers are measured at the smaller sizes only.
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

from common import cli, fill, median_seconds, new_repo, table

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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def compare(root: Path, sizes: list[int], repeat: int, ours: list[dict[str, str]]) -> None:
    """Print the peers next to contexta-git, API against API and CLI against CLI."""
    by_size = {r["runs"]: r for r in ours}
    found = False
    rows = []
    for size in sizes:
        ml = mlflow(root / f"mlflow-{size}", size, repeat)
        if ml:
            mine = by_size[f"{size:,}"]
            record, listing = float(mine["API record ms"]), float(mine["API list+metrics ms"])
            rows.append([f"{size:,}", ms(ml["record"]), f"{record:.1f}",
                         f"{ml['record'] * 1000 / record:.1f}x", ms(ml["list"]), f"{listing:.1f}",
                         f"{ml['list'] * 1000 / listing:.1f}x"])
    if rows:
        found = True
        print("\nAPI vs API, in-process: MLflow's Python API (SQLite tracking store) vs contexta-git's "
              "API;\nrecord one run (10 metrics, 3 params; contexta-git also writes an event, the "
              "environment and lockfile),\nlist every run with its metrics (search_runs vs "
              "list_runs(detail=True)), ms")
        print(table(rows, ["runs", "MLflow record", "contexta-git record", "MLflow / contexta-git",
                           "MLflow search_runs", "contexta-git list+metrics", "MLflow / contexta-git"]))
    count = 10
    dv = dvc(root / "dvc", count, 3)
    if dv:
        found = True
        mine = ours_cli(root / f"ours-{count}", count)
        rows = [["record one run", "dvc exp save", ms(dv["record"]), "contexta-git record",
                 ms(mine["record"]), f"{dv['record'] / mine['record']:.1f}x"],
                ["record one run", "dvc exp save", ms(dv["record"]),
                 "contexta-git record --no-environment", ms(mine["record-noenv"]),
                 f"{dv['record'] / mine['record-noenv']:.1f}x"],
                ["list every run", "dvc exp show --json", ms(dv["list"]), "contexta-git runs --json",
                 ms(mine["list"]), f"{dv['list'] / mine['list']:.1f}x"]]
        print(f"\nCLI vs CLI, a new process per call, {count} runs (experiments) already saved, "
              "medians of 3, ms")
        print(table(rows, ["operation", "DVC", "ms", "contexta-git", "ms", "DVC / contexta-git"]))
    if not found:
        print("\nPeers: none installed (pip install 'contexta-git[bench]')")


def ours_cli(repo: Path, count: int) -> dict[str, float]:
    """contexta-git's CLI on the work the DVC comparison does, on ``count`` runs (listed
    after three records, as ``dvc exp show`` is after three saves)."""
    new_repo(repo)
    fill(repo, count)
    options = [*(f"--metric={k}={v}" for k, v in METRICS.items()),
               *(f"--param={k}={v}" for k, v in PARAMS.items())]
    at = ("--repo", str(repo))
    return {
        "record": median_seconds(lambda i: cli(*at, "record", "-p", "bench", "-n", f"cli-{i}",
                                               *options), 3),
        "list": median_seconds(lambda i: cli(*at, "runs", "-p", "bench", "--json"), 3),
        "record-noenv": median_seconds(lambda i: cli(*at, "record", "-p", "bench", "-n", f"ne-{i}",
                                                     "--no-environment", *options), 3),
    }
