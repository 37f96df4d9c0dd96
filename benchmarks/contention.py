"""Many machines, one record: writers pushing at once through a real git server.

    python benchmarks/contention.py [--writers 16] [--runs 50] [--ingest-runs 1000]

A bare repository served by ``git daemon`` on 127.0.0.1 (receive-pack on). Each writer is
its own process with its own clone, as a machine of a cluster would be, all released
together; each records a run (API, environment capture off: the run is small on purpose,
the push is what is measured) and pushes it, ``--runs`` times:

1. shared branch: ``push`` (retry with jittered backoff, merging each time, deadline 1m):
   every run on the server, wall time, attempts per push, failures the user would see;
2. writers on their own refs: ``push(writer=...)``, then one ``ingest``: rejected pushes,
   wall time, ingest time;
3. ``ingest`` of ``--ingest-runs`` incoming runs (20 writers' refs), timed alone;
4. the per-push cycle time with no contention: record one run, push it (API and CLI).
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import contexta_cli, new_repo, print_setup

from contexta_git.record.oneshot import record
from contexta_git.share.ingest import ingest
from contexta_git.share.sync import push
from contexta_git.store.runs import Runs


def serve(root: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    seed = new_repo(root / "seed")
    bare = root / "served" / "server.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True,
                               check=True).stdout.strip()
    daemon = subprocess.Popen([f"{exec_path}/git-daemon", "--export-all", "--reuseaddr",
                               "--enable=receive-pack", f"--base-path={bare.parent}",
                               "--listen=127.0.0.1", f"--port={port}", str(bare.parent)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return daemon, f"git://127.0.0.1:{port}/server.git", bare


def clone(url: str, path: Path) -> Path:
    subprocess.run(["git", "clone", "-q", url, str(path)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com")):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    return path


def writer(args: tuple[Path, int, int, str | None, multiprocessing.synchronize.Barrier]
           ) -> list[tuple[int, float, str]]:
    """One machine: record and push ``runs`` runs; (attempts, seconds, error) per push."""
    repo, k, runs_count, name, barrier = args
    runs = Runs.open(repo)
    barrier.wait()
    out = []
    for i in range(runs_count):
        record(runs, "bench", f"w{k:02d}-r{i:03d}", metrics={"acc": i / 100},
               params={"writer": k}, capture_environment=False)
        started = time.perf_counter()
        try:
            done = push(runs, "origin", writer=name, retry=name is None)
            out.append((done.attempts, time.perf_counter() - started, ""))
        except Exception as exc:
            out.append((0, time.perf_counter() - started, str(exc)))
    return out


def on_server(bare: Path) -> int:
    listed = subprocess.run(["git", "-C", str(bare), "ls-tree", "-r", "--name-only",
                             "refs/heads/contexta/runs"], capture_output=True, text=True)
    return sum(p.endswith("/run.toml") for p in listed.stdout.split())


def together(root: Path, url: str, writers: int, runs: int, incoming: bool
             ) -> tuple[float, list[tuple[int, float, str]]]:
    repos = [clone(url, root / f"w{k:02d}") for k in range(writers)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(writers)
        jobs = [(repo, k, runs, f"w{k:02d}" if incoming else None, barrier)
                for k, repo in enumerate(repos)]
        started = time.perf_counter()
        with ctx.Pool(writers) as pool:
            results = pool.map(writer, jobs)
        wall = time.perf_counter() - started
    return wall, [r for rs in results for r in rs]


def report(label: str, wall: float, pushes: list[tuple[int, float, str]]) -> None:
    attempts = [a for a, _, e in pushes if not e]
    seconds = sorted(s for _, s, e in pushes if not e)
    failed = [e for _, _, e in pushes if e]
    print(f"{label}: {len(pushes)} pushes in {wall:.1f} s wall; failures {len(failed)}; "
          f"rejected at least once {sum(a > 1 for a in attempts)}; attempts per push "
          f"median {statistics.median(attempts):.0f}, max {max(attempts)}; seconds per push "
          f"median {statistics.median(seconds):.2f}, p95 {seconds[int(len(seconds) * .95)]:.2f}")
    for error in failed[:3]:
        print(f"  failure: {error}")


def ingest_alone(root: Path, url: str, bare: Path, total: int) -> None:
    per = 50
    count = max(1, total // per)
    for k in range(count):
        repo = clone(url, root / f"i{k:02d}")
        runs = Runs.open(repo)
        for i in range(per):
            record(runs, "bench", f"i{k:02d}-r{i:03d}", metrics={"acc": i / 100},
                   capture_environment=False)
        push(runs, "origin", writer=f"i{k:02d}")
    job = Runs.open(clone(url, root / "ingest-job"))
    before = on_server(bare)
    started = time.perf_counter()
    done = ingest(job, "origin")
    took = time.perf_counter() - started
    print(f"ingest (API): {on_server(bare) - before} incoming runs from {len(done.removed)} "
          f"writers' refs in {took:.2f} s (budget 10 s)")


def cycle(root: Path, url: str, repeat: int) -> None:
    repo = clone(url, root / "solo")
    runs = Runs.open(repo)
    api, cli = [], []
    for i in range(repeat):
        record(runs, "bench", f"solo-{i}", metrics={"acc": 0.5}, capture_environment=False)
        started = time.perf_counter()
        push(runs, "origin")
        api.append(time.perf_counter() - started)
        record(runs, "bench", f"solo-cli-{i}", metrics={"acc": 0.5}, capture_environment=False)
        started = time.perf_counter()
        subprocess.run([*contexta_cli(), "--repo", str(repo), "push"], check=True,
                       capture_output=True)
        cli.append(time.perf_counter() - started)
    print(f"per-push cycle, no contention: API {statistics.median(api) * 1000:.0f} ms, "
          f"CLI {statistics.median(cli) * 1000:.0f} ms (medians of {repeat}, one new run each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--runs", type=int, default=50, help="runs per writer")
    parser.add_argument("--ingest-runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20, help="pushes for the cycle time")
    args = parser.parse_args()
    print_setup("API: off (record(..., capture_environment=False): small runs, the push is "
                "what is measured)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for incoming in (False, True):
            base = root / ("writers" if incoming else "shared")
            base.mkdir()
            daemon, url, bare = serve(base)
            try:
                wall, pushes = together(base, url, args.writers, args.runs, incoming)
                label = "own refs (push --writer)" if incoming else "shared branch (push)"
                report(f"{label}, {args.writers} writers x {args.runs} runs", wall, pushes)
                if incoming:
                    started = time.perf_counter()
                    ingest(Runs.open(clone(url, base / "job")), "origin")
                    print(f"  then ingest: {time.perf_counter() - started:.2f} s")
                print(f"  runs on the server's contexta/runs: {on_server(bare)} "
                      f"(expected {args.writers * args.runs})")
                if not incoming:
                    cycle(base, url, args.repeat)
            finally:
                daemon.terminate()
                daemon.wait()
        base = root / "ingest"
        base.mkdir()
        daemon, url, bare = serve(base)
        try:
            ingest_alone(base, url, bare, args.ingest_runs)
        finally:
            daemon.terminate()
            daemon.wait()


if __name__ == "__main__":
    main()
