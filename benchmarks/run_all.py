"""Every performance number in one place, each labelled API or CLI, next to git's own limit.

    python benchmarks/run_all.py [--sizes 100,1000,10000,100000] [--repeat 15] [--no-peers]
                                 [--real-environment]

For each size it builds a repository of that many runs with `git fast-import`
(5-20 metrics, 1-3 events, params, 300-package environments that change every 50
runs), then prints three tables of medians:

- API: calls inside this Python process, imports and start-up excluded: record one
  run, list runs (index cold and warm), list with every run's metrics, best, diff,
  gate, certify (SSH-signed), verify; peak RSS of a fresh Python process listing
  every run through the API.
- CLI: a new `contexta-git` process per call, as a user runs it, stdout piped:
  `record`, `runs` (the table), `runs --json`, `best METRIC`; peak RSS of the
  `runs --json` process.
- git: a bare pygit2 commit of the same files, git fast-import ingesting one-run
  commits, the repository's size before and after `git gc`.

Peers, when installed, are compared like with like (see peers.py). The output starts
with what is stubbed or turned off, and the machine.
"""

from __future__ import annotations

import argparse
import json
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
    CLI_ENVIRONMENT, Environment, add_environment_option, choose_environment, cli, cli_peak_rss,
    contexta_cli, median_seconds, new_repo, print_setup, raw_commit, table,
)

from contexta_git.analysis.listing import list_runs, run_summaries
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

METRICS = peers.METRICS
PARAMS = peers.PARAMS
POLICY = "[metrics.metric_04]\nmin = 0.01\nstage = \"evaluate\"\n" \
         "[metrics.metric_03]\nmin = 0.01\n"
GROUPS = (
    ("API: calls inside this Python process (imports excluded), medians", "API "),
    ("CLI: a new `contexta-git` process per call, as a user runs it (stdout piped), medians", "CLI "),
    ("git: its own limit for the same writes, and the repository on disk", "git "),
)


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
    """Peak RSS in bytes of a fresh Python process that lists every run through the API.

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


def api_reads(runs: Runs, repo: Path, size: int) -> dict[str, str]:
    shutil.rmtree(repo / ".git" / "contexta", ignore_errors=True)
    start = time.perf_counter()
    listed = list_runs(runs, PROJECT, quarantined=None)
    cold = time.perf_counter() - start
    assert len(listed) == size, (len(listed), size)
    return {
        "API list cold ms": ms(cold),
        "API list ms": ms(median_seconds(lambda i: list_runs(runs, PROJECT, quarantined=None), 3)),
        "API list+metrics ms": ms(median_seconds(
            lambda i: sum(len(s.metrics) for s in run_summaries(runs.view(), PROJECT, detail=True)),
            3)),
        "API list peak MiB, new process": mib(peak_rss_listing(repo)),
    }


def cli_reads(repo: Path, size: int) -> dict[str, str]:
    """The listing paths users run; `runs` loads every run's metrics, like list+metrics."""
    at = ("--repo", str(repo))
    assert len(json.loads(cli(*at, "runs", "-p", PROJECT, "--json"))) == size
    return {
        "CLI runs ms": ms(median_seconds(lambda i: cli(*at, "runs", "-p", PROJECT), 3)),
        "CLI runs --json ms": ms(median_seconds(
            lambda i: cli(*at, "runs", "-p", PROJECT, "--json"), 3)),
        "CLI best ms": ms(median_seconds(lambda i: cli(*at, "best", "-p", PROJECT, "metric_04"), 3)),
        "CLI runs --json peak MiB": mib(cli_peak_rss(*at, "runs", "-p", PROJECT, "--json")),
    }


def api_analysis(runs: Runs, a: str, b: str, repeat: int) -> dict[str, str]:
    from contexta_git.analysis.compare import compare_runs
    from contexta_git.analysis.environments import compare_environments
    from contexta_git.analysis.select import select_best_run
    from contexta_git.release.gate import gate
    from contexta_git.release.policy import parse_policy

    policy = parse_policy(POLICY)
    return {
        "API best ms": ms(median_seconds(
            lambda i: select_best_run(runs, None, "metric_04", project=PROJECT), 3)),
        "API diff ms": ms(median_seconds(
            lambda i: (compare_runs(runs, a, b), compare_environments(runs, a, b)), repeat)),
        "API gate ms": ms(median_seconds(lambda i: gate(runs, a, policy), repeat)),
    }


def writes(runs: Runs, repo: Path, size: int, repeat: int, environment: Environment) -> dict[str, str]:
    api = median_seconds(lambda i: record(runs, PROJECT, f"api-{i}", metrics=METRICS, params=PARAMS,
                                          events={"note": "bench"}), repeat)
    files = {**run_files(size + 1), "environment.toml": environment.env,
             "pylock.toml": environment.lock}
    raw_repo = pygit2.Repository(str(repo))
    raw = median_seconds(lambda i: raw_commit(raw_repo, "refs/heads/contexta/runs",
                                              RunId(PROJECT, f"raw-{i}").path, files), repeat)
    options = [*(f"--metric={k}={v}" for k, v in METRICS.items()),
               *(f"--param={k}={v}" for k, v in PARAMS.items()), "--event=note=bench"]
    cli_record = median_seconds(lambda i: cli("--repo", str(repo), "record", "-p", PROJECT,
                                              "-n", f"cli-{i}", *options), 3)
    per_commit = 200
    fi = fast_import(repo, 10 * size + 10, per_commit, per_commit=1) / per_commit
    return {"API record ms": ms(api), "API record/git raw": f"{api / raw:.2f}x",
            "CLI record ms": ms(cli_record), "git raw commit ms": ms(raw),
            "git fast-import ms": ms(fi)}


def release(runs: Runs, root: Path, repo: Path, run: str) -> dict[str, str]:
    from contexta_git.release.certify import certify
    from contexta_git.release.policy import parse_policy
    from contexta_git.release.verify import verify

    signing_key(root, repo)
    policy = parse_policy(POLICY)
    counter = iter(range(10**6))
    return {
        "API certify ms": ms(median_seconds(lambda i: certify(
            runs, run, policy, client="Bench", model="m", cert_id=f"c{next(counter)}"), 5)),
        "API verify ms": ms(median_seconds(lambda i: verify(runs, f"c{i}"), 5)),
    }


def measure(size: int, root: Path, repeat: int, environment: Environment) -> dict[str, str]:
    repo = new_repo(root / f"runs-{size}")
    built = time.perf_counter()
    fast_import(repo, 0, size, per_commit=1000)
    row = {"runs": f"{size:,}", "git build s": f"{time.perf_counter() - built:.1f}"}
    runs = Runs.open(repo)
    row.update(api_reads(runs, repo, size))
    row.update(cli_reads(repo, size))
    a, b = f"{PROJECT}.run-{size - 1:06d}", f"{PROJECT}.run-{max(0, size - 60):06d}"
    row.update(api_analysis(runs, a, b, repeat))
    row.update(writes(runs, repo, size, repeat, environment))
    row.update(release(runs, root, repo, a))
    row["git MiB"] = mib(disk(repo))
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=True)
    row["git MiB after gc"] = mib(disk(repo))
    return row


def report(rows: list[dict[str, str]]) -> None:
    for title, prefix in GROUPS:
        header = ["runs", *(k for k in rows[0] if k.startswith(prefix))]
        print(f"\n{title}")
        print(table([[r[h] for h in header] for r in rows], header))
    first, last = rows[0], rows[-1]
    flat = float(last["API record ms"]) / float(first["API record ms"])
    print(f"\nAPI record at {last['runs']} vs {first['runs']} runs: {flat:.2f}x (goal within 1.5x)")
    api_peak, cli_peak = last["API list peak MiB, new process"], last["CLI runs --json peak MiB"]
    print(f"peak RSS listing {last['runs']} runs: API {api_peak} MiB (a new Python process calling "
          f"list_runs), CLI `runs --json` {cli_peak} MiB (goal < 500 MiB)")
    start = time.perf_counter()
    subprocess.run([*contexta_cli(), "--help"], check=True, capture_output=True)
    print(f"CLI start (contexta-git --help): {(time.perf_counter() - start) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-peers", action="store_true")
    add_environment_option(parser)
    args = parser.parse_args()
    environment = choose_environment(args.real_environment)
    print_setup(environment.description, CLI_ENVIRONMENT)
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
            rows.append(measure(size, root, args.repeat, environment))
            print(f"measured {size:,} runs", file=sys.stderr, flush=True)
        report(rows)
        if not args.no_peers:
            peers.compare(root, [s for s in sizes if s <= 1000], args.repeat, rows)
    print(f"\npeak RSS of this benchmark process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
