"""Remove runs from the tip of contexta/runs; git history keeps them until it is rewritten."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contexta_git.errors import InvalidValue, RunNotFound
from contexta_git.git.repo import View
from contexta_git.store import quarantines
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class RmResult:
    removed: tuple[str, ...]
    commit: str | None  # the commit that removed them; the one before still has them
    previous: str | None


def rm(runs: Runs, names: Sequence[str], project: str | None = None) -> RmResult:
    """Remove every named run in one commit (all or nothing)."""
    if not names:
        raise InvalidValue("name at least one run to remove")
    ids = sorted({runs.resolve(name, project) for name in names})
    previous = runs.store.tip()

    def build(view: View) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for run_id in ids:
            files = view.names(run_id.path)
            if not files:
                raise RunNotFound(run_id.ref)
            out.update({f"{run_id.path}/{name}": None for name in files})
            out.update(quarantines.preserve(view, run_id))  # a quarantine outlives rm
        return out

    refs = [r.ref for r in ids]
    shown = ", ".join(refs) if len(refs) <= 3 else f"{len(refs)} runs"
    commit = runs.store.commit(build, f"rm {shown}", {"Contexta-Removed": " ".join(refs)})
    return RmResult(tuple(refs), commit, previous)



