"""All git plumbing: the only module that imports pygit2.

Writes never touch HEAD, the index or the working tree. A write reads the tip of
``refs/heads/contexta/runs``, lets the caller compute changed files from a
read-only view of that tip, builds blobs and trees bottom-up, writes a commit
and moves the ref with a compare-and-swap. A lost race rebuilds on the new tip.
The ref move is the commit point: a crash before it leaves only unreachable
objects.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pygit2

from contexta_git.errors import (
    ContextaError, ForeignBranch, NoIdentity, NotARepository, RefLocked, RefMoved,
)
from contexta_git.core.names import BRANCH, FORMAT

Changes = dict[str, "bytes | None"]  # path on the branch -> new content, None deletes
MAX_ATTEMPTS = 200
STALE_LOCK_SECONDS = 10.0  # a ref update holds its lock for milliseconds
GC_EVERY = 256  # on average, one `git gc --auto` in the background per this many writes


@dataclass(frozen=True)
class SourceInfo:
    """What the user's repository says about the code: never a pygit2 object."""

    commit: str | None
    branch: str | None
    dirty: bool
    diff_sha256: str | None
    remote: str | None


class View:
    """Read-only access to one commit of the runs branch (or to nothing yet)."""

    def __init__(self, repo: pygit2.Repository, commit_id: str | None) -> None:
        self._repo = repo
        self.commit_id = commit_id
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

    @property
    def common_dir(self) -> Path:
        """The git directory shared by all worktrees: where caches live."""
        return Path(getattr(self._repo, "commondir", None) or self._repo.path)

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


class GitStore:
    """One repository and its runs branch."""

    def __init__(self, path: str | os.PathLike[str] = ".") -> None:
        found = pygit2.discover_repository(str(path))
        if found is None:
            raise NotARepository(str(Path(path).resolve()))
        try:
            self.repo = pygit2.Repository(found)
        except pygit2.GitError as exc:
            raise NotARepository(str(path)) from exc
        self._identity: tuple[str, str] | None = None

    @classmethod
    def init(cls, path: str | os.PathLike[str]) -> GitStore:
        """Open the repository holding ``path``, or create one there when there is none."""
        target = Path(path)
        if target.exists() and pygit2.discover_repository(str(target)) is not None:
            return cls(target)
        target.mkdir(parents=True, exist_ok=True)
        pygit2.init_repository(str(target), initial_head="main")
        return cls(target)

    # -- locations -----------------------------------------------------------------
    @property
    def git_dir(self) -> Path:
        return Path(self.repo.path)

    @property
    def common_dir(self) -> Path:
        pointer = self.git_dir / "commondir"  # a linked worktree: pygit2 has no commondir
        if pointer.is_file():
            return (self.git_dir / pointer.read_text().strip()).resolve()
        common = getattr(self.repo, "commondir", None) or self.repo.path
        return Path(common)

    @property
    def workdir(self) -> Path | None:
        return Path(self.repo.workdir) if self.repo.workdir else None

    # -- reading -------------------------------------------------------------------
    def tip(self) -> str | None:
        try:
            return str(self.repo.references[BRANCH].target)
        except KeyError:
            return None

    def view(self, commit_id: str | None = None) -> View:
        commit_id = commit_id or self.tip()
        view = View(self.repo, commit_id)
        if commit_id and view.read("FORMAT") is None:
            raise ForeignBranch(BRANCH)
        return view

    def resolve_commit(self, rev: str) -> str | None:
        try:
            return str(self.repo.revparse_single(rev).peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError):
            return None

    # -- identity ------------------------------------------------------------------
    def signature(self) -> pygit2.Signature:
        """Committer identity from git's own configuration, as git would resolve it."""
        if self._identity is None:
            name = os.environ.get("GIT_COMMITTER_NAME")
            email = os.environ.get("GIT_COMMITTER_EMAIL")
            try:
                name = name or self.repo.config["user.name"]
                email = email or self.repo.config["user.email"]
            except (KeyError, pygit2.GitError):
                pass
            if not (name and email):  # libgit2 ignores GIT_CONFIG_GLOBAL and includes: ask git
                cwd = self.workdir or self.git_dir
                name = name or git(["config", "user.name"], cwd=cwd).stdout.decode().strip()
                email = email or git(["config", "user.email"], cwd=cwd).stdout.decode().strip()
            if not (name and email):
                raise NoIdentity()
            self._identity = (name, email)
        return pygit2.Signature(*self._identity)

    # -- writing -------------------------------------------------------------------
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
        signature = self.signature()
        text = message.rstrip() + "\n"
        if trailers:
            text += "\n" + "".join(f"{k}: {v}\n" for k, v in trailers.items())
        for attempt in range(MAX_ATTEMPTS):
            tip = self.tip()
            view = self.view(tip)
            changes = dict(build(view) or {})
            if tip is None:
                changes.setdefault("FORMAT", FORMAT.encode() + b"\n")
            if not changes:
                return None
            base = view._tree
            tree = self._write_tree(base, _nest(changes))
            if base is not None and tree == base.id:
                return None
            parents = [pygit2.Oid(hex=tip)] if tip else []
            oid = self.repo.create_commit(None, signature, signature, text, tree, parents)
            if self._move_ref(tip, oid, message.splitlines()[0]):
                self._maybe_gc()
                return str(oid)
            self._check_stale_lock()
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
        raise RefMoved(BRANCH, MAX_ATTEMPTS)

    def _check_stale_lock(self) -> None:
        """A lock file that outlives any real write means a writer died holding it."""
        lock = self.common_dir / f"{BRANCH}.lock"
        try:
            age = time.time() - lock.stat().st_mtime
        except OSError:
            return
        if age > STALE_LOCK_SECONDS:
            raise RefLocked(str(lock), age)

    def _move_ref(self, tip: str | None, oid: pygit2.Oid, reason: str) -> bool:
        try:
            if tip is None:
                self.repo.create_reference_direct(BRANCH, oid, False, message=reason)
            else:
                ref = self.repo.lookup_reference(BRANCH)
                if str(ref.target) != tip:
                    return False
                ref.set_target(oid, reason)
            return True
        except pygit2.AlreadyExistsError:
            return False
        except OSError as exc:  # another writer holds the ref's lock file right now
            if "lock" in str(exc):
                return False
            raise ContextaError(f"could not update {BRANCH}: {exc}") from exc
        except pygit2.GitError as exc:
            text = str(exc)
            if "old reference value does not match" in text or "lock" in text:
                return False
            raise ContextaError(f"could not update {BRANCH}: {text}") from exc

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
        git(["gc", "--auto", "--quiet"], cwd=self.git_dir, background=True)

    # -- merging -----------------------------------------------------------------------
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
        The ref moves by compare-and-swap; a lost race merges again on the new tip.
        ``message`` may be a callable, asked after ``resolve``. ``fast_forward=False``
        merges even when the tip could simply move to ``theirs`` (so that ``resolve`` can
        leave something of theirs out); with no tip yet, the commit's only parent is theirs.
        """
        if self.view(theirs).read("FORMAT") is None:
            raise ForeignBranch(theirs)
        for attempt in range(MAX_ATTEMPTS):
            tip = self.tip()
            base = self.merge_base(tip, theirs) if tip else None
            if tip == theirs or (tip and base == theirs):
                return tip, "up-to-date"
            if fast_forward and (tip is None or base == tip):
                if self._move_ref(tip, pygit2.Oid(hex=theirs), f"fast-forward to {theirs[:12]}"):
                    return theirs, "fast-forward"
                continue
            ours_view, theirs_view = self.view(tip), self.view(theirs)
            base_view = View(self.repo, base)
            changes = resolve(base_view, ours_view, theirs_view,
                              self.changed_paths(base, tip) if tip else set(),
                              self.changed_paths(base, theirs))
            tree = self._write_tree(ours_view._tree, _nest(changes))
            subject = message() if callable(message) else message
            text = subject.rstrip() + "\n"
            if trailers:
                text += "\n" + "".join(f"{k}: {v}\n" for k, v in trailers.items())
            signature = self.signature()
            parents = [pygit2.Oid(hex=c) for c in (tip, theirs) if c]
            oid = self.repo.create_commit(None, signature, signature, text, tree, parents)
            if self._move_ref(tip, oid, subject.splitlines()[0]):
                self._maybe_gc()
                return str(oid), "merge"
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
        raise RefMoved(BRANCH, MAX_ATTEMPTS)

    def blob_at(self, commit: str, path: str) -> bytes | None:
        """The content of ``path`` in a commit of the user's code (None when not tracked)."""
        try:
            obj = self.repo[commit].peel(pygit2.Tree)[path]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return obj.data if isinstance(obj, pygit2.Blob) else None

    def patch_id(self, commit: str) -> str | None:
        """git's stable patch id of a commit against its first parent (None: empty diff)."""
        obj = self.repo[commit].peel(pygit2.Commit)
        new_tree = obj.tree
        if obj.parents:
            diff = obj.parents[0].tree.diff_to_tree(new_tree)
        else:
            diff = new_tree.diff_to_tree(swap=True)
        return str(diff.patchid) if len(diff) else None

    # -- the user's own code ---------------------------------------------------------
    def source(self) -> SourceInfo:
        """Commit, branch, dirty flag, digest of the uncommitted diff, cleaned remote URL."""
        import hashlib

        from contexta_git.core.redact import clean_url

        repo = self.repo
        if repo.is_bare or repo.head_is_unborn:
            return SourceInfo(None, None, False, None, None)
        head = repo.head
        branch = None if repo.head_is_detached else head.shorthand
        dirty_flags = pygit2.GIT_STATUS_IGNORED | pygit2.GIT_STATUS_WT_NEW
        dirty = any(flags & ~dirty_flags for flags in repo.status(untracked_files="no").values())
        digest = None
        if dirty:
            patch = head.peel(pygit2.Commit).tree.diff_to_workdir().patch or ""
            digest = hashlib.sha256(patch.encode()).hexdigest()
        remote = None
        if repo.remotes:
            names = [n for n in repo.remotes.names() if n]
            chosen = "origin" if "origin" in names else names[0]
            remote = clean_url(repo.remotes[chosen].url or "")
        return SourceInfo(
            str(head.target), branch, dirty, digest, remote
        )

    # -- tags and signed objects --------------------------------------------------------
    # pygit2 cannot sign: callers build the exact tag bytes, sign them with git's
    # configured program (signing.py), and hand the result here to be stored.
    def commit_sealed(self, build: Callable[[View], Mapping[str, bytes | None]], message: str,
                      trailers: Mapping[str, str], seal: Callable[[str], str]) -> tuple[str, str]:
        """Like ``commit``, but ``seal(commit_id)`` runs before the branch moves.

        A failing seal (say, signing) leaves only unreachable objects; a lost race
        rebuilds and seals again on the new tip. Returns (commit id, what seal returned).
        """
        signature = self.signature()
        text = message.rstrip() + "\n\n" + "".join(f"{k}: {v}\n" for k, v in trailers.items())
        for attempt in range(MAX_ATTEMPTS):
            tip = self.tip()
            view = self.view(tip)
            changes = dict(build(view))
            if tip is None:
                changes.setdefault("FORMAT", FORMAT.encode() + b"\n")
            tree = self._write_tree(view._tree, _nest(changes))
            parents = [pygit2.Oid(hex=tip)] if tip else []
            oid = self.repo.create_commit(None, signature, signature, text, tree, parents)
            sealed = seal(str(oid))
            if self._move_ref(tip, oid, message.splitlines()[0]):
                return str(oid), sealed
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))
        raise RefMoved(BRANCH, MAX_ATTEMPTS)

    def write_tag_object(self, raw: bytes) -> str:
        """Store the exact bytes of a tag object (signed or not); returns its id."""
        return str(self.repo.odb.write(pygit2.enums.ObjectType.TAG, raw))

    def read_object(self, oid: str) -> tuple[str, bytes] | None:
        """(type name, raw bytes) of an object, or None when it is not there."""
        try:
            kind, data = self.repo.odb.read(oid)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        names = {pygit2.enums.ObjectType.COMMIT: "commit", pygit2.enums.ObjectType.TREE: "tree",
                 pygit2.enums.ObjectType.BLOB: "blob", pygit2.enums.ObjectType.TAG: "tag"}
        return names.get(kind, str(kind)), bytes(data)

    def create_ref(self, name: str, target: str, reason: str) -> bool:
        """Create ``name`` pointing at ``target``; never overwrites (False when it exists)."""
        try:
            self.repo.create_reference_direct(name, pygit2.Oid(hex=target), False, message=reason)
        except pygit2.AlreadyExistsError:
            return False
        return True

    def ref_target(self, name: str) -> str | None:
        """What ``name`` points at directly (for an annotated tag: the tag object)."""
        try:
            ref = self.repo.references[name]
        except (KeyError, pygit2.InvalidSpecError):
            return None
        return str(ref.target) if not isinstance(ref.target, str) else None

    def ref_names(self, prefix: str) -> list[str]:
        return sorted(r for r in self.repo.references if r.startswith(prefix))

    def parents(self, commit_id: str) -> list[str]:
        obj = self.repo.get(commit_id)
        return [str(p) for p in obj.parent_ids] if isinstance(obj, pygit2.Commit) else []


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


def git(
    args: list[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    background: bool = False,
    check: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real git with hook-inherited variables stripped (they point elsewhere)."""
    env = {k: v for k, v in os.environ.items() if k not in _HOOK_VARS}
    if background:
        subprocess.Popen(
            ["git", *args], cwd=cwd, env=env, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return subprocess.CompletedProcess(args, 0, b"", b"")
    result = subprocess.run(["git", *args], cwd=cwd, env=env, input=input, capture_output=True)
    if check and result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise ContextaError(f"git {args[0]} failed: {detail[-1] if detail else result.returncode}")
    return result


_HOOK_VARS = {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY"}


def _blobs(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str) -> Iterator[tuple[str, str]]:
    for entry in tree:
        path = f"{prefix}{entry.name}"
        if entry.type_str == "tree":
            yield from _blobs(repo, cast(pygit2.Tree, repo[entry.id]), f"{path}/")
        else:
            yield path, str(entry.id)
