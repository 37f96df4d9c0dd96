"""An index of per-run summaries: SQLite in the common git directory, never committed.

Parsing every run's TOML is the slow part of reading many runs (about a millisecond a
run). The index keeps one row per run folder (``projects/<p>/runs/<shard>/<run>``): the
folder's tree id, a few columns SQL filters and sorts on, and what ``Spec.summarize`` made
of the folder (index_rows.py stores any NamedTuple by its fields). An unreadable folder
is stored too, as its problem.

It follows the branch by tree diffs, re-reading only run folders whose tree changed
(index_write.py): recording one run re-reads one folder, whatever the project's size.
Readers never see half an update. A file that is missing, corrupt, of another version or
schema, edited, replayed or written by someone else is rebuilt (index_db.py signs every
row, index_read.py checks them); an index that cannot be opened or written only costs
speed: the runs themselves are read instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from contexta_git.git.repo import View
from contexta_git.store import index_db
from contexta_git.store.index_db import Unusable, transaction
from contexta_git.store.index_read import Pick, Reader, Spec, Tampered, read_state
from contexta_git.store.index_rows import started
from contexta_git.store.index_write import reseal, update, walk

__all__ = ["Spec", "find", "newest", "ranked", "summaries"]
_T = TypeVar("_T")


def summaries(view: View, spec: Spec, project: str | None = None,
              where: tuple[str, list[Any]] | None = None) -> list[Any]:
    """What ``spec`` makes of every run folder at ``view`` (of ``project``, or all),
    problems included, ordered by project, shard and folder. ``where`` (SQL over the
    row's ``nums``, and its arguments) leaves out readable runs it is false for, when a
    sealed index answers; otherwise it is ignored (callers filter again)."""
    if view.commit_id is None:
        return []
    try:
        return _answer(view, spec, lambda reader: reader.everything(project, where))
    except Unusable:
        return [spec.summarize(view, folder) for folder, _tree in walk(view, project)]


def newest(view: View, spec: Spec, pick: Pick, limit: int,
           project: str | None = None) -> tuple[list[Any], list[Any]]:
    """``pick`` applied to the readable runs (first kind) newest first (by start time,
    then project and name, descending; runs without a start time last) until ``limit``
    results are not None, and the problems (other kinds): the newest runs without
    reading the others."""
    if view.commit_id is None or limit <= 0:
        return [], []
    try:
        return _answer(view, spec, lambda reader: reader.newest(project, pick, limit))
    except Unusable:
        made = [spec.summarize(view, folder) for folder, _tree in walk(view, project)]
        found: list[Any] = [i for i in made if isinstance(i, spec.codec.kinds[0])]
        found.sort(reverse=True, key=lambda i: (started(i.started_at), i.project, i.name))
        picked = [kept for kept in map(pick, found) if kept is not None]
        return picked[:limit], [i for i in made if not isinstance(i, spec.codec.kinds[0])]


def ranked(view: View, spec: Spec, path: str, *, descending: bool, limit: int,
           project: str | None = None) -> tuple[list[Any], list[Any]] | None:
    """The readable runs (first kind) ordered by the number at JSON ``path`` in what the
    codec's ``numbers`` made of them (those without one left out), ties to the earlier
    start, then project and name; at most ``limit``; and the problems (other kinds).
    Selected in SQL from a sealed index; None when there is none to trust (read the runs)."""
    if view.commit_id is None:
        return [], []
    try:
        answer = _answer(view, spec, lambda reader: reader.ranked(project, path, descending, limit))
        if answer is not None:
            _keep_order(view, path)  # the next time, ranked by an index
        return answer
    except Unusable:
        return None


def _keep_order(view: View, path: str) -> None:
    """An index on the number at ``path``, for the next ``ranked`` (best effort)."""
    try:
        db = index_db.open_index(view.common_dir)
    except Unusable:
        return
    try:
        index_db.order_by(db, view.common_dir, index_db.user_key(view.common_dir), path)
    except (sqlite3.Error, OSError, Unusable):
        pass  # only speed is lost
    finally:
        db.close()


def find(view: View, spec: Spec, project: str, wanted: dict[str, Iterable[str]]) -> list[Any]:
    """The readable runs of ``project`` whose ``source_commit`` or ``patch_id`` (the keys
    of ``wanted``) is one of the values given: an indexed lookup, whatever the number of runs."""
    if set(wanted) - {"source_commit", "patch_id"}:
        raise ValueError(f"not an indexed column: {sorted(wanted)}")
    terms = {c: [v for v in values if v] for c, values in wanted.items()}
    terms = {c: values for c, values in terms.items() if values}
    if view.commit_id is None or not terms:
        return []
    try:
        return _answer(view, spec, lambda reader: reader.lookup(project, terms))
    except Unusable:
        made = (spec.summarize(view, folder) for folder, _tree in walk(view, project))
        return [i for i in made if isinstance(i, spec.codec.kinds[0])
                and any(getattr(i, c) in values for c, values in terms.items())]


def _answer(view: View, spec: Spec, ask: Callable[[Reader], _T]) -> _T:
    """``ask`` a reader of a snapshot of the index at the view's tip, bringing the index up
    to date first (again if other processes move it meanwhile); a file that fails a check
    is rebuilt. Unusable when there is no usable index: the caller reads the runs."""
    key = index_db.user_key(view.common_dir)
    resealed = False
    for _attempt in range(4):
        db = index_db.open_index(view.common_dir)
        try:
            try:
                with transaction(db):
                    state = read_state(db, spec, key)
                    current = state is not None and state.tip == view.commit_id
                    trusted = current and index_db.sealed(view.common_dir, key)
                    if state is not None and current and (trusted or resealed):
                        answer = ask(Reader(db, spec, key, state, trusted))
                        if not trusted or index_db.sealed(view.common_dir, key):
                            return answer  # (sealed before and after: untouched meanwhile)
                        continue
                if current:  # (once: readers that keep the log busy stop a seal)
                    reseal(db, view, spec, key)
                else:
                    update(db, view, spec, key)
                resealed = True  # sealed if it could be; else rows are checked as read
            except Tampered:
                update(db, view, spec, key, clear=True)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in index_db.BROKEN:
                raise Unusable(str(exc)) from exc
            db.close()
            index_db.discard(view.common_dir)  # a corrupt page: start the file again
        except OSError as exc:
            raise Unusable(str(exc)) from exc
        finally:
            db.close()
    raise Unusable("the index kept moving or failing its checks")
