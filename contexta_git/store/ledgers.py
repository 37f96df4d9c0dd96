"""Alias moves and deployments: append-only ledgers on the runs branch, beside the runs.

    projects/<project>/aliases/<alias>.toml       [[moves]]        one entry per move or protect
    projects/<project>/deployments/<name>.toml    [[deployments]]  one entry per deployment

Every entry carries an id unique across clones and processes (``<action>-<time>-<random>``),
who made it (git's committer identity), when (``at``, UTC), why (``reason``) and, for a move
or a deployment, the run it names and the run it replaced (``previous``). Nothing is ever
rewritten: a merge takes the union of both sides' entries by id (store/merge.py), so two
clones moving one alias at once both keep their move. Which move is *current* is then a rule
over the union, the same whichever side merged: the move with the latest ``at``, then the
greater id. "What did the alias name at date X" is the same rule over the moves made by X.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import (
    ALIAS_TAG_PREFIX, check_alias, check_deployment, check_project, project_path,
)
from contexta_git.core.time import sort_key
from contexta_git.errors import ContextaError, InvalidName
from contexta_git.git.repo import View

#: folder under projects/<p>/ -> the name of the array of tables in its ledgers
TABLES = {"aliases": "moves", "deployments": "deployments"}
SET, PROTECT = "set", "protect"


class CorruptLedger(ContextaError):
    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"unreadable ledger {path} on the runs branch: {reason}")


@dataclass(frozen=True, order=True)
class AliasName:
    """``PROJECT@ALIAS``: one alias of one project, and where its ledger lives."""

    project: str
    alias: str

    @classmethod
    def parse(cls, text: str) -> AliasName:
        project, at, alias = text.partition("@")
        if not at:
            raise InvalidName("alias", text, "expected PROJECT@ALIAS, e.g. churn@champion")
        return cls(check_project(project), check_alias(alias))

    def __str__(self) -> str:
        return f"{self.project}@{self.alias}"

    @property
    def path(self) -> str:
        return f"{project_path(self.project)}/aliases/{self.alias}.toml"

    def tag(self, move_id: str) -> str:
        """The full ref of the signed tag that seals one move."""
        return f"{ALIAS_TAG_PREFIX}{self.project}/{self.alias}/{move_id}"


def deployment_path(project: str, name: str) -> str:
    return f"{project_path(project)}/deployments/{check_deployment(name)}.toml"


def new_id(action: str) -> str:
    """An entry id no other clone or process will make: action, UTC time, 8 random hex."""
    return f"{action}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(4)}"


def table_of(path: str) -> str | None:
    """The table name when ``path`` is an alias or deployment ledger, else None."""
    parts = path.split("/")
    if len(parts) == 4 and parts[0] == "projects" and parts[3].endswith(".toml"):
        return TABLES.get(parts[2])
    return None


def entries(data: bytes | None, path: str) -> list[dict[str, Any]]:
    """The entries of one ledger (empty when absent); CorruptLedger when unreadable."""
    table = table_of(path) or "moves"
    try:
        found = records.loads(data, path).get(table, [])
    except ContextaError as exc:
        raise CorruptLedger(path, str(exc).rpartition(": ")[2]) from exc
    if not isinstance(found, list) or not all(
            isinstance(e, dict) and isinstance(e.get("id"), str) and isinstance(e.get("at"), str)
            for e in found):
        raise CorruptLedger(path, f"{table} must be a list of tables, each with an id and at")
    return found


def unreadable(view: View, path: str) -> bool:
    """Whether the ledger at ``path`` exists and cannot be read."""
    try:
        read(view, path)
    except CorruptLedger:
        return True
    return False


def read(view: View, path: str) -> list[dict[str, Any]]:
    return entries(view.read(path), path)


def order(entry: dict[str, Any]) -> tuple[datetime, str]:
    """The one order of entries: time, then id (a total order, the same in every clone)."""
    return sort_key(entry.get("at")), str(entry.get("id"))


def current(moves: list[dict[str, Any]], until: datetime | None = None) -> dict[str, Any] | None:
    """The move in force (at ``until``, or now): the latest by ``order``; None when none."""
    made = [m for m in moves if m.get("action", SET) == SET
            and (until is None or sort_key(m.get("at")) <= until)]
    return max(made, key=order) if made else None


def protected(moves: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first protect entry (None: the alias is not protected)."""
    found = sorted((m for m in moves if m.get("action") == PROTECT), key=order)
    return found[0] if found else None


def concurrent_note(path: str, base: bytes | None, ours: bytes, theirs: bytes) -> str | None:
    """The line ``pull`` prints when both sides moved one alias since the merge base."""
    if table_of(path) != TABLES["aliases"]:
        return None
    old = {e["id"] for e in entries(base, path)}
    mine = [e for e in entries(ours, path) if e["id"] not in old and e.get("action", SET) == SET]
    other = [e for e in entries(theirs, path) if e["id"] not in old
             and e.get("action", SET) == SET]
    if not mine or not other:
        return None
    parts = path.split("/")
    name = f"{parts[1]}@{parts[3].removesuffix('.toml')}"
    winner = current([*mine, *other])
    assert winner is not None
    a, b = max(mine, key=order), max(other, key=order)
    return (f"alias {name} was moved on both sides: this side to {a.get('run')}, the other to "
            f"{b.get('run')}; both moves are kept and it now names {winner.get('run')} "
            "(the later move)")
