"""Read aliases and deployments back: what an alias names now or at a date, its whole
history, and every deployment. All offline, from the runs branch (store/ledgers.py).

``at``: an ISO date or date-time; a date alone means the end of that day (UTC), so
"what was in production on 2025-03-03" includes that day's moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contexta_git.core import time as timeutil
from contexta_git.core.names import check_project
from contexta_git.errors import ContextaError
from contexta_git.store import ledgers
from contexta_git.store.ledgers import AliasName
from contexta_git.store.runs import Runs


class AliasNotFound(ContextaError):
    def __init__(self, alias: AliasName, at: str | None = None) -> None:
        self.alias = alias
        when = f" on {at}" if at else ""
        super().__init__(f"alias {alias} names no run{when}; set it with contexta-git alias set "
                         f"{alias} RUN --reason TEXT")


@dataclass(frozen=True)
class Resolved:
    """What an alias names: for deploy scripts."""

    alias: str
    run: str
    certificate: str | None
    artifacts: tuple[dict[str, Any], ...]
    move: dict[str, Any]  # the ledger entry in force (who, at, reason, previous, tag)
    protected: bool
    commit: str | None  # the runs-branch commit it was read at

    def to_dict(self) -> dict[str, Any]:
        return {"alias": self.alias, "run": self.run, "certificate": self.certificate,
                "artifacts": list(self.artifacts), "protected": self.protected,
                "commit": self.commit, "move": self.move}


@dataclass(frozen=True)
class History:
    alias: str
    entries: tuple[dict[str, Any], ...]  # every move and protection, oldest first
    current: dict[str, Any] | None  # the move in force (at ``at``, or now)
    at: str | None
    protected: bool

    def to_dict(self) -> dict[str, Any]:
        return {"alias": self.alias, "at": self.at, "protected": self.protected,
                "current": self.current, "entries": list(self.entries)}


def _name(alias: str | AliasName) -> AliasName:
    return alias if isinstance(alias, AliasName) else AliasName.parse(alias)


def _until(at: str | datetime | None) -> datetime | None:
    if at is None or isinstance(at, datetime):
        return timeutil.sort_key(at) if at is not None else None
    return timeutil.parse(at, end=True)


def resolve_alias(runs: Runs, alias: str | AliasName,
                  at: str | datetime | None = None) -> Resolved:
    """The run ``alias`` names (now, or at ``at``), its certificate and artifact digests;
    AliasNotFound when it names none."""
    name = _name(alias)
    until = _until(at)
    view = runs.view()
    history = ledgers.read(view, name.path)
    move = ledgers.current(history, until)
    if move is None:
        raise AliasNotFound(name, str(at) if at is not None else None)
    found = move.get("artifacts", [])
    return Resolved(str(name), str(move.get("run")), move.get("certificate"),
                    tuple(a for a in found if isinstance(a, dict)) if isinstance(found, list)
                    else (), move, ledgers.protected(history) is not None, view.commit_id)


def alias_history(runs: Runs, alias: str | AliasName,
                  at: str | datetime | None = None) -> History:
    """Every move of ``alias`` (who, when, why, previous target), oldest first, and the
    one in force at ``at`` (default: now). A bad date is one InvalidValue."""
    name = _name(alias)
    until = _until(at)
    history = sorted(ledgers.read(runs.view(), name.path), key=ledgers.order)
    if not history:
        raise AliasNotFound(name)
    return History(str(name), tuple(history), ledgers.current(history, until),
                   str(at) if at is not None else None, ledgers.protected(history) is not None)


def deployments(runs: Runs, project: str | None = None) -> list[dict[str, Any]]:
    """Every recorded deployment (of one project, or all), oldest first; each entry has
    ``project`` and ``order_index`` (its place in its name's history) added.

    Upstream's ``DeploymentExecution`` reads from an entry as: ``deployment_execution_ref``
    ``deployment:<project>.<name>``, ``project_ref`` ``project:<project>``,
    ``deployment_name`` ``name``, ``run_ref`` ``run``, ``started_at`` ``at``,
    ``order_index``; upstream keeps one row per name, this ledger every deployment."""
    view = runs.view()
    if project is not None:
        check_project(project)
    found: list[dict[str, Any]] = []
    for name in [project] if project else runs.projects(view):
        folder = f"projects/{name}/deployments"
        for filename in sorted(view.names(folder)):
            path = f"{folder}/{filename}"
            history = sorted(ledgers.read(view, path), key=ledgers.order)
            found += [{"project": name, **e, "order_index": i} for i, e in enumerate(history)]
    return sorted(found, key=ledgers.order)
