"""Mark runs as not to be trusted: ``quarantine`` appends a ``contexta.quarantine``
event with the reason; ``undo=True`` appends ``contexta.release``, which cancels it.
Listing and selecting leave quarantined runs out unless asked. One commit per call."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from contexta_git.analysis.annotate import Annotated, append_event
from contexta_git.errors import InvalidValue
from contexta_git.core.records import QUARANTINE_EVENT, RELEASE_EVENT
from contexta_git.store.runs import Runs


def quarantine(runs: Runs, refs: Sequence[str], reason: str, *, undo: bool = False,
               project: str | None = None) -> Annotated:
    """Quarantine (or, with ``undo``, release) the runs named in ``refs``."""
    if not refs:
        raise InvalidValue("name at least one run to quarantine")
    if not reason.strip():
        raise InvalidValue("a quarantine needs a reason (--reason)")
    named = list(dict.fromkeys(runs.resolve(ref, project) for ref in refs))
    # idempotent: a run already in the asked-for state gets no new record
    data = {r: runs.get(r) for r in named}
    states = {r: d.quarantines for r, d in data.items()}
    targets = [r for r in named if bool(states[r]) == undo]
    if not targets:
        return Annotated((), None)
    key = RELEASE_EVENT if undo else QUARANTINE_EVENT
    attributes: dict[str, object] = {"reason": reason}
    if undo:  # name what is released, so a merge cannot cancel quarantines it never saw
        attributes["releases"] = sorted({i for r in targets for i in states[r]})
    # The id is the transition: these runs, from the quarantine history they had. Two
    # callers racing from one state write one record (the second finds its id on the
    # tip and appends nothing); quarantine, release, quarantine again are three records.
    history = sorted(f"{r.ref}:{e.id}" for r in targets for e in data[r].events
                     if e.key in (QUARANTINE_EVENT, RELEASE_EVENT))
    transition = hashlib.sha256(json.dumps([key, [r.ref for r in targets], history]).encode())
    commit = append_event(runs, targets, key, reason, attributes=attributes,
                          level="info" if undo else "warning",
                          verb="release" if undo else "quarantine", subject=reason,
                          id_prefix="release" if undo else "quarantine",
                          fixed_id=f"{'release' if undo else 'quarantine'}-"
                                   f"{transition.hexdigest()[:24]}")
    return Annotated(tuple(r.ref for r in targets), commit)
