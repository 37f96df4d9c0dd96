"""Clones see the runs: track a remote's contexta/runs, and notice a clone that has not.

``git clone`` fetches ``refs/heads/*``, so a clone holds the remote's runs as
``refs/remotes/<remote>/contexta/runs`` but no local contexta/runs until ``pull``
merges them; a ``--single-branch`` clone (CI's default shallow checkouts) has
neither. ``track`` adds the runs branch to the remote's fetch refspecs when they do not
already cover it, so that every ``git fetch`` brings it, then pulls once.
"""

from __future__ import annotations

from dataclasses import dataclass

from contexta_git.core.names import BRANCH
from contexta_git.git.process import config_values
from contexta_git.git.repo import GitStore, git
from contexta_git.share.sync import PullResult, _cwd, _refs, pull, tracking_ref
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class TrackResult:
    remote: str
    refspec: str
    added: bool  # False: the remote's fetch refspecs already brought contexta/runs
    pulled: PullResult


def track(runs: Runs, remote: str = "origin") -> TrackResult:
    """Make ``git fetch REMOTE`` bring contexta/runs, then pull it into the local branch."""
    store = runs.store
    spec = f"+{BRANCH}:{tracking_ref(remote)}"
    key = f"remote.{remote}.fetch"
    present = config_values(store.common_dir, key)
    covered = spec in present or f"+refs/heads/*:refs/remotes/{remote}/*" in present
    pulled = pull(runs, remote)  # checks the remote exists before anything is configured
    if not covered:
        git(["config", "--add", key, spec], cwd=_cwd(store), check=True)
    return TrackResult(remote, spec, not covered, pulled)


def remote_copies(store: GitStore) -> list[str]:
    """Remotes whose contexta/runs this clone fetched (``refs/remotes/<r>/contexta/runs``)."""
    found = _refs(store, "refs/remotes/")
    return sorted(name.removesuffix("/contexta/runs") for name in found
                  if name.endswith("/contexta/runs") and name.count("/") == 2)
