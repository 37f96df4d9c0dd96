"""Time a `git commit` with and without the post-commit hook (hermetic temp repository).

Usage: python benchmarks/hook.py [COMMITS]   (default 10 per case)
Prints the median wall time of `git commit` for: no hook, hook with nothing configured
(the fast path), hook recording a run without and with environment capture. Every
figure is CLI: a new `git commit` process, which starts the hook as its own process.
Environment capture is real (the machine's own packages); background gc is off.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import print_setup

from contexta_git.git.repo import GitStore
from contexta_git.share.hooks import install, uninstall


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def timed_commits(repo: Path, count: int, tag: str) -> float:
    times = []
    for i in range(count):
        (repo / "metrics.json").write_text(f'{{"acc": 0.{i + 1}}}')
        (repo / "model.py").write_text(f"# {tag} {i}\n")
        git(repo, "add", "metrics.json", "model.py")
        start = time.perf_counter()
        git(repo, "commit", "-q", "-m", f"{tag} {i}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = b@example.com\n")
        os.environ.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1",
                          GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), CONTEXTA_GIT_NO_GC="1")
        print_setup("CLI: real capture in the hook's own process ('with environment' case), "
                    "off in the others")
        repo = Path(tmp) / "repo"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        store = GitStore(repo)
        results = {"no hook": timed_commits(repo, count, "plain")}
        install(store)
        results["hook, not configured"] = timed_commits(repo, count, "fast")
        (repo / "pyproject.toml").write_text(
            '[tool.contexta-git]\nproject = "bench"\nmetrics = ["metrics.json"]\n'
            "environment = false\n")
        results["hook, recording (no environment)"] = timed_commits(repo, count, "noenv")
        (repo / "pyproject.toml").write_text(
            '[tool.contexta-git]\nproject = "bench"\nmetrics = ["metrics.json"]\n')
        results["hook, recording (with environment)"] = timed_commits(repo, count, "env")
        uninstall(store)
    base = results["no hook"]
    print(f"CLI: `git commit` wall time, median of {count}")
    for name, value in results.items():
        print(f"{name:38s} {value * 1000:7.1f} ms  (+{(value - base) * 1000:6.1f} ms)")


if __name__ == "__main__":
    main()
