"""Recording cost at 100, 1,000 and 10,000 runs already on the branch, next to a raw commit.

    python benchmarks/record.py [--sizes 100,1000,10000] [--repeat 30]

Records one run (5 metrics, 1 event, a 300-package environment and lockfile) through
the public API, and commits the same files with bare pygit2 (blobs, trees on the path,
commit, ref update): the ratio is what contexta-git costs on top of git itself.
Also times `contexta-git --help` (CLI start-up).
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
    env_bytes, fill, lock_bytes, median_seconds, new_repo, packages, raw_commit, table,
    use_synthetic_environment,
)

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

METRICS = {"accuracy": 0.93, "auc": 0.96, "f1": 0.91, "precision": 0.9, "recall": 0.92}


def measure(size: int, repeat: int, root: Path) -> tuple[float, float]:
    repo = new_repo(root / f"r{size}")
    fill(repo, size)
    runs = Runs.open(repo)
    api = median_seconds(lambda i: record(runs, "bench", f"api-{i}", metrics=METRICS,
                                          params={"lr": 0.01}, events={"note": "bench"}), repeat)
    files = {name: data for name, data in record_files().items()}
    raw_repo = pygit2.Repository(str(repo))
    ref = "refs/heads/contexta/runs"
    raw = median_seconds(
        lambda i: raw_commit(raw_repo, ref, RunId("bench", f"raw-{i}").path, files), repeat)
    return api, raw


def record_files() -> dict[str, bytes]:
    """The same files the API writes for one such run."""
    pkgs = packages()
    return {
        "run.toml": records.dumps({"status": "completed", "params": {"lr": 0.01}}),
        "metrics.toml": records.dumps({"metrics": [{"id": k, "key": k, "value": v}
                                                   for k, v in METRICS.items()]}),
        "events.toml": records.dumps({"events": [{"id": "e", "key": "note"}]}),
        "environment.toml": env_bytes(pkgs),
        "pylock.toml": lock_bytes(pkgs),
    }


def cli_start(repeat: int = 7) -> float:
    times = []
    exe = Path(sys.executable).with_name("contexta-git")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "contexta_git"]
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*command, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    use_synthetic_environment(packages())
    rows = []
    first_api = None
    with tempfile.TemporaryDirectory(prefix="contexta-bench-") as tmp:
        for size in map(int, args.sizes.split(",")):
            api, raw = measure(size, args.repeat, Path(tmp))
            first_api = first_api or api
            rows.append([f"{size:,}", f"{api * 1000:.2f}", f"{raw * 1000:.2f}", f"{api / raw:.2f}x",
                         f"{api / first_api:.2f}x"])
    print("Record one run (5 metrics, 1 event, 300-package lockfile), median of", args.repeat)
    print(table(rows, ["runs on branch", "api ms", "raw pygit2 ms", "api/raw", "vs smallest"]))
    print(f"\nCLI start-up (contexta-git --help): {cli_start() * 1000:.0f} ms (goal < 300 ms)")


if __name__ == "__main__":
    main()
