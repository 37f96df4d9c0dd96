"""Move a model alias (``churn@champion``) to a run, and protect an alias.

One commit on the runs branch appends the move to ``projects/<p>/aliases/<alias>.toml``
(store/ledgers.py): the run, the run it replaces, the certificate, the artifacts' digests,
who (git's identity), when and why. The previous target and the protection are read on
the tip the commit is built on, inside the branch transaction, so a move racing another
one or a ``protect`` is judged on what it really replaces.

When signing is configured (``user.signingKey``; ``sign`` forces it either way) the move
is also sealed by the signed annotated tag ``contexta/alias/<p>/<alias>/<move id>`` on
that commit, its message holding the move as recorded; the tag is signed before the
branch moves, so a signing failure writes nothing reachable (as certify does). A process
killed between the branch move and the tag ref leaves the move recorded but unsealed:
``verify --alias`` says so, and the next signed move seals itself.

A protected alias accepts a move only with a certificate that verifies
(release/verify.py), certifies that very run and allows delivery (PASS or WARN).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from contexta_git.core import records
from contexta_git.core.time import now, sort_key, stamp
from contexta_git.errors import ContextaError
from contexta_git.git.repo import View
from contexta_git.release import moves
from contexta_git.store import ledgers
from contexta_git.store.ledgers import AliasName
from contexta_git.store.runs import Runs

TABLE = ledgers.TABLES["aliases"]


class AliasProtected(ContextaError):
    def __init__(self, alias: AliasName) -> None:
        self.alias = alias
        super().__init__(f"alias {alias} is protected: a move needs --certificate naming a valid "
                         "certificate of that run whose decision allows delivery")


@dataclass(frozen=True)
class AliasMove:
    """One entry of an alias's ledger, and (for a write) where it landed."""

    alias: str
    entry: dict[str, Any]
    commit: str | None = None
    tag: str | None = None  # the full ref of the signed tag sealing it (None: unsigned)

    @property
    def run(self) -> str | None:
        found = self.entry.get("run")
        return found if isinstance(found, str) else None

    def to_dict(self) -> dict[str, Any]:
        return {"alias": self.alias, **self.entry, "commit": self.commit, "tag": self.tag}


def _name(alias: str | AliasName) -> AliasName:
    return alias if isinstance(alias, AliasName) else AliasName.parse(alias)


def set_alias(runs: Runs, alias: str | AliasName, run: str, *, reason: str,
              certificate: str | None = None, sign: bool | None = None) -> AliasMove:
    """Point ``alias`` (``PROJECT@ALIAS``) at ``run``; returns the recorded move."""
    name = _name(alias)
    why = moves.reason_line(reason)
    store = runs.store
    run_id = moves.checked_run(runs, run, name.project)
    cert = moves.checked_certificate(runs, certificate, run_id) if certificate else None
    identity, tagger = moves.who(store)
    signed = moves.wants_signing(store, sign)
    move_id = ledgers.new_id(ledgers.SET)
    tag_ref = name.tag(move_id)
    state: dict[str, Any] = {}

    def build(view: View) -> dict[str, bytes | None]:
        history = ledgers.read(view, name.path)
        if ledgers.protected(history) is not None and cert is None:
            raise AliasProtected(name)
        previous = ledgers.current(history)
        entry = records.clean({
            "id": move_id, "action": ledgers.SET, "run": run_id.ref,
            "previous": previous.get("run") if previous else None,
            "previous_id": previous.get("id") if previous else None, "certificate": cert,
            "artifacts": moves.artifacts(runs, run_id, view.commit_id), "who": identity,
            "at": _dated_after(previous), "reason": why,
            "tag": tag_ref.removeprefix("refs/tags/") if signed else None})
        state["entry"] = entry
        known = {e["id"] for e in history}  # parsed once: a long ledger costs one parse
        return {name.path: records.append(view.read(name.path), TABLE, [entry], known)}

    title = f"alias {name} -> {run_id.ref}"
    trailers = {"Contexta-Alias": str(name), "Contexta-Run": run_id.ref}
    if not signed:
        commit = store.commit(build, f"{title}: {why}", trailers)
        return AliasMove(str(name), state["entry"], commit)

    def seal(commit: str) -> str:
        return moves.seal(store, tag_ref, commit, f"Alias move {name} -> {run_id.ref}",
                          state["entry"], tagger, identity)

    commit, tag_object = store.commit_sealed(build, f"{title}: {why}", trailers, seal)
    if not store.create_ref(tag_ref, tag_object, f"contexta-git alias set {name}"):
        raise ContextaError(f"tag {tag_ref} already exists; alias tags are never moved")
    return AliasMove(str(name), state["entry"], commit, tag_ref)


def _dated_after(previous: dict[str, Any] | None) -> str:
    """Now, or just after ``previous`` when that move is dated later (a clock that ran
    ahead, an entry written by hand): the move in force is the latest by date, and a move
    replaces the one in force, so it must be dated after it to become current."""
    moment = now()
    if previous is not None and sort_key(previous.get("at")) >= sort_key(moment):
        return stamp(sort_key(previous.get("at")) + timedelta(microseconds=1))
    return moment


def protect_alias(runs: Runs, alias: str | AliasName, *, reason: str | None = None) -> AliasMove:
    """From now on, moves of ``alias`` need a valid certificate that allows delivery.
    Protecting a protected alias writes nothing and returns the first protection."""
    name = _name(alias)
    why = " ".join((reason or "").split()) or "protected"
    identity, _ = moves.who(runs.store)
    entry = {"id": ledgers.new_id(ledgers.PROTECT), "action": ledgers.PROTECT,
             "who": identity, "at": now(), "reason": moves.reason_line(why)}
    state: dict[str, Any] = {"entry": entry}

    def build(view: View) -> dict[str, bytes | None]:
        found = ledgers.protected(ledgers.read(view, name.path))
        if found is not None:
            state["entry"] = found
            return {}
        state["entry"] = entry
        return {name.path: records.append(view.read(name.path), TABLE, [entry])}

    commit = runs.store.commit(build, f"protect alias {name}: {why}",
                               {"Contexta-Alias": str(name)})
    return AliasMove(str(name), state["entry"], commit)
