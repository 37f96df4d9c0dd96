"""Build benchmark repositories with `git fast-import`, and time it as git's own limit.

The runs are realistic: 5 to 20 metrics, 1 to 3 events, params, a 300-package
environment and lockfile that change every 50 runs (so most runs share blobs).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from common import env_bytes, lock_bytes, packages, stamp

from contexta_git.core import records
from contexta_git.core.names import RunId

PROJECT = "bench"


def run_files(i: int) -> dict[str, bytes]:
    metrics = [{"id": f"m{i}-{k}", "key": f"metric_{k:02d}", "value": ((i * 31 + k * 7) % 1000) / 1000,
                "stage": "evaluate" if k % 3 else "train", "observed_at": stamp(i)}
               for k in range(5 + i % 16)]
    events = [{"id": f"e{i}-{k}", "key": "data.checked" if k else "note", "level": "info",
               "message": f"event {k} of run {i}", "observed_at": stamp(i)} for k in range(1 + i % 3)]
    return {
        "run.toml": records.dumps({"status": "completed", "started_at": stamp(i),
                                   "ended_at": stamp(i), "project": PROJECT,
                                   "name": f"run-{i:06d}",
                                   "params": {"lr": 0.001 * (1 + i % 9), "seed": i % 5,
                                              "batch_size": 32 << (i % 3)},
                                   "source": {"commit": f"{i:040x}", "dirty": False}}),
        "stages.toml": records.dumps({"stages": [{"name": "train", "status": "completed", "order": 0},
                                                 {"name": "evaluate", "status": "completed",
                                                  "order": 1}]}),
        "metrics.toml": records.dumps({"metrics": metrics}),
        "events.toml": records.dumps({"events": events}),
    }


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def stream(start: int, count: int, per_commit: int, parent: str | None) -> Iterator[bytes]:
    """A fast-import stream adding runs start..start+count, ``per_commit`` runs a commit."""
    variants = {}
    mark = 0
    for variant in range((start + count) // 50 + 1):
        if variant * 50 + 49 < start:
            continue
        pkgs = packages(300, variant)
        mark += 2
        variants[variant] = (mark - 1, mark)
        yield b"blob\nmark :%d\n" % (mark - 1) + _data(env_bytes(pkgs))
        yield b"blob\nmark :%d\n" % mark + _data(lock_bytes(pkgs))
    first = True
    for begin in range(start, start + count, per_commit):
        end = min(start + count, begin + per_commit)
        head = b"commit refs/heads/contexta/runs\ncommitter Bench <bench@example.com> %d +0000\n" % (
            1700000000 + begin)
        head += _data(b"record %d runs" % (end - begin))
        if first and parent:
            head += b"from %s\n" % parent.encode()
        if first and start == 0:
            head += b"M 100644 inline FORMAT\n" + _data(b"contexta-git/1\n")
            head += b"M 100644 inline projects/%s/project.toml\n" % PROJECT.encode()
            head += _data(records.dumps({"name": PROJECT}))
        first = False
        parts = [head]
        for i in range(begin, end):
            path = RunId(PROJECT, f"run-{i:06d}").path.encode()
            env_mark, lock_mark = variants[i // 50]
            parts.append(b"M 100644 :%d %s/environment.toml\n" % (env_mark, path))
            parts.append(b"M 100644 :%d %s/pylock.toml\n" % (lock_mark, path))
            for name, payload in run_files(i).items():
                parts.append(b"M 100644 inline %s/%s\n" % (path, name.encode()) + _data(payload))
        yield b"".join(parts) + b"\n"


def fast_import(repo: Path, start: int, count: int, per_commit: int) -> float:
    """Add runs with git fast-import; returns the seconds git took (generation excluded)."""
    parent = subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify",
                             "refs/heads/contexta/runs"], capture_output=True, text=True).stdout.strip()
    payload = b"".join(stream(start, count, per_commit, parent or None))
    began = time.perf_counter()
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=payload, check=True)
    return time.perf_counter() - began
