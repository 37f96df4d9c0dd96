"""Writing the index: follow the branch from the last indexed tip by tree diffs.

Each shard's tree id is kept; when the tip moves, only shards whose tree id changed are
listed, and only run folders whose tree id changed are summarised again. The reading and
parsing happen with no lock held; the write is one short transaction that re-checks what
changed meanwhile (another process may have written some of it), so readers never see
half an update and two writers never undo each other. Only rows that pass their digest
are kept and signed into a shard's digest: an edited row is never blessed by an update.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from contexta_git.core import progress
from contexta_git.git.repo import View
from contexta_git.store.index_db import HEAD, seal, sealed, shard_digest, transaction
from contexta_git.store.index_read import (Reader, Shard, ShardInfo, Spec, State, Tampered,
                                           read_state, state_mac)
from contexta_git.store.index_rows import Row

_INSERT = f"INSERT OR REPLACE INTO runs VALUES ({', '.join('?' * len(Row._fields))})"


def update(db: sqlite3.Connection, view: View, spec: Spec, key: bytes, *,
           clear: bool = False) -> None:
    """Bring the index to ``view``'s tip (``clear``: from nothing)."""
    current = shard_trees(view)
    with transaction(db):
        state = None if clear else read_state(db, spec, key)
        base = {k: v.tree for k, v in state.shards.items()} if state else {}
        changed = [k for k, tree in current.items() if base.get(k) != tree]
        known = {k: dict(db.execute("SELECT folder, tree FROM runs WHERE project = ? AND "
                                    "shard = ?", k).fetchall()) for k in changed} if state else {}
    members = {k: folders(view, k) for k in changed}
    todo = [(folder, tree) for k in changed for folder, tree in members[k].items()
            if known.get(k, {}).get(folder) != tree]
    made = {}
    for done, (folder, tree) in enumerate(todo):
        if done % 250 == 0 and len(todo) >= 1000:  # a fresh clone: minutes at 100,000 runs
            progress.report(done, len(todo), "indexing runs")
        made[(folder, tree)] = spec.codec.row(folder, tree, spec.summarize(view, folder))
    with transaction(db, write=True):
        state = None if clear else read_state(db, spec, key)
        if state is not None and not sealed(view.common_dir, key):
            _check_unsealed(db, spec, key, state)  # never seal rows edited meanwhile
        if state is None:
            _clear(db, view)
        shards = dict(state.shards) if state else {}
        for k in sorted(set(current) | set(shards)):
            if k not in current:
                db.execute("DELETE FROM runs WHERE project = ? AND shard = ?", k)
                db.execute("DELETE FROM shards WHERE project = ? AND shard = ?", k)
                del shards[k]
            elif k not in shards or shards[k].tree != current[k]:
                got = members.get(k) or folders(view, k)
                shards[k] = _write_shard(db, view, spec, key, k, shards.get(k), current[k], got,
                                         made)
                db.execute("INSERT OR REPLACE INTO shards VALUES (?, ?, ?, ?, ?, ?)",
                           (*k, *shards[k]))
        tip = view.commit_id or ""
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
            ("stamp", spec.stamp), ("tip", tip), ("mac", state_mac(key, spec.stamp, tip, shards))])
    seal(db, view.common_dir, key)


def reseal(db: sqlite3.Connection, view: View, spec: Spec, key: bytes) -> None:
    """Seal a file left unsealed (a crash, or readers in the log when it was written)
    once every row passes its check; Tampered if one does not."""
    with transaction(db, write=True):
        state = read_state(db, spec, key)
        if state is None:
            raise Tampered("the index state is not this user's")
        _check_unsealed(db, spec, key, state)
    seal(db, view.common_dir, key)


def _check_unsealed(db: sqlite3.Connection, spec: Spec, key: bytes, state: State) -> None:
    """Before sealing a file that was not sealed: every row must pass its check, and every
    index is rebuilt from the rows (REINDEX). The digests cover rows, not an index's own
    entries: an edit of those alone (an order ranking the runs backwards, runs left out of
    a start-time order) would otherwise be sealed, and sealed reads trust what SQL picks."""
    Reader(db, spec, key, state).check_all()
    db.execute("REINDEX")


def _write_shard(db: sqlite3.Connection, view: View, spec: Spec, key: bytes, shard: Shard,
                 before: ShardInfo | None, tree: str, members: dict[str, str],
                 made: dict[tuple[str, str], Row]) -> ShardInfo:
    """Make the shard's rows those of ``members`` (folder -> tree id), summarising the
    folders not already made, and sign the shard. The rows kept must be those signed
    before (``before``): an edited row is rebuilt, never signed."""
    have = dict(db.execute("SELECT folder, tree FROM runs WHERE project = ? AND shard = ?",
                           shard).fetchall())
    if have and (before is None or _digest(db, key, shard, before.tree) != before.digest):
        raise Tampered(f"shard {shard} does not hold the rows it was signed with")
    db.executemany("DELETE FROM runs WHERE folder = ?", [(f,) for f in have if f not in members])
    new = {}
    for folder, run_tree in members.items():
        if have.get(folder) != run_tree:
            new[folder] = made.get((folder, run_tree)) or spec.codec.row(
                folder, run_tree, spec.summarize(view, folder))
    db.executemany(_INSERT, new.values())
    top, problems = db.execute("SELECT max(started) FILTER (WHERE kind = 0), count(*) FILTER "
                               "(WHERE kind != 0) FROM runs WHERE project = ? AND shard = ?",
                               shard).fetchone()
    return ShardInfo(tree, top, problems, _digest(db, key, shard, tree))


def _digest(db: sqlite3.Connection, key: bytes, shard: Shard, tree: str) -> bytes:
    rows = db.execute(f"SELECT {HEAD}, data FROM runs WHERE project = ? AND shard = ? "
                      "ORDER BY folder", shard).fetchall()
    return shard_digest(key, *shard, tree, rows)


def _clear(db: sqlite3.Connection, view: View) -> None:
    for table in ("runs", "shards", "meta"):
        db.execute(f"DELETE FROM {table}")
    for old in (view.common_dir / "contexta").glob("index-*.pickle"):  # the first release's
        old.unlink(missing_ok=True)  # never read: a pickle can run code


def shard_trees(view: View) -> dict[Shard, str]:
    return {(project, shard): tree for project in view.names("projects")
            for shard, tree in view.subtrees(f"projects/{project}/runs")}


def folders(view: View, shard: Shard) -> dict[str, str]:
    """The run folders of ``shard`` at ``view``: path -> tree id."""
    base = f"projects/{shard[0]}/runs/{shard[1]}"
    return {f"{base}/{run}": tree for run, tree in view.subtrees(base)}


def walk(view: View, project: str | None) -> Iterator[tuple[str, str]]:
    """Every run folder (path, tree id) at ``view``: what the index answers for."""
    for key in shard_trees(view):
        if project in (None, key[0]):
            yield from folders(view, key).items()
