"""Whether a run is quarantined, read so that nothing done to the run can hide it.

A certificate stops vouching for its run once the run is quarantined, whatever
happened to the run since: ``rm`` takes the folder off the tip, a new run may be
recorded under the same name, and a merge may bring back a copy that never saw the
quarantine. So the state is not read from the tip alone: every version the run's
``events.toml`` and its quarantine ledger (store/quarantines.py) ever had in the history
of the runs branch (merged-in histories included) is read, their events are united by
id, and the quarantines no release cancelled are in force. This is the one place verify asks.
"""

from __future__ import annotations

from typing import Any

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.errors import ContextaError
from contexta_git.store.quarantines import ledger_path
from contexta_git.store.runs import Runs

EVENTS = "events.toml"


def quarantines(runs: Runs, run_id: RunId) -> dict[str, str]:
    """The quarantines in force on ``run_id`` over the branch's whole history:
    ``{event id: reason}`` (empty when none)."""
    events: dict[str, dict[str, Any]] = {}
    versions = [*runs.store.path_versions(f"{run_id.path}/{EVENTS}"),
                *runs.store.path_versions(ledger_path(run_id))]  # the ledger rm never deletes
    for raw in versions:
        try:
            table = records.loads(raw, EVENTS).get(records.APPEND[EVENTS], [])
        except ContextaError:
            continue  # an unreadable version hides nothing: the others still hold their events
        if not isinstance(table, list):
            continue
        for event in table:
            if isinstance(event, dict) and isinstance(event.get("id"), str):
                events.setdefault(event["id"], event)
    return records.active_quarantines(events.values())


def quarantine_reason(runs: Runs, run_id: RunId) -> str | None:
    """The reasons of the quarantines in force on ``run_id``, or None."""
    reasons = list(dict.fromkeys(str(r) for r in quarantines(runs, run_id).values()))
    return "; ".join(reasons) if reasons else None
