"""Writers that never contend: each pushes to its own ref, one job merges them all.

A writer (``push --writer NAME``, or ``git config contexta.writer NAME``) pushes its
contexta/runs to ``refs/contexta/incoming/<writer>`` on the remote, a ref nobody else
moves, so its push is never refused for a race. ``ingest`` (one scheduled job) pulls,
which fetches the branch and every incoming ref and merges them all (store/merge.py),
pushes the result to contexta/runs (retrying like any push), and then deletes each
incoming ref it merged, only if that ref still names the commit merged (a writer that
pushed again meanwhile keeps its ref for the next ingest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contexta_git.core.names import INCOMING_PREFIX
from contexta_git.git.repo import git
from contexta_git.share.sync import (
    DEADLINE, PullResult, PushResult, _cwd, _fail_unless_ok, _refs, incoming_copy, pull, push)
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class IngestResult:
    remote: str
    pulled: PullResult
    pushed: PushResult | None  # None: nothing to push (no runs at all)
    removed: tuple[str, ...]  # writers whose incoming ref was merged and deleted
    kept: tuple[str, ...]  # writers whose ref moved after the merge: left for next time


def ingest(runs: Runs, remote: str = "origin", *, deadline: float = DEADLINE,
           progress: Callable[[int, int | None, str], None] | None = None) -> IngestResult:
    """Merge every ``refs/contexta/incoming/*`` of ``remote`` into its contexta/runs."""
    store = runs.store
    pulled = pull(runs, remote, progress=progress)
    if store.tip() is None:
        return IngestResult(remote, pulled, None, (), ())
    pushed = push(runs, remote, deadline=deadline, progress=progress)
    merged = {name: oid for name, oid in _refs(store, incoming_copy(remote)).items()
              if store.merge_base(oid, pushed.tip) == oid}
    if not merged:
        return IngestResult(remote, pulled, pushed, (), ())
    leases = [f"--force-with-lease={INCOMING_PREFIX}{n}:{oid}" for n, oid in merged.items()]
    deleted = git(["push", "--porcelain", "--no-verify", *leases, remote,
                   *(f":{INCOMING_PREFIX}{n}" for n in merged)], cwd=_cwd(store))
    lines = deleted.stdout.decode(errors="replace").splitlines()
    kept = tuple(sorted(n for n in merged
                        if any(ln.startswith("!") and f":{INCOMING_PREFIX}{n}\t" in ln
                               for ln in lines)))
    if deleted.returncode != 0 and not kept:
        _fail_unless_ok(deleted, "push")
    return IngestResult(remote, pulled, pushed, tuple(sorted(set(merged) - set(kept))), kept)
