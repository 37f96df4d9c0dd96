"""Verify an alias offline: its current move is sealed by a good signed tag that says
exactly what the runs branch records.

In order: the alias names a run; the move in force names its tag and that tag exists as
an annotated tag; git verify-tag accepts its signature and the signer is trusted
(signer.py, as for certificates); the tag's own name equals its ref; it tags a commit
of the runs branch's history that added this very move; the move written in the tag
message equals the move on the branch tip, field by field; a certificate the move
names still verifies and allows delivery; a move made after the alias was protected
names a certificate (a clone that had not pulled the protection may have made it); and
no entry an earlier version of the ledger held was dropped (a rollback). Any forged,
re-signed, moved or edited tag, and any edit of the branch record, is named as a problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from contexta_git.errors import ContextaError
from contexta_git.git.repo import GitStore
from contexta_git.git.tags import parse_tag
from contexta_git.release.signer import check_signer
from contexta_git.release.verify import verify
from contexta_git.store import ledgers
from contexta_git.store.ledgers import AliasName
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class AliasVerification:
    alias: str
    run: str | None
    tag: str | None
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    signer: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"alias": self.alias, "run": self.run, "tag": self.tag, "valid": self.ok,
                "problems": list(self.problems), "warnings": list(self.warnings),
                "signer": self.signer}


def verify_alias(runs: Runs, alias: str | AliasName) -> AliasVerification:
    """Check the current move of ``alias`` against its signed tag (AliasNotFound-like
    ContextaError when the alias names no run)."""
    name = alias if isinstance(alias, AliasName) else AliasName.parse(alias)
    store = runs.store
    view = runs.view()
    history = ledgers.read(view, name.path)
    move = ledgers.current(history)
    if move is None:
        raise ContextaError(f"alias {name} names no run: nothing to verify")
    run = str(move.get("run"))
    ref = name.tag(str(move["id"]))
    short = ref.removeprefix("refs/tags/")
    problems: list[str] = []
    warnings: list[str] = []
    for gone in _dropped(store, name.path, history):
        what = f"move {gone['id']} to {gone.get('run')}" if gone.get("action", ledgers.SET) == \
            ledgers.SET else f"{gone.get('action')} {gone['id']}"
        problems.append(f"the runs branch no longer records {what} (at {gone.get('at')}): "
                        "the alias's ledger was rewritten")
    guard = ledgers.protected(history)
    if guard is not None and ledgers.order(guard) <= ledgers.order(move) and not isinstance(
            move.get("certificate"), str):
        # (a clone that had not pulled the protection could make it, and pull keeps it)
        problems.append(f"the alias is protected since {guard.get('at')} but the move "
                        f"{move['id']} to {run} names no certificate")

    def done(signer: str | None = None) -> AliasVerification:
        return AliasVerification(str(name), run, short, tuple(problems), tuple(warnings), signer)

    target = store.ref_target(ref)
    if target is None:
        problems.append(f"the move {move['id']} to {run} is not sealed: no tag {short}"
                        + ("" if move.get("tag") else " (it was made without signing)"))
        return done()
    obj = store.read_object(target)
    if obj is None or obj[0] != "tag":
        problems.append(f"{short} is not an annotated tag: the move is not sealed")
        return done()
    tag = parse_tag(obj[1])
    signer = check_signer(store.workdir or store.git_dir, target, tag, problems, warnings)
    if tag.name != short:
        problems.append(f"tag object is named {tag.name} but sits at {short}: the tag was renamed")
    if move.get("tag") != short:
        problems.append(f"the branch records tag {move.get('tag')!r} for this move, not {short}")
    _check_commit(store, tag.object, name, str(move["id"]), problems)
    _check_message(tag.message, move, problems)
    cert = move.get("certificate")
    if isinstance(cert, str):
        found = verify(runs, cert)
        if not found.deliverable:
            why = found.problems[0] if found.problems else f"decision {found.decision}"
            problems.append(f"certificate {cert} named by the move no longer holds: {why}")
    return done(signer)


def _dropped(store: GitStore, path: str, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries an earlier version of the ledger held and the tip's does not. Ledgers only
    grow (merges keep the union), so a dropped entry is a rewrite: a later move removed
    to make an older one current again, or a protection removed."""
    now = {e["id"] for e in history}
    gone: dict[str, dict[str, Any]] = {}
    for data in store.path_versions(path):
        try:
            earlier = ledgers.entries(data, path)
        except ContextaError:
            continue  # an unreadable version: nothing it held can be named
        gone.update((e["id"], e) for e in earlier if e["id"] not in now and e["id"] not in gone)
    return sorted(gone.values(), key=ledgers.order)


def _check_commit(store: GitStore, commit: str, name: AliasName, move_id: str,
                  problems: list[str]) -> None:
    """The tag must point at the runs-branch commit, in the tip's history, that added
    the move."""
    tip = store.tip()
    obj = store.read_object(commit)
    if obj is None or obj[0] != "commit" or tip is None or store.merge_base(commit, tip) != commit:
        problems.append(f"the tag points at {commit[:12]}, which is not a commit in the history "
                        "of the runs branch")
        return
    try:
        here = {e["id"] for e in ledgers.read(store.view(commit), name.path)}
        parents = store.parents(commit)
        before = ({e["id"] for e in ledgers.read(store.view(parents[0]), name.path)}
                  if len(parents) == 1 else set() if not parents else {move_id})
    except ContextaError as exc:
        problems.append(f"cannot read the alias at the tagged commit {commit[:12]}: {exc}")
        return
    if move_id not in here or move_id in before:
        problems.append(f"the tag points at {commit[:12]}, not at the commit that recorded "
                        f"move {move_id}: the tag was moved")


def _check_message(message: bytes, move: dict[str, Any], problems: list[str]) -> None:
    """The move written in the tag equals the move on the branch, field by field."""
    _, _, body = message.decode(errors="replace").partition("\n\n")
    try:
        sealed = tomllib.loads(body).get("move")
    except tomllib.TOMLDecodeError:
        sealed = None
    if not isinstance(sealed, dict):
        problems.append("the tag message holds no move record: it was edited")
        return
    for key in sorted(set(sealed) | set(move)):
        if sealed.get(key) != move.get(key):
            problems.append(f"{key} differs: the tag says {sealed.get(key)!r}, the runs branch "
                            f"{move.get(key)!r}")
