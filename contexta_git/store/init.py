"""Create the runs branch explicitly (the first recorded run creates it too)."""

from __future__ import annotations

from contexta_git.store.runs import Runs


def init(runs: Runs) -> tuple[bool, str]:
    """Make sure contexta/runs exists; returns (created now, tip commit)."""
    tip = runs.store.tip()
    if tip is not None:
        runs.view(tip)  # raises ForeignBranch when the branch is not ours
        return False, tip
    created = runs.store.commit(lambda view: {}, "init contexta/runs")
    return True, created or runs.store.tip() or ""
