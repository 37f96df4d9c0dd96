"""Remove runs from the tip of contexta/runs; git history keeps them until it is rewritten."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contexta_git.core.names import RunId
from contexta_git.errors import CorruptRun, InvalidName, InvalidValue, RunNotFound
from contexta_git.git.repo import View
from contexta_git.store import quarantines
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class RmResult:
    removed: tuple[str, ...]
    commit: str | None  # the commit that removed them; the one before still has them
    previous: str | None


def _target(runs: Runs, name: str, project: str | None) -> tuple[str, str]:
    """(folder, how to name it) of a run to remove; an unreadable run is named by its
    folder, so a run no reader can open can still be removed."""
    try:
        run_id = runs.resolve(name, project)
    except CorruptRun as exc:
        return exc.folder, exc.folder if exc.folder.isprintable() else ascii(exc.folder)
    return run_id.path, run_id.ref


def _run_of(folder: str) -> RunId | None:
    """The run a folder holds, when its path names one validly (else there is no ledger)."""
    parts = folder.split("/")
    try:
        return RunId(parts[1], parts[-1]) if len(parts) == 5 else None
    except InvalidName:
        return None


def rm(runs: Runs, names: Sequence[str], project: str | None = None) -> RmResult:
    """Remove every named run in one commit (all or nothing). A run is named as
    ``resolve`` reads it, or by its folder's path on the branch."""
    if not names:
        raise InvalidValue("name at least one run to remove")
    targets = sorted({_target(runs, name, project) for name in names}, key=lambda t: t[1])
    previous = runs.store.tip()

    def build(view: View) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {}
        for folder, shown in targets:
            entries = view.names(folder)
            if not entries:
                raise RunNotFound(shown)
            out.update({f"{folder}/{name}": None for name in entries})
            run_id = _run_of(folder)
            if run_id is not None:
                out.update(quarantines.preserve(view, run_id))  # a quarantine outlives rm
        return out

    refs = [shown for _folder, shown in targets]
    shown = ", ".join(refs) if len(refs) <= 3 else f"{len(refs)} runs"
    commit = runs.store.commit(build, f"rm {shown}", {"Contexta-Removed": " ".join(refs)})
    return RmResult(tuple(refs), commit, previous)



