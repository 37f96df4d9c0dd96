"""What sampling system metrics costs: CPU time of this process while a run idles.

    python benchmarks/system_metrics.py [--seconds 30] [--intervals 1,5]

For each interval, a run with ``system_metrics=INTERVAL`` (no environment capture,
the default ``flush_interval`` of 5 s, so the sampler's points are committed every 5 s
as a training loop's would be) is started in a throwaway repository; the main thread
sleeps ``--seconds`` while the background thread samples and commits, and the process's
CPU time (user + system, every thread) over that window is the cost. A run without
system metrics, idle for the same time, is the baseline. Goal: under 1 % of one core.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import new_repo, print_setup

from contexta_git.record import system
from contexta_git.record.run import start_run


def idle_cost(repo: Path, name: str, seconds: float, interval: float | None) -> tuple[float, int]:
    """CPU seconds this process used while a run idled ``seconds``, and samples taken."""
    with start_run(name, project="bench", repo=repo, capture_environment=False,
                   system_metrics=interval) as run:
        before = time.process_time()
        time.sleep(seconds)
        used = time.process_time() - before
    count = 0
    if interval:
        summaries = run.runs.get(run.id).series_summaries()
        count = summaries["system/cpu_percent"].count
    return used, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--intervals", default="1,5")
    args = parser.parse_args()
    print_setup("off (capture_environment=False)")
    nvml, gpus = system.visible_gpus()
    print(f"GPUs sampled: {len(gpus)} ({'NVML answers' if nvml else 'NVML absent or no driver'})")
    with tempfile.TemporaryDirectory() as tmp:
        repo = new_repo(Path(tmp) / "repo")
        base, _ = idle_cost(repo, "baseline", args.seconds, None)
        print(f"API  idle run, no system metrics, {args.seconds:.0f} s: {base * 1000:.1f} ms CPU "
              f"({100 * base / args.seconds:.3f} % of one core)")
        for interval in (float(x) for x in args.intervals.split(",")):
            used, count = idle_cost(repo, f"every-{interval:g}s", args.seconds, interval)
            extra = used - base
            print(f"API  system_metrics={interval:g} s, {args.seconds:.0f} s, {count} samples: "
                  f"{used * 1000:.1f} ms CPU, {100 * used / args.seconds:.3f} % of one core "
                  f"({100 * extra / args.seconds:.3f} % above the baseline; "
                  f"{1000 * extra / max(count, 1):.2f} ms per sample, commits included)")


if __name__ == "__main__":
    main()
