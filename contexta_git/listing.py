"""List the runs on the branch, newest first, with filters."""

from __future__ import annotations

from .records import RunData
from .store import Runs


def list_runs(runs: Runs, project: str | None = None, *, status: str | None = None,
              include_quarantined: bool = True) -> list[RunData]:
    view = runs.view()
    out = []
    for run_id in runs.ids(project, view):
        data = RunData.from_files(view.files(run_id.path))
        if status and data.status != status:
            continue
        if not include_quarantined and data.quarantined:
            continue
        out.append(data)
    out.sort(key=lambda r: (r.started_at or "", r.run_id), reverse=True)
    return out
