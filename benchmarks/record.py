"""Recording cost at 100, 1,000 and 10,000 runs already on the branch, next to a raw commit.

    python benchmarks/record.py [--sizes 100,1000,10000] [--repeat 30] [--real-environment]

API: records one run (5 metrics, 1 event, an environment and lockfile) through the
public API inside this process, and commits the same files with bare pygit2 (blobs,
trees on the path, commit, ref update): the ratio is what contexta-git costs on top
of git itself. By default the API's environment capture is replaced by fixed
300-package bytes; --real-environment captures this interpreter's environment.
CLI: times `contexta-git --help` (start-up of a new process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    Environment, add_environment_option, choose_environment, contexta_cli, fill, median_seconds,
    new_repo, print_setup, raw_commit, table,
)

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

METRICS = {"accuracy": 0.93, "auc": 0.96, "f1": 0.91, "precision": 0.9, "recall": 0.92}


def measure(size: int, repeat: int, root: Path, environment: Environment) -> tuple[float, float]:
    repo = new_repo(root / f"r{size}")
    fill(repo, size)
    runs = Runs.open(repo)
    api = median_seconds(lambda i: record(runs, "bench", f"api-{i}", metrics=METRICS,
                                          params={"lr": 0.01}, events={"note": "bench"}), repeat)
    files = record_files(environment)
    raw_repo = pygit2.Repository(str(repo))
    ref = "refs/heads/contexta/runs"
    raw = median_seconds(
        lambda i: raw_commit(raw_repo, ref, RunId("bench", f"raw-{i}").path, files), repeat)
    return api, raw


def record_files(environment: Environment) -> dict[str, bytes]:
    """The same files the API writes for one such run."""
    return {
        "run.toml": records.dumps({"status": "completed", "params": {"lr": 0.01}}),
        "metrics.toml": records.dumps({"metrics": [{"id": k, "key": k, "value": v}
                                                   for k, v in METRICS.items()]}),
        "events.toml": records.dumps({"events": [{"id": "e", "key": "note"}]}),
        "environment.toml": environment.env,
        "pylock.toml": environment.lock,
    }


def cli_start(repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*contexta_cli(), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=30)
    add_environment_option(parser)
    args = parser.parse_args()
    environment = choose_environment(args.real_environment)
    print_setup(environment.description)
    rows = []
    first_api = None
    with tempfile.TemporaryDirectory(prefix="contexta-bench-") as tmp:
        for size in map(int, args.sizes.split(",")):
            api, raw = measure(size, args.repeat, Path(tmp), environment)
            first_api = first_api or api
            rows.append([f"{size:,}", f"{api * 1000:.2f}", f"{raw * 1000:.2f}", f"{api / raw:.2f}x",
                         f"{api / first_api:.2f}x"])
    print("API (in-process): record one run (5 metrics, 1 event, environment and lockfile), "
          "median of", args.repeat)
    print(table(rows, ["runs on branch", "API record ms", "raw pygit2 commit ms", "API/raw",
                       "vs smallest"]))
    print(f"\nCLI start-up, new process (contexta-git --help): {cli_start() * 1000:.0f} ms "
          "(goal < 300 ms)")


if __name__ == "__main__":
    main()
