"""The runs branch: read-only views of its commits and the one write transaction.

Every write (a commit, a merge, a commit sealed by a signed tag) runs through
:meth:`BranchWriter._transact`: wait until no lock is held on the branch (a lock that
does not clear in ``LOCK_WAIT`` seconds is named in the error), read the tip, let the
caller build a commit on it, move the ref by compare-and-swap, and on a lost race build
again on the new tip. Blobs, trees and commits are written before the ref moves, so a
crash or an error leaves at most unreachable objects, never a half-recorded change.
HEAD, the index and the working tree are never touched.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pygit2

from contexta_git.core.names import BRANCH, FORMAT
from contexta_git.core.redact import redact_text
from contexta_git.errors import ForeignBranch, RefLocked, RefMoved, WriteFailed
from contexta_git.git.process import git, last_line

Changes = dict[str, "bytes | None"]  # path on the branch -> new content, None deletes
MAX_ATTEMPTS = 200
LOCK_WAIT = 5.0  # a ref update holds its lock for milliseconds; this long means a dead writer
GC_EVERY = 256  # on average, one `git gc --auto` in the background per this many writes
ZERO = "0" * 40


class View:
    """Read-only access to one commit of the runs branch (or to nothing yet)."""

    def __init__(self, repo: pygit2.Repository, commit_id: str | None, common_dir: Path) -> None:
        self._repo = repo
        self.commit_id = commit_id
        self.common_dir = common_dir  # the git directory shared by all worktrees: caches live here
        self._tree = repo[commit_id].peel(pygit2.Tree) if commit_id else None

    def _entry(self, path: str) -> pygit2.Object | None:
        if self._tree is None:
            return None
        try:
            return self._tree[path]
        except KeyError:
            return None

    def read(self, path: str) -> bytes | None:
        obj = self._entry(path)
        return obj.data if isinstance(obj, pygit2.Blob) else None

    def exists(self, path: str) -> bool:
        return self._entry(path) is not None

    def names(self, path: str = "") -> list[str]:
        """Names of the entries of the folder at ``path`` (empty when missing)."""
        tree = self._tree if not path else self._entry(path)
        return [str(e.name) for e in tree] if isinstance(tree, pygit2.Tree) else []

    def files(self, path: str, names: Iterable[str] | None = None) -> dict[str, bytes]:
        """Contents of the files in the folder at ``path`` (only ``names`` when given)."""
        tree = self._entry(path)
        if not isinstance(tree, pygit2.Tree):
            return {}
        wanted = set(names) if names is not None else None
        return {str(e.name): _data(self._repo, e.id) for e in tree
                if e.type_str == "blob" and (wanted is None or e.name in wanted)}

    def folder(self, path: str, names: Iterable[str]) -> tuple[dict[str, bytes], list[str]]:
        """One lookup for a run folder: the contents of its files among ``names``, and the
        names of the folders inside it."""
        tree = self._entry(path)
        if not isinstance(tree, pygit2.Tree):
            return {}, []
        wanted = set(names)
        files = {str(e.name): _data(self._repo, e.id) for e in tree
                 if e.type_str == "blob" and e.name in wanted}
        return files, [str(e.name) for e in tree if e.type_str == "tree"]

    def subtrees(self, path: str) -> list[tuple[str, str]]:
        """(name, tree id) of each folder directly inside ``path``."""
        tree = self._tree if not path else self._entry(path)
        if not isinstance(tree, pygit2.Tree):
            return []
        return [(str(e.name), str(e.id)) for e in tree if e.type_str == "tree"]

    def read_folders(self, path: str, depth: int,
                     names: tuple[str, ...]) -> Iterator[tuple[str, dict[str, bytes]]]:
        """For each folder exactly ``depth`` levels below ``path``: its path and the files
        among ``names`` it holds. One walk over the trees, no lookup from the root per
        file (listing 10k runs that way costs a third as much)."""
        tree = self._tree if not path else self._entry(path)
        if not isinstance(tree, pygit2.Tree):
            return
        yield from self._read_folders(tree, path, depth, names)

    def _read_folders(self, tree: pygit2.Tree, path: str, depth: int,
                      names: tuple[str, ...]) -> Iterator[tuple[str, dict[str, bytes]]]:
        if depth == 0:
            found = {}
            for name in names:
                entry = tree[name] if name in tree else None
                if entry is not None and entry.type_str == "blob":
                    found[name] = _data(self._repo, entry.id)
            yield path, found
            return
        for child in tree:
            if child.type_str == "tree":
                yield from self._read_folders(cast(pygit2.Tree, self._repo[child.id]),
                                              f"{path}/{child.name}", depth - 1, names)


@dataclass(frozen=True)
class Step:
    """What one attempt of a transaction produced: the commit to move the branch to
    (None: nothing to move, the transaction ends with ``value``)."""

    target: str | None
    value: Any = None


class BranchWriter:
    """The write half of the repository: one compare-and-swap transaction for every write."""

    repo: pygit2.Repository

    @property
    def common_dir(self) -> Path:  # overridden by GitStore
        raise NotImplementedError

    def signature(self) -> pygit2.Signature:  # overridden by GitStore
        raise NotImplementedError

    def tip(self) -> str | None:
        try:
            return str(self.repo.references[BRANCH].target)
        except KeyError:
            return None

    def view(self, commit_id: str | None = None) -> View:
        commit_id = commit_id or self.tip()
        view = View(self.repo, commit_id, self.common_dir)
        if commit_id and view.read("FORMAT") is None:
            raise ForeignBranch(BRANCH)
        return view

    # -- the transaction ---------------------------------------------------------------
    def _transact(self, attempt: Callable[[str | None], Step], reason: str) -> Any:
        """Run ``attempt(tip)`` until the branch moves to what it built (or it builds nothing).

        ``attempt`` may raise a ContextaError to abort: nothing is written then. It runs
        only when no lock is held on the branch, so work inside it (signing, say) is done
        once per real race, never once per poll of a stuck lock.
        """
        for tries in range(MAX_ATTEMPTS):
            self._await_lock()
            tip = self.tip()
            step = attempt(tip)
            if step.target is None:
                return step.value
            if self._move_ref(tip, step.target, reason):
                self._maybe_gc()
                return step.value
            time.sleep(random.uniform(0, 0.002 * min(tries + 1, 20)))
        raise RefMoved(BRANCH, MAX_ATTEMPTS)

    @property
    def _lock_path(self) -> Path:
        return self.common_dir / f"{BRANCH}.lock"

    def _await_lock(self) -> None:
        """Return once no lock file is held on the branch; name it when it stays."""
        lock = self._lock_path
        started = time.monotonic()
        while lock.exists():
            if time.monotonic() - started > LOCK_WAIT:
                try:
                    age = time.time() - lock.stat().st_mtime
                except OSError:
                    continue  # released just now
                raise RefLocked(str(lock), age)
            time.sleep(0.01)

    def _move_ref(self, tip: str | None, target: str, reason: str) -> bool:
        """Compare-and-swap the branch from ``tip`` to ``target``; False on a lost race."""
        if tip is None:
            return self._create_branch(target, reason)
        try:
            ref = self.repo.lookup_reference(BRANCH)
            if str(ref.target) != tip:
                return False
            ref.set_target(pygit2.Oid(hex=target), reason)  # libgit2 checks the old value
            return True
        except (OSError, pygit2.GitError) as exc:
            if "old reference value does not match" in str(exc):
                return False
            folder = self._lock_path.parent
            if "lock" in str(exc) and os.access(folder, os.W_OK | os.X_OK):
                return False  # another writer held the ref's lock for that instant
            raise self._write_failed(folder, exc) from exc

    def _create_branch(self, target: str, reason: str) -> bool:
        """Create the branch only if nobody has: git's update-ref with the all-zero old
        value checks absence under the ref's lock (libgit2's non-forced create checks it
        before taking the lock, and two first writers both won)."""
        cwd = self.common_dir
        done = git(["update-ref", "-m", reason, BRANCH, target, ZERO], cwd=cwd)
        if done.returncode == 0:
            return True
        if self.tip() is not None or self._lock_path.exists():
            return False
        raise WriteFailed(str(self.common_dir / BRANCH), last_line(done))

    def _write_failed(self, path: Path, exc: BaseException) -> WriteFailed:
        cause = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return WriteFailed(str(path), cause)

    def _new_commit(self, base: pygit2.Tree | None, changes: Mapping[str, bytes | None],
                    parents: list[str], message: str,
                    trailers: Mapping[str, str] | None, *, always: bool = False) -> str | None:
        """Write blobs, trees and a commit for ``changes`` on ``base`` (None: no change).

        OS errors (read-only repository, no space, a file-size limit) become one
        WriteFailed naming the object store; only unreachable objects can be left."""
        text = redact_text(message.rstrip()) + "\n"  # every commit message passes here
        if trailers:
            text += "\n" + "".join(f"{k}: {redact_text(v)}\n" for k, v in trailers.items())
        try:
            tree = self._write_tree(base, _nest(changes))
            if base is not None and tree == base.id and not always:
                return None
            signature = self.signature()
            oids = [pygit2.Oid(hex=p) for p in parents]
            return str(self.repo.create_commit(None, signature, signature, text, tree, oids))
        except (OSError, pygit2.GitError) as exc:
            raise self._write_failed(self.common_dir / "objects", exc) from exc

    def _write_tree(self, base: pygit2.Tree | None, nested: dict[str, object]) -> pygit2.Oid:
        builder = self.repo.TreeBuilder(base) if base is not None else self.repo.TreeBuilder()
        for name, value in nested.items():
            current = builder.get(name)
            if isinstance(value, dict):
                sub = (cast(pygit2.Tree, self.repo[current.id])
                       if current is not None and current.type_str == "tree" else None)
                sub_id = self._write_tree(sub, value)
                if len(cast(pygit2.Tree, self.repo[sub_id])) == 0:
                    if current is not None:
                        builder.remove(name)
                else:
                    builder.insert(name, sub_id, pygit2.GIT_FILEMODE_TREE)
            elif value is None:
                if current is not None:
                    builder.remove(name)
            else:
                assert isinstance(value, bytes)
                builder.insert(name, self.repo.create_blob(value), pygit2.GIT_FILEMODE_BLOB)
        return builder.write()

    def _maybe_gc(self) -> None:
        """Keep the object store packed without the user's help (loose objects pile up)."""
        if os.environ.get("CONTEXTA_GIT_NO_GC") or random.randrange(GC_EVERY):
            return
        git(["gc", "--auto", "--quiet"], cwd=self.common_dir, background=True)

    # -- the three kinds of write ------------------------------------------------------
    def commit(
        self,
        build: Callable[[View], Mapping[str, bytes | None] | None],
        message: str,
        trailers: Mapping[str, str] | None = None,
    ) -> str | None:
        """Commit what ``build`` returns for the current tip; retry on a lost race.

        ``build`` may raise a ContextaError to abort: nothing is written then.
        Returns the new commit id, or None when ``build`` had nothing to change.
        """
        def attempt(tip: str | None) -> Step:
            view = self.view(tip)
            changes = dict(build(view) or {})
            if tip is None:
                changes.setdefault("FORMAT", FORMAT.encode() + b"\n")
            if not changes:
                return Step(None)
            oid = self._new_commit(view._tree, changes, [tip] if tip else [], message, trailers)
            return Step(oid, oid)

        return cast("str | None", self._transact(attempt, _subject(message)))

    def commit_sealed(self, build: Callable[[View], Mapping[str, bytes | None]], message: str,
                      trailers: Mapping[str, str], seal: Callable[[str], str]) -> tuple[str, str]:
        """Like ``commit``, but ``seal(commit_id)`` runs before the branch moves.

        A failing seal (say, signing) leaves only unreachable objects; a lost race
        rebuilds and seals again on the new tip. Returns (commit id, what seal returned).
        """
        def attempt(tip: str | None) -> Step:
            view = self.view(tip)
            changes = dict(build(view))
            if tip is None:
                changes.setdefault("FORMAT", FORMAT.encode() + b"\n")
            oid = self._new_commit(view._tree, changes, [tip] if tip else [], message, trailers)
            if oid is None:
                raise WriteFailed(BRANCH, "nothing to seal: the change is already on the branch")
            return Step(oid, (oid, seal(oid)))

        return cast("tuple[str, str]", self._transact(attempt, _subject(message)))

    def merge(
        self,
        theirs: str,
        resolve: Callable[[View, View, View, set[str], set[str]], Mapping[str, bytes | None]],
        message: str | Callable[[], str],
        trailers: Mapping[str, str] | None = None,
        *,
        fast_forward: bool = True,
    ) -> tuple[str | None, str]:
        """Merge commit ``theirs`` into the runs branch; returns (new tip, how).

        ``how`` is ``up-to-date``, ``fast-forward`` or ``merge``. A real merge writes a
        commit with two parents (ours, theirs) whose tree is ours plus what ``resolve``
        returns for (base, ours, theirs, paths changed on ours, paths changed on theirs).
        ``message`` may be a callable, asked after ``resolve``. ``fast_forward=False``
        merges even when the tip could simply move to ``theirs`` (so that ``resolve`` can
        leave something of theirs out); with no tip yet, the commit's only parent is theirs.
        """
        if self.view(theirs).read("FORMAT") is None:
            raise ForeignBranch(theirs)

        def attempt(tip: str | None) -> Step:
            base = self.merge_base(tip, theirs) if tip else None
            if tip == theirs or (tip and base == theirs):
                return Step(None, (tip, "up-to-date"))
            if fast_forward and (tip is None or base == tip):
                return Step(theirs, (theirs, "fast-forward"))
            ours_view, theirs_view = self.view(tip), self.view(theirs)
            changes = resolve(View(self.repo, base, self.common_dir), ours_view, theirs_view,
                              self.changed_paths(base, tip) if tip else set(),
                              self.changed_paths(base, theirs))
            subject = message() if callable(message) else message
            parents = [c for c in (tip, theirs) if c]
            oid = self._new_commit(ours_view._tree, changes, parents, subject, trailers,
                                   always=True)
            assert oid is not None
            return Step(oid, (oid, "merge"))

        return cast("tuple[str | None, str]", self._transact(attempt, f"merge {theirs[:12]}"))

    def merge_base(self, a: str, b: str) -> str | None:
        base = self.repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b))
        return str(base) if base else None

    def changed_paths(self, old: str | None, new: str) -> set[str]:
        """Blob paths that differ between two commits (``old`` None: every path of ``new``)."""
        new_tree = self.repo[new].peel(pygit2.Tree)
        if old is None:
            return {p for p, _ in _blobs(self.repo, new_tree, "")}
        diff = self.repo[old].peel(pygit2.Tree).diff_to_tree(new_tree)
        return {path for d in diff.deltas for path in (d.old_file.path, d.new_file.path)}


def _subject(message: str) -> str:
    return message.splitlines()[0] if message.strip() else "contexta-git"


def _data(repo: pygit2.Repository, oid: pygit2.Oid) -> bytes:
    return cast(pygit2.Blob, repo[oid]).data


def _nest(changes: Mapping[str, bytes | None]) -> dict[str, object]:
    root: dict[str, object] = {}
    for path, data in changes.items():
        node = root
        *dirs, leaf = path.split("/")
        for part in dirs:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[leaf] = data
    return root


def _blobs(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, str]]:
    for entry in tree:
        path = f"{prefix}{entry.name}"
        if entry.type_str == "tree":
            yield from _blobs(repo, cast(pygit2.Tree, repo[entry.id]), f"{path}/")
        else:
            yield path, str(entry.id)


