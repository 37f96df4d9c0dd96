"""Time listing, loading all metrics and diffing, on repositories this script builds.

    python benchmarks/analysis.py [--sizes 1000,10000] [--no-gc]

Each size gets its own throwaway repository with that many runs (three stages'
metrics, an event, a 300-package environment), written with ``Runs.apply`` 1,000
runs per commit: no environment is captured, the four environments are data.
API lines are calls inside this process; CLI lines are a new `contexta-git`
process each, stdout piped. Goals on the development machine (API): list 10,000
runs under 1 s, diff two runs with 300-package environments under 0.2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CONTEXTA_GIT_NO_GC", "1")

from common import cli, print_setup

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.store.runs import RunChange, Runs

PACKAGES = 300
BATCH = 1000


def environment(variant: int) -> bytes:
    packages = {f"package-{i:03d}": f"1.{i % 7}.{variant if i % 50 == 0 else 0}"
                for i in range(PACKAGES)}
    return records.dumps({"python": {"version": "3.11.7"}, "platform": "linux",
                          "packages": packages})


def change(index: int, envs: list[bytes]) -> RunChange:
    rid = RunId("bench", f"run-{index:06d}")
    day = 1 + index % 28
    c = RunChange(rid, create=True, fresh_ids=True, header={
        "status": "completed", "started_at": f"2025-04-{day:02d}T{index % 24:02d}:00:00Z",
        "params": {"lr": 0.01 * (1 + index % 5), "seed": index}})
    c.stages = [{"name": "train", "order": 0}, {"name": "evaluate", "order": 1}]
    for step in range(3):
        c.add("metrics.toml", {"id": f"l{step}", "key": "loss", "value": 1.0 / (step + 1 + index % 3),
                               "stage": "train", "step": step})
    for key in ("accuracy", "auc", "f1"):
        c.add("metrics.toml", {"id": key, "key": key, "value": 0.8 + (index % 997) / 10000,
                               "stage": "evaluate"})
    c.add("events.toml", {"id": "e1", "key": "note", "message": "benchmark run"})
    c.environment = envs[index % len(envs)]
    return c


def build(path: Path, count: int) -> Runs:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com")):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    runs = Runs.open(path)
    envs = [environment(v) for v in range(4)]
    for start in range(0, count, BATCH):
        batch = [change(i, envs) for i in range(start, min(count, start + BATCH))]
        runs.apply(batch, f"bench: runs {start}..{start + len(batch) - 1}")
    return runs


def timed(label: str, fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<54} {best * 1000:9.1f} ms")
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--no-gc", action="store_true",
                        help="Measure with loose objects (default: git gc first, as the "
                             "background `git gc --auto` of a long-lived repository would)")
    args = parser.parse_args()
    print_setup("not exercised: runs are written with Runs.apply, their environments are "
                "fixed 300-package bytes")
    sizes = [int(s) for s in args.sizes.split(",")]
    from contexta_git.analysis.compare import compare_runs
    from contexta_git.analysis.listing import list_runs

    with tempfile.TemporaryDirectory(prefix="contexta-bench-") as tmp:
        for count in sizes:
            started = time.perf_counter()
            path = Path(tmp) / f"repo-{count}"
            runs = build(path, count)
            if not args.no_gc:
                subprocess.run(["git", "-C", str(path), "gc", "-q"], check=True)
                runs = Runs.open(path)
            state = "loose objects" if args.no_gc else "packed"
            print(f"{count} runs, {state} (built in {time.perf_counter() - started:.1f} s):")
            assert len(list_runs(runs, "bench")) == count
            timed("API list runs (status, times, quarantine)", lambda: list_runs(runs, "bench"))
            timed("API list with all metrics (detail=True)",
                  lambda: list_runs(runs, "bench", detail=True))
            timed("API list sort=auc, metric='auc>=0.85'",
                  lambda: list_runs(runs, "bench", sort="auc", metric="auc>=0.85"))
            at = ("--repo", str(path))
            timed("CLI contexta-git runs (table)", lambda: cli(*at, "runs", "-p", "bench"))
            timed("CLI contexta-git runs --json", lambda: cli(*at, "runs", "-p", "bench", "--json"))
            timed("CLI contexta-git runs --sort auc --metric 'auc>=0.85'",
                  lambda: cli(*at, "runs", "-p", "bench", "--sort", "auc", "--metric", "auc>=0.85"))
            a, b = "run-000000", "run-000001"
            t0 = time.perf_counter()
            diff = compare_runs(runs, a, b)
            print(f"  {'API diff 2 runs, 300 packages (first, + imports)':<54} "
                  f"{(time.perf_counter() - t0) * 1000:9.1f} ms")
            timed("API diff 2 runs, 300 packages (warm)", lambda: compare_runs(runs, a, b))
            assert len(diff.environment.changed_packages) == PACKAGES // 50
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c", "import deepdiff"],
                             capture_output=True, text=True).stderr.splitlines()[-1]
    print(f"deepdiff import, new process (cumulative us): {imports.split('|')[1].strip()}")


if __name__ == "__main__":
    main()
