"""The user's repository: opening it, where its git directories are, who commits, and
what it says about the code. The runs branch's views and its one write transaction are
in ``branch.py``; every git subprocess and config read in ``process.py``. Only this
package imports pygit2.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import cast

import pygit2

from contexta_git.core.names import BRANCH
from contexta_git.errors import NoIdentity, NotARepository, RefLocked, WriteFailed
from contexta_git.git import branch
from contexta_git.git.branch import ZERO, BranchWriter, Changes, View
from contexta_git.git.process import config_value, git, last_line

__all__ = ["BRANCH", "Changes", "GitStore", "SourceInfo", "View", "git"]


@dataclass(frozen=True)
class SourceInfo:
    """What the user's repository says about the code: never a pygit2 object."""

    commit: str | None
    branch: str | None
    dirty: bool
    diff_sha256: str | None
    remote: str | None


@dataclass(frozen=True)
class Uncommitted:
    patch: str  # unified diff of the text files
    binary: tuple[str, ...]  # binary files changed, named only


class GitStore(BranchWriter):
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
        self._histories: dict[tuple[str | None, str], dict[str, list[str]]] = {}

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

    @cached_property
    def common_dir(self) -> Path:
        """The git directory shared by every worktree: the runs branch, hooks and caches.
        (In a linked worktree ``git_dir`` is ``.git/worktrees/<name>``.)"""
        pointer = self.git_dir / "commondir"
        if pointer.is_file():
            return (self.git_dir / pointer.read_text().strip()).resolve()
        return self.git_dir

    @property
    def workdir(self) -> Path | None:
        return Path(self.repo.workdir) if self.repo.workdir else None

    # -- reading (tip and view come from BranchWriter) ------------------------------
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
                name = name or config_value(cwd, "user.name")
                email = email or config_value(cwd, "user.email")
            if not (name and email):
                raise NoIdentity()
            self._identity = (name, email)
        return pygit2.Signature(*self._identity)

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
        return self.source_and_change()[0]

    def source_and_change(self) -> tuple[SourceInfo, Uncommitted]:
        """``source`` and, when the tree is dirty, its uncommitted change to tracked files
        against HEAD as ``git diff HEAD`` prints it, less binary files, which are only named
        (untracked files are not in it, as they are not in ``dirty``): one diff of the
        working tree for both."""
        import hashlib

        from contexta_git.core.redact import clean_url

        repo = self.repo
        if repo.is_bare or repo.head_is_unborn:
            return SourceInfo(None, None, False, None, None), Uncommitted("", ())
        head = repo.head
        branch = None if repo.head_is_detached else head.shorthand
        dirty_flags = pygit2.GIT_STATUS_IGNORED | pygit2.GIT_STATUS_WT_NEW
        dirty = any(flags & ~dirty_flags for flags in repo.status(untracked_files="no").values())
        digest = None
        change = Uncommitted("", ())
        if dirty:
            diff = head.peel(pygit2.Commit).tree.diff_to_workdir()
            digest = hashlib.sha256((diff.patch or "").encode()).hexdigest()
            change = _uncommitted(diff)
        remote = None
        if repo.remotes:
            names = [n for n in repo.remotes.names() if n]
            chosen = "origin" if "origin" in names else names[0]
            remote = clean_url(repo.remotes[chosen].url or "")
        return SourceInfo(str(head.target), branch, dirty, digest, remote), change

    def add_worktree(self, path: Path, commit: str) -> None:
        """A detached worktree of the user's repository at ``commit``."""
        done = git(["worktree", "add", "--detach", str(path), commit],
                   cwd=self.workdir or self.git_dir)
        if done.returncode != 0:
            raise WriteFailed(str(path), last_line(done))

    def apply_patch(self, path: Path, patch: bytes) -> str | None:
        """``git apply`` the patch in the worktree at ``path``; None, or why it failed."""
        done = git(["apply", "--whitespace=nowarn", "-"], cwd=path, input=patch)
        return None if done.returncode == 0 else last_line(done)

    # -- tags: pygit2 cannot sign; git/tags.py builds and signs the exact bytes ------
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
        """Create ``name`` pointing at ``target``; never overwrites (False when it exists).

        git's update-ref with the all-zero old value checks absence under the ref's lock
        (libgit2's non-forced create checks before locking: two creators could both win).
        A lock that does not clear in ``LOCK_WAIT`` seconds (a writer killed while holding
        it) is named with the fix, as for the branch.
        """
        lock = self.common_dir / f"{name}.lock"
        started = time.monotonic()
        while True:
            done = git(["update-ref", "-m", reason, name, target, ZERO], cwd=self.common_dir)
            if done.returncode == 0:
                return True
            if name in self.ref_names(name):
                return False
            try:
                age = time.time() - lock.stat().st_mtime
            except OSError:
                raise WriteFailed(str(self.common_dir / name), last_line(done)) from None
            if time.monotonic() - started > branch.LOCK_WAIT:
                raise RefLocked(str(lock), age)
            time.sleep(0.01)

    def ref_target(self, name: str) -> str | None:
        """What ``name`` points at directly (for an annotated tag: the tag object)."""
        try:
            ref = self.repo.references[name]
        except (KeyError, pygit2.InvalidSpecError):
            return None
        return str(ref.target) if not isinstance(ref.target, str) else None

    def ref_names(self, prefix: str) -> list[str]:
        return sorted(r for r in self.repo.references if r.startswith(prefix))

    def path_versions(self, path: str) -> list[bytes]:
        """Every distinct content ``path`` had in the history of the runs branch tip,
        merged-in histories included, oldest first (what rm or a merge dropped is still
        found here)."""
        name = path.rpartition("/")[2]
        history = self._file_history(name)
        return [cast(pygit2.Blob, self.repo[oid]).data for oid in history.get(path, [])]

    def _file_history(self, name: str) -> dict[str, list[str]]:
        """For every path ending in ``/name``: the blob ids it had in any commit reachable
        from the tip, oldest first. git's own path-limited log does it in one pass (C,
        a few hundred milliseconds for 10k commits, any number of paths): every commit
        that changed such a path, side branches included (``--full-history``), merges
        as their change against the first parent, so each version shows where it first
        appears. Kept for this tip."""
        tip = self.tip()
        key = (tip, name)
        if key in self._histories:
            return self._histories[key]
        found: dict[str, list[str]] = {}
        if tip is not None:
            log = git(["log", "--format=", "--raw", "-z", "--no-abbrev", "--no-renames",
                       "--full-history", "--diff-merges=first-parent", "--topo-order",
                       "--reverse", tip, "--", f":(glob)**/{name}"], cwd=self.common_dir,
                      check=True)
            fields = log.stdout.decode(errors="replace").split("\0")
            for head, path in itertools.pairwise(fields):
                parts = head.strip().split()
                if head.strip().startswith(":") and len(parts) == 5 and parts[3] != ZERO:
                    versions = found.setdefault(path, [])
                    if parts[3] not in versions:
                        versions.append(parts[3])
        self._histories = {key: found}  # one tip at a time
        return found

    def parents(self, commit_id: str) -> list[str]:
        obj = self.repo.get(commit_id)
        return [str(p) for p in obj.parent_ids] if isinstance(obj, pygit2.Commit) else []


def _uncommitted(diff: pygit2.Diff) -> Uncommitted:
    """A diff's text patches joined, and the paths of its binary files."""
    texts: list[str] = []
    binary: list[str] = []
    for patch in diff:
        if patch is None:
            continue
        if patch.delta.is_binary:
            binary.append(patch.delta.new_file.path)
        else:
            texts.append(patch.text or "")
    return Uncommitted("".join(texts), tuple(binary))
