"""Time ``import mlflow`` on an MLflow store this script builds with MLflow's client.

    python benchmarks/import_mlflow.py [--runs 1000] [--points 1000] [--metrics 1]
                                       [--backend sqlite|folder] [--store PATH]

The store holds one experiment of RUNS finished runs, each with three params, two tags
and METRICS metric histories of POINTS points (log_batch, 1,000 points a call). Timed:
building the store (MLflow's own writes, for scale), MLflow's client alone listing the runs
and reading every history (the floor of any import through it), the import through the API
(artifacts listed, none there; wall and CPU time: on a shared machine CPU time is the
steadier figure), and the same import again as a new `contexta-git` process (every
run already there: skipped). Goal on the development machine: 1,000 runs with
1,000-point histories imported in under 60 s.
"""

from __future__ import annotations

import argparse
import logging
import os
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


def read_histories(uri: str) -> int:
    """What an import through MLflow's client cannot avoid: list the runs, read each history."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench").experiment_id
    points, token = 0, None
    while True:
        page = client.search_runs([experiment], max_results=1000, page_token=token)
        for run in page:
            for key in run.data.metrics:
                points += len(client.get_metric_history(run.info.run_id, key))
        token = page.token
        if not token:
            return points


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "folder"], default="sqlite",
                        help="a SQLite database or an mlruns folder")
    parser.add_argument("--store", help="an absolute path: build the store there once, reuse it "
                        "after (it must have been built with the same sizes)")
    args = parser.parse_args()
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import mlflow

    print_setup("not involved (imported runs carry none)")
    print(f"MLflow {mlflow.__version__}, {args.backend} store; {args.runs} runs x {args.metrics} metric(s) "
          f"x {args.points} points\n")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.store or (f"{tmp}/mlflow.db" if args.backend == "sqlite" else f"{tmp}/mlruns")
        if args.backend == "folder":
            Path(where).mkdir(exist_ok=True)
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it
        uri = f"sqlite:///{where}" if args.backend == "sqlite" else Path(where).as_uri()
        if args.store and Path(args.store).exists() and any(Path(args.store).iterdir()
                                                            if Path(args.store).is_dir() else [1]):
            print(f"MLflow store {args.store} reused (built by an earlier run of this script)")
        else:
            started = time.perf_counter()
            build(uri, args.runs, args.points, args.metrics)
            print(f"MLflow client  build the store: {time.perf_counter() - started:.1f} s")
        started, cpu = time.perf_counter(), time.process_time()
        points = read_histories(uri)
        floor, floor_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"MLflow client  read every run and history ({points:,} points), the floor any "
              f"import through it pays: {floor:.1f} s (CPU {floor_cpu:.1f} s)")
        repo = new_repo(Path(tmp) / "repo")
        started, cpu = time.perf_counter(), time.process_time()
        outcome = import_mlflow(Runs.open(repo), uri)
        took, took_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(outcome.written) == args.runs
        print(f"API  import mlflow: {took:.1f} s, CPU {took_cpu:.1f} s ({1000 * took / args.runs:.1f} "
              f"ms per run, {args.runs * args.metrics * args.points / took:,.0f} points/s); "
              f"CPU beyond MLflow's floor: {took_cpu - floor_cpu:.1f} s")
        print(f"     load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        cli("--repo", str(repo), "import", "mlflow", "--tracking-uri", uri)
        print(f"CLI  import mlflow again (all {args.runs} skipped): "
              f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
