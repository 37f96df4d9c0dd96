"""Step series: logging and flushing many points, printing them, and their size in git.

    python benchmarks/series.py [--points 1000000] [--flushes 200] [--repeat 3]

API: one run logs ``--points`` points of one series (``run.log_metric("loss", v,
step=i)``) with ``--flushes`` flushes, then 5 series x 20,000 points with 40 flushes (the
case that took 19.5 s when every flush rewrote metrics.toml). The baseline is git
itself: the same chunk bytes committed with bare pygit2, in one commit and in one commit
per flush.
CLI: ``contexta-git show RUN --series loss`` (CSV, and --json) as a new process, stdout
piped, against ``git cat-file --batch`` printing the same blobs; wall and CPU time.
Size: the repository's pack after ``git gc``, per point.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).parent))
from common import (
    add_environment_option, choose_environment, contexta_cli, new_repo, print_setup,
)

from contexta_git.core.names import RunId
from contexta_git.record.run import start_run
from contexta_git.store import series
from contexta_git.store.runs import Runs


def log(repo: Path, name: str, keys: list[str], points: int, flushes: int) -> float:
    """Seconds to record ``points`` points of each key with ``flushes`` flushes."""
    rng = random.Random(7)
    per = points // flushes
    started = time.perf_counter()
    with start_run(name, project="bench", repo=repo, flush_interval=1e9) as run:
        step = 0
        for _flush in range(flushes):
            for _ in range(per):
                for key in keys:
                    run.log_metric(key, rng.random(), step=step)
                step += 1
            run.flush()
    return time.perf_counter() - started


def chunk_blobs(repo: Path, name: str) -> list[tuple[str, bytes]]:
    runs = Runs.open(repo)
    view, run = runs.view(), RunId("bench", name)
    return [(path, view.read(f"{run.path}/{path}") or b"")
            for _seq, path in series.chunk_files(view, run.path)]


def raw_commits(blobs: list[tuple[str, bytes]], per_flush: bool) -> float:
    """Bare pygit2: the chunk files in one commit, or one commit per chunk (the floor of
    a flush: blob, the two trees above it, a commit, the ref)."""
    with tempfile.TemporaryDirectory() as folder:
        repo = pygit2.init_repository(folder, bare=True)
        sig = pygit2.Signature("Bench", "bench@example.com")
        started = time.perf_counter()
        groups = [[item] for item in blobs] if per_flush else [blobs]
        parent: list[pygit2.Oid] = []
        buckets: dict[str, pygit2.Oid] = {}
        for group in groups:
            for path, data in group:
                bucket, leaf = path.split("/")[1:]
                sub = repo.TreeBuilder(repo[buckets[bucket]]) if bucket in buckets \
                    else repo.TreeBuilder()
                sub.insert(leaf, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
                buckets[bucket] = sub.write()
            top = repo.TreeBuilder()
            for bucket, oid in buckets.items():
                top.insert(bucket, oid, pygit2.GIT_FILEMODE_TREE)
            commit = repo.create_commit(None, sig, sig, "raw", top.write(), parent)
            repo.references.create("refs/heads/raw", commit, force=True)
            parent = [commit]
        return time.perf_counter() - started


def timed(command: list[str], repeat: int, stdin: bytes | None = None) -> tuple[float, float]:
    """Median wall and CPU (user + sys) seconds of a new process, stdout piped."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, input=stdin, stdout=subprocess.PIPE, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def pack_bytes(repo: Path) -> tuple[int, int]:
    """(loose bytes before gc, pack bytes after gc) of the whole repository."""
    def sizes() -> dict[str, int]:
        out = subprocess.run(["git", "-C", str(repo), "count-objects", "-v"],
                             capture_output=True, text=True, check=True).stdout
        return {k: int(float(v)) for k, v in (line.split(": ") for line in out.splitlines())}
    loose = sizes()["size"] * 1024
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=True)
    return loose, sizes()["size-pack"] * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--flushes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    add_environment_option(parser)
    args = parser.parse_args()
    environment = choose_environment(args.real_environment)
    print_setup(environment.description)
    with tempfile.TemporaryDirectory() as folder:
        repo = new_repo(Path(folder) / "repo")
        points, flushes = args.points, args.flushes
        seconds = log(repo, "long", ["loss"], points, flushes)
        blobs = chunk_blobs(repo, "long")
        one, each = raw_commits(blobs, False), raw_commits(blobs, True)
        raw = sum(len(data) for _path, data in blobs)
        print(f"API: {points:,} points in {flushes} flushes: {seconds:.2f} s "
              f"({seconds / points * 1e6:.2f} us a point); git: the same {raw / 2**20:.1f} MiB "
              f"of chunks in one bare pygit2 commit {one:.2f} s ({seconds / one:.1f}x), in "
              f"{len(blobs)} commits {each:.2f} s ({seconds / each:.1f}x)")
        show = [*contexta_cli(), "--repo", str(repo), "show", "bench.long", "--series", "loss"]
        objects = "".join(f"contexta/runs:{RunId('bench', 'long').path}/{path}\n"
                          for path, _data in blobs).encode()
        cat = timed(["git", "-C", str(repo), "cat-file", "--batch"], args.repeat, objects)
        for label, command in (("CSV", show), ("JSON", [*show, "--json"])):
            wall, cpu = timed(command, args.repeat)
            print(f"CLI: show --series ({label}, {points:,} points, piped): {wall:.2f} s wall, "
                  f"{cpu:.2f} s CPU; git cat-file --batch of the same blobs {cat[0]:.2f} s wall "
                  f"({wall / cat[0]:.1f}x)")
        loose, packed = pack_bytes(repo)
        print(f"size: {raw / points:.1f} bytes a point in chunk files, {loose / points:.1f} "
              f"as loose objects, {packed / points:.1f} after git gc (whole repository)")
        seconds = log(repo, "five", [f"metric_{i}" for i in range(5)], 20_000, 40)
        blobs = chunk_blobs(repo, "five")
        each = raw_commits(blobs, True)
        print(f"API: 5 series x 20,000 points in 40 flushes: {seconds:.2f} s (metrics.toml "
              f"rewritten at each flush took 19.5 s); git: the same chunks in 40 bare commits "
              f"{each:.2f} s ({seconds / each:.1f}x)")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load}")


if __name__ == "__main__":
    main()
