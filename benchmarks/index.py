"""The listing paths a user runs, and what recording costs them, at large run counts.

    python benchmarks/index.py [--sizes 100,10000,100000] [--keep DIR] [--skip-cold]

For each size it builds a repository with `git fast-import` (5-20 metrics, 1-3 events,
params, 300-package environments; see build.py), packs it, and measures, each a new
`contexta-git` process with stdout piped (CLI), medians of 3 with peak RSS:

- the first listing after a fresh clone (`git clone` + fetch of contexta/runs, then
  `runs --limit 50`): the index is built from every run folder;
- warm: `runs` (the table, piped), `runs --json`, `runs --limit 50`, `best METRIC`;
- after one more run is recorded: `runs --limit 50` (the index follows one tree diff);
- the post-commit hook: `git commit` wall time in a working tree whose hook records a run
  (environment capture off) into the same branch, so its cost can be compared across sizes.

--keep DIR keeps the built repositories there and reuses them on the next call.
The output starts with the machine and its load average, as every benchmark does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from build import PROJECT, fast_import
from common import cli, cli_peak_rss, contexta_cli, new_repo, print_setup, table

METRIC = "metric_04"


def built(root: Path, size: int) -> Path:
    repo = root / f"runs-{size}"
    if (root / f"runs-{size}.built").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    new_repo(repo)
    fast_import(repo, 0, size, per_commit=1000)
    subprocess.run(["git", "-C", str(repo), "gc", "-q"], check=True)
    (root / f"runs-{size}.built").write_text("")
    return repo


def timed(*args: str, repeat: int = 3) -> tuple[float, float]:
    """(median seconds, peak MiB) of ``contexta-git ARGS``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        cli(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), cli_peak_rss(*args) / 2**20


def cold_after_clone(repo: Path, root: Path) -> tuple[float, float]:
    """Seconds and peak MiB of the first `runs --limit 50` in a fresh clone (one run,
    started through the small peak-measuring Python: about 20 ms more)."""
    clone = root / f"clone-{repo.name}"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "origin",
                    "contexta/runs:contexta/runs"], check=True)
    start = time.perf_counter()
    peak = cli_peak_rss("--repo", str(clone), "runs", "--limit", "50") / 2**20
    cold = time.perf_counter() - start
    shutil.rmtree(clone)
    return cold, peak


def hook_commits(repo: Path, count: int = 5) -> float:
    """Median `git commit` wall time with the post-commit hook recording a run."""
    from contexta_git.git.repo import GitStore
    from contexta_git.share.hooks import install, uninstall

    store = GitStore(repo)
    install(store)
    (repo / "pyproject.toml").write_text(f'[tool.contexta-git]\nproject = "{PROJECT}"\n'
                                         'metrics = ["metrics.json"]\nenvironment = false\n')
    times = []
    try:
        for i in range(count):
            (repo / "metrics.json").write_text(f'{{"acc": 0.{i + 1}}}')
            (repo / "model.py").write_text(f"# {time.time()} {i}\n")
            subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
            start = time.perf_counter()
            subprocess.run(["git", "-C", str(repo), "commit", "-qm", f"change {i}"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - start)
    finally:
        uninstall(store)
    return statistics.median(times)


def measure(root: Path, size: int, skip_cold: bool) -> dict[str, str]:
    started = time.perf_counter()
    repo = built(root, size)
    row = {"runs": f"{size:,}", "build s": f"{time.perf_counter() - started:.0f}"}
    at = ("--repo", str(repo))
    if not skip_cold:
        cold, peak = cold_after_clone(repo, root)
        row.update({"clone: first runs --limit 50 s": f"{cold:.1f}", "(peak MiB)": f"{peak:.0f}"})
    cli(*at, "runs", "--limit", "1")  # the index is warm from here on
    for label, args in (("runs", ("runs",)), ("runs --json", ("runs", "--json")),
                        ("runs --limit 50", ("runs", "--limit", "50")),
                        (f"best {METRIC}", ("best", METRIC))):
        seconds, peak = timed(*at, *args)
        row[f"{label} s"] = f"{seconds:.2f}"
        row[f"{label} MiB"] = f"{peak:.0f}"
    cli(*at, "record", "-p", PROJECT, "-n", f"extra-{time.time_ns()}", "--metric", f"{METRIC}=0.5",
        "--no-environment")
    start = time.perf_counter()
    cli(*at, "runs", "--limit", "50")
    row["after 1 record: runs --limit 50 s"] = f"{time.perf_counter() - start:.2f}"
    row["hook commit ms"] = f"{hook_commits(repo) * 1000:.0f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the repositories here")
    parser.add_argument("--skip-cold", action="store_true", help="skip the fresh-clone listing")
    args = parser.parse_args()
    print_setup("CLI: off (record --no-environment, hook environment = false)")
    with tempfile.TemporaryDirectory(prefix="contexta-bench-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        home = Path(tmp) / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = bench@example.com\n")
        os.environ.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1",
                          GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
        rows = []
        for size in (int(s) for s in args.sizes.split(",")):
            rows.append(measure(root, size, args.skip_cold))
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"measured {size:,} runs (load average {load})", file=sys.stderr, flush=True)
    header = list(rows[0])
    print(table([[r.get(h, "") for h in header] for r in rows], header))
    print(f"CLI: {' '.join(contexta_cli())}; load average at the end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
