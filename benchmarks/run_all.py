"""Every performance number in one table, next to git's own limit and the peers.

    python benchmarks/run_all.py [--sizes 100,1000,10000,100000] [--repeat 15] [--no-peers]

For each size it builds a repository of that many runs with `git fast-import`
(5-20 metrics, 1-3 events, params, 300-package environments that change every 50
runs), then measures medians of: recording one run through the API and the CLI, a
bare pygit2 commit of the same files, git fast-import ingesting one-run commits,
listing runs (index cold and warm), loading every run's metrics, diffing two runs,
selecting the best run, gate, certify (SSH-signed) and verify; repository size
before and after `git gc`; peak memory while listing. Peers (MLflow with SQLite,
DVC experiments) are measured when installed, at the smaller sizes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pygit2

sys.path.insert(0, str(Path(__file__).parent))
import peers
from build import PROJECT, fast_import, run_files
from common import (
    env_bytes, lock_bytes, median_seconds, new_repo, packages, raw_commit, table,
    use_synthetic_environment,
)

from contexta_git.analysis.listing import list_runs, run_summaries
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

METRICS = {f"metric_{k:02d}": k / 100 for k in range(10)}
POLICY = "[metrics.metric_04]\nmin = 0.01\nstage = \"evaluate\"\n" \
         "[metrics.metric_03]\nmin = 0.01\n"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def mib(size: int) -> str:
    return f"{size / 2**20:.1f}"


def disk(repo: Path) -> int:
    out = subprocess.run(["git", "-C", str(repo), "count-objects", "-v"], capture_output=True,
                         text=True, check=True).stdout
    sizes = dict(line.split(": ") for line in out.splitlines())
    return (int(sizes["size"]) + int(sizes["size-pack"])) * 1024


def signing_key(root: Path, repo: Path) -> None:
    key = root / "bench_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    allowed = root / "allowed_signers"
    allowed.write_text(f"bench@example.com {(root / 'bench_key.pub').read_text()}")
    for name, value in (("gpg.format", "ssh"), ("user.signingKey", str(key)),
                        ("gpg.ssh.allowedSignersFile", str(allowed))):
        subprocess.run(["git", "-C", str(repo), "config", name, value], check=True)


def peak_rss_listing(repo: Path) -> int:
    """Peak RSS in bytes of a fresh process that lists every run (index warm).

    Read from VmHWM: on Linux ``ru_maxrss`` survives exec, so a child started by this
    (large) benchmark process would report the parent's peak instead of its own.
    """
    code = ("from contexta_git.store.runs import Runs\nfrom contexta_git.analysis.listing import list_runs\n"
            f"list_runs(Runs.open({str(repo)!r}), quarantined=None)\n"
            "import resource\ntry:\n"
            "    status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
            "    print(int(status.split()[0]) * 1024)\n"
            "except (OSError, IndexError):\n"
            "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def contexta_cli() -> list[str]:
    exe = Path(sys.executable).with_name("contexta-git")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "contexta_git"]


def measure(size: int, root: Path, repeat: int) -> dict[str, str]:
    from contexta_git.release.certify import certify
    from contexta_git.analysis.compare import compare_runs
    from contexta_git.analysis.environments import compare_environments
    from contexta_git.release.gate import gate
    from contexta_git.release.policy import parse_policy
    from contexta_git.analysis.select import select_best_run
    from contexta_git.release.verify import verify

    repo = new_repo(root / f"runs-{size}")
    built = time.perf_counter()
    fast_import(repo, 0, size, per_commit=1000)
    build_s = time.perf_counter() - built
    row: dict[str, str] = {"runs": f"{size:,}", "build s": f"{build_s:.1f}"}
    runs = Runs.open(repo)
    cache = repo / ".git" / "contexta"

    shutil.rmtree(cache, ignore_errors=True)
    start = time.perf_counter()
    listed = list_runs(runs, PROJECT, quarantined=None)
    row["list cold ms"] = ms(time.perf_counter() - start)
    assert len(listed) == size, (len(listed), size)
    row["list ms"] = ms(median_seconds(lambda i: list_runs(runs, PROJECT, quarantined=None), 3))
    row["metrics ms"] = ms(median_seconds(
        lambda i: sum(len(s.metrics) for s in run_summaries(runs.view(), PROJECT, detail=True)), 3))
    row["peak MiB"] = mib(peak_rss_listing(repo))

    a, b = f"{PROJECT}.run-{size - 1:06d}", f"{PROJECT}.run-{max(0, size - 60):06d}"
    row["diff ms"] = ms(median_seconds(
        lambda i: (compare_runs(runs, a, b), compare_environments(runs, a, b)), repeat))
    row["best ms"] = ms(median_seconds(
        lambda i: select_best_run(runs, None, "metric_04", project=PROJECT), 3))
    policy = parse_policy(POLICY)
    row["gate ms"] = ms(median_seconds(lambda i: gate(runs, a, policy), repeat))

    api = median_seconds(lambda i: record(runs, PROJECT, f"api-{i}", metrics=METRICS,
                                          params={"lr": 0.01}, events={"note": "bench"}), repeat)
    files = {**run_files(size + 1), "environment.toml": env_bytes(packages()),
             "pylock.toml": lock_bytes(packages())}
    raw_repo = pygit2.Repository(str(repo))
    raw = median_seconds(lambda i: raw_commit(raw_repo, "refs/heads/contexta/runs",
                                              RunId(PROJECT, f"raw-{i}").path, files), repeat)
    cli = median_seconds(lambda i: subprocess.run(
        [*contexta_cli(), "--repo", str(repo), "record", "-p", PROJECT, "-n", f"cli-{i}",
         *[f"--metric={k}={v}" for k, v in METRICS.items()]], check=True, capture_output=True), 3)
    per_commit = 200
    fi = fast_import(repo, 10 * size + 10, per_commit, per_commit=1) / per_commit
    row.update({"record ms": ms(api), "raw ms": ms(raw), "record/raw": f"{api / raw:.2f}x",
                "cli ms": ms(cli), "fast-import ms": ms(fi)})

    signing_key(root, repo)
    counter = iter(range(10**6))
    row["certify ms"] = ms(median_seconds(lambda i: certify(
        runs, a, policy, client="Bench", model="m", cert_id=f"c{next(counter)}"), 5))
    row["verify ms"] = ms(median_seconds(lambda i: verify(runs, f"c{i}"), 5))

    row["size MiB"] = mib(disk(repo))
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=True)
    row["gc MiB"] = mib(disk(repo))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CONTEXTA_GIT_NO_GC", "1")
    use_synthetic_environment(packages())
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="contexta-bench-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
        os.environ.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1",
                          GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
        for size in sizes:
            rows.append(measure(size, root, args.repeat))
            print(f"measured {size:,} runs", file=sys.stderr, flush=True)
        first, last = rows[0], rows[-1]
        header = list(rows[0])
        print(table([[r[h] for h in header] for r in rows], header))
        flat = float(last["record ms"]) / float(first["record ms"])
        print(f"\nrecording at {last['runs']} vs {first['runs']} runs: {flat:.2f}x (goal within 1.5x)")
        print(f"peak RSS listing {last['runs']} runs: {last['peak MiB']} MiB (goal < 500 MiB)")
        start = time.perf_counter()
        subprocess.run([*contexta_cli(), "--help"], check=True, capture_output=True)
        print(f"CLI start (contexta-git --help): {(time.perf_counter() - start) * 1000:.0f} ms")
        if not args.no_peers:
            peer_rows(root, [s for s in sizes if s <= 1000], args.repeat, rows)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"pygit2 {pygit2.__version__} (libgit2 {pygit2.LIBGIT2_VERSION}), "
          f"peak RSS of this benchmark {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


def peer_rows(root: Path, sizes: list[str | int], repeat: int, ours: list[dict[str, str]]) -> None:
    by_size = {r["runs"]: r for r in ours}
    rows = []
    for size in sizes:
        mine = by_size[f"{int(size):,}"]
        ml = peers.mlflow(root / f"mlflow-{size}", int(size), repeat)
        if ml:
            rows.append(["MLflow (SQLite)", f"{int(size):,}", ms(ml["record"]), ms(ml["list"]),
                         f"{ml['record'] * 1000 / float(mine['record ms']):.1f}x"])
    dvc_count = 10
    dv = peers.dvc(root / "dvc", dvc_count, 3)
    if dv:
        rows.append(["DVC experiments", f"{dvc_count}", ms(dv["record"]), ms(dv["list"]),
                     f"{dv['record'] * 1000 / float(ours[0]['record ms']):.1f}x"])
    if rows:
        print("\nPeers: record one run (10 metrics, 3 params) and list/search all runs")
        print(table(rows, ["peer", "runs", "record ms", "list ms", "record vs contexta-git"]))
    else:
        print("\nPeers: none installed (pip install 'contexta-git[bench]')")


if __name__ == "__main__":
    main()
