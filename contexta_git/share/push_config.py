"""How this clone pushes: interval, deadline and writer, from the command line, the
repository's ``[tool.contexta-git]`` table and git's configuration, in that order.

    [tool.contexta-git]
    push-every = "10m"      # at most one push per 10 minutes; the others are queued
    push-deadline = "2m"    # how long a push keeps retrying against a moving remote

The writer is per machine, so it lives in git's configuration, not in the shared file:
``git config contexta.writer gpu-node-07`` makes every push of this clone go to
``refs/contexta/incoming/gpu-node-07`` (see ingest.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from contexta_git.core.names import check_writer
from contexta_git.core.time import parse_duration
from contexta_git.git.process import config_value
from contexta_git.git.repo import GitStore
from contexta_git.share.hook_config import load_table
from contexta_git.share.sync import DEADLINE


@dataclass(frozen=True)
class PushConfig:
    every: float | None = None  # seconds between pushes; None: push every time
    deadline: float = DEADLINE
    writer: str | None = None


def push_config(store: GitStore, every: str | None = None, deadline: str | None = None,
                writer: str | None = None) -> PushConfig:
    """The settings in force: each given argument wins over the files."""
    table = (load_table(store.workdir) if store.workdir else None) or {}
    every = every if every is not None else table.get("push-every")
    deadline = deadline if deadline is not None else table.get("push-deadline")
    writer = writer if writer is not None else config_value(store.common_dir, "contexta.writer")
    return PushConfig(
        parse_duration(every, "push interval") if every is not None else None,
        parse_duration(deadline, "push deadline") if deadline is not None else DEADLINE,
        check_writer(writer) if writer else None)
