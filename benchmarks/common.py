"""Shared pieces of the benchmarks: synthetic but realistic runs, the raw-git baseline,
what each benchmark stubs or turns off, and the machine it ran on.

Two kinds of figure, always labelled: API is a call inside the benchmark's own Python
process (imports and start-up excluded); CLI is a new ``contexta-git`` process, started
as a user starts it, stdout piped.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pygit2

from contexta_git.record import capture
from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.git.branch import GC_EVERY
from contexta_git.store.runs import RunChange, Runs

# Measure writes, not background packing; every contexta-git process started here inherits it.
os.environ.setdefault("CONTEXTA_GIT_NO_GC", "1")


def packages(count: int = 300, variant: int = 0) -> dict[str, str]:
    """A 300-package environment; ``variant`` bumps a few versions (mostly repeating)."""
    return {f"package-{i:03d}": f"1.{i % 17}.{(i + variant) % 5 if i < 5 else 0}"
            for i in range(count)}


def lock_bytes(pkgs: dict[str, str]) -> bytes:
    return records.dumps({"lock-version": "1.0", "created-by": "contexta-git", "packages": [
        {"name": n, "version": v, "directory": {"path": "/venv/lib/site-packages"}}
        for n, v in pkgs.items()]})


def env_bytes(pkgs: dict[str, str]) -> bytes:
    env = capture.environment(pkgs)
    env.pop("gpu", None)
    return records.dumps(env)


def use_synthetic_environment(pkgs: dict[str, str]) -> None:
    """Make the recording API capture this environment instead of the machine's own."""
    env = env_bytes(pkgs)
    lock = lock_bytes(pkgs)
    capture.environment_record = lambda: env  # type: ignore[assignment]
    capture.lockfile = lambda cache=None: lock  # type: ignore[assignment]


class Environment(NamedTuple):
    """What the recording API writes as ``environment.toml`` and ``pylock.toml`` here."""

    env: bytes
    lock: bytes
    description: str


def add_environment_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--real-environment", action="store_true",
                        help="Capture this interpreter's real environment in the API too (default: "
                             "fixed 300-package bytes, use_synthetic_environment)")


def choose_environment(real: bool) -> Environment:
    """Stub environment capture in this process unless ``real``; say which in one line."""
    if real:
        count = len(capture.installed_versions())
        return Environment(capture.environment_record(), capture.lockfile(),
                           f"API: real capture in-process ({count} installed distributions, "
                           "--real-environment)")
    pkgs = packages()
    use_synthetic_environment(pkgs)
    return Environment(env_bytes(pkgs), lock_bytes(pkgs),
                       f"API: replaced by fixed {len(pkgs)}-package bytes "
                       "(use_synthetic_environment; --real-environment to capture for real)")


CLI_ENVIRONMENT = "CLI: real capture in every `contexta-git record` process (the stub is in-process only)"


# An installed package runs from cached bytecode; with PYTHONDONTWRITEBYTECODE set (some
# shells and CI images set it) every CLI process would compile its modules again, about
# 0.1 s each time. The benchmarks measure what users get, so they let the cache be written.
_NO_BYTECODE = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def print_setup(*environment: str) -> None:
    """The top of every benchmark's output: what is stubbed or turned off, and the machine."""
    value = os.environ.get("CONTEXTA_GIT_NO_GC")
    gc = (f"off (CONTEXTA_GIT_NO_GC={value}, inherited by every process started here; "
          "run with CONTEXTA_GIT_NO_GC= to turn it on)" if value else
          f"on (a background `git gc --auto` about once every {GC_EVERY} writes)")
    print("setup:")
    for line in environment:
        print(f"  environment capture, {line}")
    print(f"  background gc: {gc}")
    print("  bytecode: cached" + (" (PYTHONDONTWRITEBYTECODE was set: removed for these processes)"
                                  if _NO_BYTECODE else ""))
    print(f"  machine: {machine()}")
    print(flush=True)


def machine() -> str:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.split()[-1]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{os.cpu_count()} cores, load average {load} at start, {platform.system()} "
            f"{platform.machine()}, Python {platform.python_version()}, pygit2 {pygit2.__version__} "
            f"(libgit2 {pygit2.LIBGIT2_VERSION}), git {git}")


def contexta_cli() -> list[str]:
    """The command a user runs: the installed ``contexta-git`` script of this interpreter."""
    exe = Path(sys.executable).with_name("contexta-git")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "contexta_git"]


def cli(*args: str) -> bytes:
    """Run ``contexta-git ARGS`` as a new process, stdout piped; return what it printed."""
    return subprocess.run([*contexta_cli(), *args], check=True, capture_output=True).stdout


# ru_maxrss survives exec on Linux: a child started straight from this (large) process
# would report this process's peak. A small intermediate Python starts the CLI, so its
# RUSAGE_CHILDREN is the CLI's own peak, floored at the intermediate's ~10 MiB.
_PEAK = ("import resource, subprocess, sys\n"
         "subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=True)\n"
         "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
         "print(peak if sys.platform == 'darwin' else peak * 1024)\n")


def cli_peak_rss(*args: str) -> int:
    """Peak RSS in bytes of one ``contexta-git ARGS`` process, stdout piped."""
    out = subprocess.run([sys.executable, "-c", _PEAK, *contexta_cli(), *args],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def new_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com")):
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    (path / "train.py").write_text("print(1)\n")
    subprocess.run(["git", "-C", str(path), "add", "train.py"], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "init"], check=True)
    return path


def fill(repo: Path, count: int, project: str = "bench", batch: int = 500,
         metrics: int = 5, pkgs: dict[str, str] | None = None) -> None:
    """Put ``count`` runs on the branch quickly: many runs per commit."""
    runs = Runs.open(repo)
    env = env_bytes(pkgs or packages())
    lock = lock_bytes(pkgs or packages())
    done = 0
    while done < count:
        changes = []
        for i in range(done, min(count, done + batch)):
            change = RunChange(RunId(project, f"run-{i:06d}"), create=True, fresh_ids=True,
                               environment=env, lockfile=lock)
            change.header.update({"status": "completed", "started_at": stamp(i),
                                  "ended_at": stamp(i), "params": {"lr": 0.01 * (i % 7)}})
            for m in range(metrics):
                change.add("metrics.toml", {"id": f"{i}-{m}", "key": f"metric_{m}",
                                            "value": (i * 7 + m) % 1000 / 1000,
                                            "stage": "evaluate"})
            change.add("events.toml", {"id": f"{i}-e", "key": "note", "message": "filled"})
            changes.append(change)
        runs.apply(changes, f"fill {len(changes)} runs")
        done += len(changes)


def stamp(i: int) -> str:
    return f"2025-{1 + i // 100000 % 12:02d}-{1 + i // 4000 % 28:02d}T{i // 200 % 24:02d}:" \
           f"{i // 4 % 60:02d}:{i % 60:02d}Z"


def median_seconds(action: Callable[[int], object], repeat: int) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_commit(repo: pygit2.Repository, ref: str, path: str, files: dict[str, bytes]) -> None:
    """The physical baseline: blobs, the trees on the path, one commit, one ref update."""
    parent = repo.references[ref].target
    base = repo[parent].peel(pygit2.Tree)
    parts = path.split("/")
    leaf = repo.TreeBuilder()
    for name, data in files.items():
        leaf.insert(name, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
    oid = leaf.write()
    trees = [base]
    for part in parts[:-1]:
        current = trees[-1]
        trees.append(repo[current[part].id] if current is not None and part in current else None)
    for depth in range(len(parts) - 1, -1, -1):
        builder = repo.TreeBuilder(trees[depth]) if trees[depth] is not None else repo.TreeBuilder()
        builder.insert(parts[depth], oid, pygit2.GIT_FILEMODE_TREE)
        oid = builder.write()
    sig = pygit2.Signature("Bench", "bench@example.com")
    commit = repo.create_commit(None, sig, sig, "raw", oid, [parent])
    repo.references[ref].set_target(commit)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
