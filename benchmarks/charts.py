"""Charts: `plot` of several long series and the HTML report of a very long one.

    python benchmarks/charts.py [--runs 3] [--points 100000] [--long 1000000] [--repeat 5]

API: records ``--runs`` runs of ``--points`` points of one series each (10 flushes a
run), and one run of ``--long`` points (20 flushes).
CLI: a new ``contexta-git`` process per call, as a user runs it, stdout piped:
``plot RUN... -m loss`` (the terminal chart, no colour since piped), the same with
``--html FILE``, and ``report RUN --format html -o FILE`` of the long run; median wall
and CPU (user + sys) seconds, and the size of the page and of the chart data in it.
Budgets (the issue): plot of 3 runs x 100,000 points < 1 s; the report of a
1,000,000-point run < 2 s to write.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import add_environment_option, choose_environment, contexta_cli, new_repo, print_setup

from contexta_git.record.run import start_run


def record(repo: Path, name: str, points: int, flushes: int) -> None:
    rng = random.Random(name)
    per = max(1, points // flushes)
    with start_run(name, project="bench", repo=repo, flush_interval=1e9) as run:
        for i in range(points):
            run.log_metric("loss", 1 / (1 + i / 1000) + rng.random() * 0.05, step=i)
            if (i + 1) % per == 0:
                run.flush()


def timed(command: list[str], repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + sys) seconds of a new process, stdout piped."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def data_bytes(page: str) -> int:
    """Bytes of the chart data (the JSON scripts) in a page."""
    found = re.findall(r'<script type="application/json">(.*?)</script>', page, re.S)
    return sum(len(text.encode()) for text in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--long", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    add_environment_option(parser)
    args = parser.parse_args()
    environment = choose_environment(args.real_environment)
    print_setup(environment.description)
    with tempfile.TemporaryDirectory() as folder:
        repo = new_repo(Path(folder) / "repo")
        names = [f"r{i}" for i in range(args.runs)]
        for name in names:
            record(repo, name, args.points, 10)
        record(repo, "long", args.long, 20)
        cli = [*contexta_cli(), "--repo", str(repo)]
        plot = [*cli, "plot", *(f"bench.{n}" for n in names), "-m", "loss"]
        what = f"{args.runs} runs x {args.points:,} points"
        wall, cpu = timed(plot, args.repeat)
        print(f"CLI: plot ({what}, terminal chart, piped): {wall:.2f} s wall, {cpu:.2f} s CPU "
              "(budget 1 s)")
        page = Path(folder) / "plot.html"
        wall, cpu = timed([*plot, "--html", str(page)], args.repeat)
        text = page.read_text()
        print(f"CLI: plot --html ({what}): {wall:.2f} s wall, {cpu:.2f} s CPU; page "
              f"{len(text.encode()) / 1024:.0f} KiB, chart data {data_bytes(text) / 1024:.0f} KiB")
        page = Path(folder) / "report.html"
        wall, cpu = timed([*cli, "report", "bench.long", "--format", "html", "-o", str(page)],
                          args.repeat)
        text = page.read_text()
        print(f"CLI: report --format html (1 run x {args.long:,} points): {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU (budget 2 s); page {len(text.encode()) / 1024:.0f} KiB, chart "
              f"data {data_bytes(text) / 1024:.0f} KiB (limit 1 MB)")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load}")


if __name__ == "__main__":
    main()
