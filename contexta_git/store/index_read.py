"""Reading the index: its signed state, and rows served only after their checks.

What is signed (index_db.py holds the key): each row (its columns and its summary); each
shard (its tree id and its rows' columns and digests, so no row can be dropped, added or
have a column edited unnoticed) with the newest start time of its runs and its number of
unreadable folders; and the state (the branch tip it follows and every shard's entry).

A full listing checks every shard it reads. ``newest`` reads rows in start-time order and
checks only the shards that could hold a row it should have seen: those holding a row it
served, those whose signed newest start time is not older than the last row it looked
at, and those holding unreadable folders. A row hidden by an edit lives in one of those.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from itertools import groupby
from typing import Any, NamedTuple

from contexta_git.git.repo import View
from contexta_git.store.index_db import HEAD, digest, order_expression, shard_digest
from contexta_git.store.index_rows import Codec

FORMAT = 5
Shard = tuple[str, str]  # (project, shard)
Pick = Callable[[Any], Any]  # a summary -> the summary to keep (maybe changed), or None


class Spec(NamedTuple):
    """What the index holds: ``summarize(view, folder)`` gives one of ``codec.kinds`` (the
    first kind is a readable run, the others problems); bump ``version`` when what it
    gives for the same folder changes (a change of the kinds' fields is noticed alone)."""

    summarize: Callable[[View, str], Any]
    codec: Codec
    version: int

    @property
    def stamp(self) -> str:
        return f"{FORMAT}:{self.version}:{self.codec.stamp}"


class ShardInfo(NamedTuple):
    tree: str
    top: int | None  # the newest start time of its runs (None: no readable run)
    problems: int  # unreadable folders in it
    digest: bytes


class State(NamedTuple):
    tip: str
    shards: dict[Shard, ShardInfo]


class Tampered(Exception):
    """The file does not hold what this user's index wrote there: rebuild it."""


def read_state(db: sqlite3.Connection, spec: Spec, key: bytes) -> State | None:
    """The tip and shards the file says it holds, if this user's index signed them for
    this ``spec``; None for an empty, foreign, stale-format or edited file."""
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("stamp") != spec.stamp or not isinstance(meta.get("tip"), str):
            return None
        shards = {(p, s): ShardInfo(*rest) for p, s, *rest in db.execute(
            "SELECT project, shard, tree, top, problems, digest FROM shards").fetchall()}
        if meta.get("mac") != state_mac(key, spec.stamp, meta["tip"], shards):
            return None
    except (TypeError, ValueError):  # values of the wrong type: not written by us
        return None
    return State(meta["tip"], shards)


def state_mac(key: bytes, stamp: str, tip: str, shards: dict[Shard, ShardInfo]) -> str:
    parts = [f"{stamp}\0{tip}\0".encode()]
    for (project, shard), info in sorted(shards.items()):
        parts.append(f"{project}\0{shard}\0{info.tree}\0{info.top}\0{info.problems}\0".encode()
                     + info.digest)
    return digest(key, b"".join(parts)).hex()


class Reader:
    """Reads inside one snapshot whose state passed its check: no row is served before
    the shard holding it (and every shard that could hide a row it should show) passed."""

    def __init__(self, db: sqlite3.Connection, spec: Spec, key: bytes, state: State,
                 trusted: bool = False) -> None:
        self.db, self.spec, self.key, self.state = db, spec, key, state
        self.trusted = trusted  # the file is sealed as this user's index wrote it (index_db.seal)

    def everything(self, project: str | None,
                   only: tuple[str, list[Any]] | None = None) -> list[Any]:
        """Every row (of ``project``); from a sealed file, only the problems and the
        readable runs SQL condition ``only`` (over ``nums``) holds for."""
        where, args = _project(project, "WHERE")
        if self.trusted:
            if only is not None:
                where = f"{where} {'AND' if where else 'WHERE'} (kind != 0 OR ({only[0]}))"
                args = (*args, *only[1])
            return self._decode(self.db.execute(
                f"SELECT kind, NULL, data FROM runs {where} ORDER BY project, shard, folder",
                args).fetchall())
        rows = self.db.execute(f"SELECT project, shard, kind, {HEAD}, data FROM runs {where} "
                               "ORDER BY project, shard, folder", args)
        out: list[Any] = []
        seen = set()
        for shard, group in groupby(rows, key=lambda r: (r[0], r[1])):
            members = [r[2:] for r in group]
            self._check(shard, [(r[1], r[2]) for r in members])
            out.extend(self._decode(members))
            seen.add(shard)
        for shard in self._shards(project):
            if shard not in seen:
                self._check(shard, [])
        return out

    def newest(self, project: str | None, pick: Pick, limit: int) -> tuple[list[Any], list[Any]]:
        where, args = _project(project, "AND")
        rows = self.db.execute(f"SELECT folder, project, shard, started, name FROM runs WHERE "
                               f"kind = 0 {where} ORDER BY started DESC, project DESC, name DESC",
                               args)
        checked: dict[Shard, list[tuple[Any, ...]]] = {}
        looked: set[str] = set()
        out: list[Any] = []
        last: tuple[Any, ...] | None = None  # the order of the last row looked at (None: all were)
        while len(out) < limit:
            batch = rows.fetchmany(max(16, min(limit, 512)))
            if not batch:
                last = None
                break
            for shard in {(r[1], r[2]) for r in batch} - set(checked):
                checked[shard] = self._check_stored(shard)
            content = {r[0]: r for shard in {(r[1], r[2]) for r in batch} for r in checked[shard]}
            if any(r[0] not in content for r in batch):
                raise Tampered("a row read is not one signed")
            for row, item in zip(batch, self._decode([content[r[0]][3:] for r in batch]),
                                 strict=True):
                looked.add(row[0])
                last = _order(row[3], row[1], row[4])
                if (kept := pick(item)) is not None:
                    out.append(kept)
                    if len(out) >= limit:
                        break
        problems = self._check_hiding(project, checked, looked, last)
        return out, self._decode(problems)

    def _check_hiding(self, project: str | None, checked: dict[Shard, list[tuple[Any, ...]]],
                      looked: set[str], last: tuple[Any, ...] | None) -> list[tuple[Any, ...]]:
        """Check every shard that could hold a readable run ordered before ``last`` (its
        signed newest start is not older) or an unreadable folder, and that every such run
        was looked at; returns the unreadable folders' rows (kind, head, data)."""
        problems = []
        for shard in self._shards(project):
            info = self.state.shards[shard]
            if shard not in checked and (info.problems or (info.top is not None and (
                    last is None or info.top >= last[0]))):
                checked[shard] = self._check_stored(shard)
            for folder, started, name, kind, head, data in checked.get(shard, []):
                if kind != 0:
                    problems.append((kind, head, data))
                elif folder not in looked and (last is None or _order(started, shard[0], name) > last):
                    raise Tampered(f"{folder} was left out of the order")
        return problems

    def ranked(self, project: str | None, path: str, descending: bool,
               limit: int) -> tuple[list[Any], list[Any]] | None:
        """The readable runs whose ``nums`` hold a number at JSON ``path``, by that number
        (``descending`` or not), ties to the earlier start, then project and name; at most
        ``limit``, and every unreadable folder. Selected in SQL, so only from a sealed
        file (None otherwise: the caller reads every row, each checked)."""
        value = order_expression(path)  # written out, so that an index on it serves
        if not self.trusted or value is None:
            return None
        where, args = _project(project, "AND")
        order = "DESC" if descending else "ASC"
        rows = self.db.execute(
            f"SELECT kind, NULL, data FROM runs WHERE {value} IS NOT NULL AND kind = 0 {where} "
            f"AND typeof({value}) IN ('integer', 'real') ORDER BY {value} {order}, started, "
            "project || '.' || name LIMIT ?", (*args, limit)).fetchall()
        problems = [row for shard in self._shards(project) if self.state.shards[shard].problems
                    for row in self.db.execute(  # only shards holding any: no full scan
                        "SELECT kind, NULL, data FROM runs WHERE project = ? AND shard = ? AND "
                        "kind != 0 ORDER BY folder", shard)]
        return self._decode(rows), self._decode(problems)

    def lookup(self, project: str, wanted: dict[str, list[str]]) -> list[Any]:
        found: dict[str, tuple[Any, ...]] = {}
        for column, values in wanted.items():  # one indexed query a column (OR defeats them)
            marks = ",".join("?" * len(values))
            found.update((r[2], r) for r in self.db.execute(
                f"SELECT shard, kind, folder FROM runs WHERE {column} IN ({marks}) AND kind = 0 "
                "AND project = ?", (*values, project)))
        signed = {r[0]: r[3:] for shard in {(project, r[0]) for r in found.values()}
                  for r in self._check_stored(shard)}
        if any(folder not in signed for folder in found):
            raise Tampered("a row read is not one signed")
        return self._decode([signed[folder] for folder in sorted(found)])

    def _decode(self, rows: list[tuple[Any, ...]]) -> list[Any]:
        """Rows (kind, head, data) whose shard passed, parsed as one JSON document: keys and
        repeated strings are shared between runs (less memory and time than one by one)."""
        values = json.loads("[" + ",".join(r[2] for r in rows) + "]")
        decode = self.spec.codec.decode
        return [decode(r[0], v) for r, v in zip(rows, values, strict=True)]

    def _shards(self, project: str | None) -> list[Shard]:
        return [s for s in self.state.shards if project in (None, s[0])]

    def _check_stored(self, shard: Shard) -> list[tuple[Any, ...]]:
        """The shard's rows (folder, started, name, kind, head, data), checked."""
        rows = self.db.execute(f"SELECT folder, started, name, kind, {HEAD}, data FROM runs "
                               "WHERE project = ? AND shard = ? ORDER BY folder", shard).fetchall()
        self._check(shard, [r[4:] for r in rows])
        return rows

    def check_all(self) -> None:
        """Check every shard's rows against its signature (Tampered if one fails)."""
        rows = self.db.execute(f"SELECT project, shard, {HEAD}, data FROM runs "
                               "ORDER BY project, shard, folder")
        seen = set()
        for shard, group in groupby(rows, key=lambda r: (r[0], r[1])):
            self._check(shard, [r[2:] for r in group], always=True)
            seen.add(shard)
        for shard in set(self.state.shards) - seen:
            self._check(shard, [], always=True)

    def _check(self, shard: Shard, rows: list[tuple[str, str]], *, always: bool = False) -> None:
        if self.trusted and not always:
            return
        info = self.state.shards.get(shard)
        if info is None or shard_digest(self.key, *shard, info.tree, rows) != info.digest:
            raise Tampered(f"shard {shard} does not hold the rows it was signed with")


def _order(started: Any, project: Any, name: Any) -> tuple[Any, ...]:
    """A readable run's place in ``newest`` order (SQL's, with NULL as oldest)."""
    return (started if isinstance(started, int) else -(2**63), str(project), str(name or ""))


def _project(project: str | None, word: str) -> tuple[str, tuple[str, ...]]:
    return (f"{word} project = ?", (project,)) if project is not None else ("", ())
