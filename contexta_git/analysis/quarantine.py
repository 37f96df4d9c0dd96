"""Mark runs as not to be trusted: ``quarantine`` appends a ``contexta.quarantine``
event with the reason; ``undo=True`` appends ``contexta.release``, which cancels it.
Listing and selecting leave quarantined runs out unless asked. One commit per call.

Whether a run is already in the asked-for state is decided inside the commit's
transaction, on the tip the commit is built on: six processes quarantining one run at
once write one record, and a release always names the quarantines in force on that
tip, so a release made in one clone never cancels a quarantine it did not see. A run
that was removed (``rm``) can still be quarantined: the record goes to its quarantine
ledger, which revokes its certificates."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from contexta_git.analysis.annotate import Annotated
from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.core.records import QUARANTINE_EVENT, RELEASE_EVENT
from contexta_git.core.redact import redact, redact_text
from contexta_git.core.time import now
from contexta_git.errors import ContextaError, InvalidValue, RunNotFound
from contexta_git.git.repo import View
from contexta_git.store import quarantines
from contexta_git.store.runs import RunChange, Runs


def _named(runs: Runs, ref: str, project: str | None) -> RunId:
    """The run ``ref`` names: on the tip, or (named in full) one the branch once held."""
    try:
        return runs.resolve(ref, project)
    except RunNotFound as missing:
        try:
            run = RunId.parse(ref, project)
        except ContextaError:
            raise missing from None
        if runs.store.path_versions(f"{run.path}/{records.RUN}"):
            return run
        raise


def quarantine(runs: Runs, refs: Sequence[str], reason: str, *, undo: bool = False,
               project: str | None = None) -> Annotated:
    """Quarantine (or, with ``undo``, release) the runs named in ``refs``."""
    if not refs:
        raise InvalidValue("name at least one run to quarantine")
    if not reason.strip():
        raise InvalidValue("a quarantine needs a reason (--reason)")
    named = list(dict.fromkeys(_named(runs, ref, project) for ref in refs))
    key = RELEASE_EVENT if undo else QUARANTINE_EVENT
    kind = "release" if undo else "quarantine"
    # one id for this call's records, unique across clones and processes
    record_id = f"{kind}-{now()}-{secrets.token_hex(4)}"
    message = redact_text(reason)
    done: list[RunId] = []

    def plan(view: View) -> list[RunChange]:
        done.clear()
        changes = []
        for run in named:
            present = view.exists(f"{run.path}/{records.RUN}")
            # a run on the tip is read whole (CorruptRun names an unreadable one)
            held = (runs.get(run, at=view.commit_id).quarantines if present
                    else quarantines.in_force(view, run))
            if bool(held) != undo:
                continue  # already in the asked-for state on this tip
            attributes: dict[str, Any] = {"reason": message}
            if undo:  # name what is released: a merge never cancels what this did not see
                attributes["releases"] = sorted(held)
            entry = {"id": record_id, "key": key, "level": "info" if undo else "warning",
                     "message": message, "attributes": redact(records.clean(attributes)),
                     "observed_at": now()}
            changes.append(RunChange(run, create=False if present else None,
                                     ledger_only=not present,
                                     appends={quarantines.EVENTS: [entry]}))
            done.append(run)
        return changes

    count = len(named)
    title = f"{kind} {count} run{'s' if count != 1 else ''}: {' '.join(message.split())}"
    trailers = {"Contexta-Run": ", ".join(r.ref for r in named)} if count <= 20 else None
    commit = runs.apply(plan, title, trailers)
    return Annotated(tuple(r.ref for r in done) if commit else (), commit)
