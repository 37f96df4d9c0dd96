"""Time ``import mlflow`` on an MLflow SQLite store this script builds with MLflow's client.

    python benchmarks/import_mlflow.py [--runs 1000] [--points 1000] [--metrics 1]

The store holds one experiment of RUNS finished runs, each with three params, two tags
and METRICS metric histories of POINTS points (log_batch, 1,000 points a call). Timed:
building the store (MLflow's own writes, for scale), the import through the API (artifacts
listed, none there), and the same import again as a new `contexta-git` process (every
run already there: skipped). Goal on the development machine: 1,000 runs with
1,000-point histories imported in under 60 s.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import cli, new_repo, print_setup

from contexta_git.share.import_mlflow import import_mlflow
from contexta_git.store.runs import Runs

T0 = 1_700_000_000_000


def build(uri: str, runs: int, points: int, metrics: int) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(uri)
    experiment = client.create_experiment("bench")
    for number in range(runs):
        run_id = client.create_run(experiment, start_time=T0 + number, run_name=f"run-{number}",
                                   tags={"team": "bench", "seed": str(number)}).info.run_id
        client.log_batch(run_id, params=[Param("lr", "0.1"), Param("depth", str(number % 7)),
                                         Param("optimizer", "adam")])
        for m in range(metrics):
            history = [Metric(f"metric{m}", 1.0 / (s + 1), T0 + s, s) for s in range(points)]
            for start in range(0, points, 1000):
                client.log_batch(run_id, metrics=history[start:start + 1000])
        client.set_terminated(run_id, "FINISHED", T0 + points)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    print_setup("not involved (imported runs carry none)")
    print(f"MLflow {mlflow.__version__}, SQLite store; {args.runs} runs x {args.metrics} metric(s) "
          f"x {args.points} points\n")
    with tempfile.TemporaryDirectory() as tmp:
        uri = f"sqlite:///{tmp}/mlflow.db"
        started = time.perf_counter()
        build(uri, args.runs, args.points, args.metrics)
        print(f"MLflow client  build the store: {time.perf_counter() - started:.1f} s")
        repo = new_repo(Path(tmp) / "repo")
        started = time.perf_counter()
        outcome = import_mlflow(Runs.open(repo), uri)
        took = time.perf_counter() - started
        assert len(outcome.written) == args.runs
        print(f"API  import mlflow: {took:.1f} s ({1000 * took / args.runs:.1f} ms per run, "
              f"{args.runs * args.metrics * args.points / took:,.0f} points/s)")
        started = time.perf_counter()
        cli("--repo", str(repo), "import", "mlflow", "--tracking-uri", uri)
        print(f"CLI  import mlflow again (all {args.runs} skipped): "
              f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
