"""Tag runs after the fact: ``annotate`` appends one event to every run that started
in a time window, all in one commit. Nothing recorded is rewritten.

The event's record id is a digest of its key, message, attributes and level, so
annotating the same window twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contexta_git.core import records
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.analysis.listing import list_runs
from contexta_git.core.names import RunId, check_key
from contexta_git.core.schema import RunProblem
from contexta_git.core.redact import redact, redact_text
from contexta_git.store.runs import RunChange, Runs, now

LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Annotated:
    """The runs that matched, and the commit (None when every run already had the event);
    ``skipped``: the run folders that could not be read, left alone."""

    runs: tuple[str, ...]
    commit: str | None
    skipped: tuple[RunProblem, ...] = ()


def event_id(prefix: str, key: str, message: str, attributes: Mapping[str, Any], level: str) -> str:
    body = json.dumps([key, message, dict(attributes), level], sort_keys=True, default=str)
    return f"{prefix}-{hashlib.sha256(body.encode()).hexdigest()[:16]}"


def append_event(runs: Runs, targets: Sequence[RunId], key: str, message: str, *,
                 attributes: Mapping[str, Any], level: str, verb: str, subject: str,
                 id_prefix: str, fixed_id: str | None = None) -> str | None:
    """One event appended to every run in ``targets``, in one commit. Its record id is
    ``fixed_id`` or derived from its content; a run that already holds it gets nothing."""
    check_key(key, "event")
    if level not in LEVELS:
        raise InvalidValue(f"event level must be one of {', '.join(LEVELS)}: {level!r}")
    attrs = redact(records.clean(dict(attributes)))
    message, subject = redact_text(message), redact_text(subject)  # both land in git
    entry = {"id": fixed_id or event_id(id_prefix, key, message, attrs, level), "key": key,
             "level": level,
             "message": message, "attributes": attrs, "observed_at": now()}
    changes = [RunChange(run, create=False, appends={"events.toml": [dict(entry)]})
               for run in targets]
    count = len(targets)
    title = f"{verb} {count} run{'s' if count != 1 else ''}: {' '.join(subject.split())}"
    trailers = {"Contexta-Run": ", ".join(r.ref for r in targets)} if count <= 20 else None
    return runs.apply(changes, title, trailers)


def annotate(runs: Runs, event: str, *, started_between: Sequence[str],
             message: str = "", attributes: Mapping[str, Any] | None = None,
             level: str = "warning", project: str | None = None) -> Annotated:
    """Append event ``event`` to every run (of ``project``, or of all) that started
    between ``started_between[0]`` and ``[1]`` (ISO dates or date-times; a bare end
    date includes that whole day), quarantined runs included."""
    check_key(event, "event")
    if len(started_between) != 2:
        raise InvalidValue("started_between needs exactly two moments: start and end")
    found = list_runs(runs, project, started_between=started_between, quarantined=None)
    if not found:
        where = f"of project {project} " if project else ""
        raise ContextaError(f"no run {where}started between {started_between[0]} and "
                            f"{started_between[1]}; nothing annotated")
    targets = [RunId(s.project, s.name) for s in found]
    commit = append_event(runs, targets, event, message, attributes=attributes or {},
                          level=level, verb="annotate", subject=event, id_prefix="annotate")
    return Annotated(tuple(r.ref for r in targets), commit, found.skipped)
