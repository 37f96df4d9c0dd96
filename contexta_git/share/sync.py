"""Share runs through git remotes: ``push`` and ``pull`` of contexta/runs and certificate tags.

The plain-git equivalents (see the README):

    git push REMOTE refs/heads/contexta/runs:refs/heads/contexta/runs \
                    'refs/tags/contexta/cert/*:refs/tags/contexta/cert/*' \
                    'refs/tags/contexta/alias/*:refs/tags/contexta/alias/*'
    git fetch --no-tags REMOTE +refs/heads/contexta/runs:refs/remotes/REMOTE/contexta/runs \
                    'refs/tags/contexta/cert/*:refs/tags/contexta/cert/*' \
                    'refs/tags/contexta/alias/*:refs/tags/contexta/alias/*'

then a merge of ``refs/remotes/REMOTE/contexta/runs`` into ``contexta/runs`` that git cannot
do without a checkout; ``pull`` does it in the object store (see merge.py for the rules).
Tags are pushed and fetched without ``+``: git refuses to move an existing certificate tag.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from contexta_git.core import records
from contexta_git.core.schema import RunProblem
from contexta_git.errors import ContextaError
from contexta_git.git.repo import GitStore, View, git
from contexta_git.store.merge import Resolution, resolve, run_folder, run_ref
from contexta_git.core.names import ALIAS_TAG_PREFIX, BRANCH, CERT_TAG_PREFIX
from contexta_git.store import ledgers, quarantines
from contexta_git.store.runs import Runs, problem

RUNS_REFSPEC = f"{BRANCH}:{BRANCH}"
TAGS_REFSPEC = f"{CERT_TAG_PREFIX}*:{CERT_TAG_PREFIX}*"
ALIAS_REFSPEC = f"{ALIAS_TAG_PREFIX}*:{ALIAS_TAG_PREFIX}*"  # the signed tags of alias moves
PUSH_ATTEMPTS = 3


class NoSuchRemote(ContextaError):
    def __init__(self, remote: str) -> None:
        self.remote = remote
        super().__init__(f"no remote named {remote!r}; add one with git remote add {remote} URL")


class PushRejected(ContextaError):
    def __init__(self, remote: str, detail: str) -> None:
        self.remote, self.detail = remote, detail
        super().__init__(f"{remote} refused contexta/runs ({detail}); "
                         f"run contexta-git pull {remote}, then push again")


class NothingToPush(ContextaError):
    def __init__(self) -> None:
        super().__init__("no runs recorded yet: contexta/runs does not exist")


@dataclass(frozen=True)
class PullResult:
    remote: str
    how: str  # no-remote-runs, up-to-date, fast-forward, merge
    tip: str | None
    added: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # certificate tags fetched
    removed: tuple[str, ...] = ()  # runs of ours the incoming history deleted (rm)
    previous: str | None = None  # the tip before the pull: it still holds what was removed
    refused: tuple[RunProblem, ...] = ()  # incoming runs that cannot be read: not merged


@dataclass(frozen=True)
class PushResult:
    remote: str
    tip: str
    pulled: tuple[PullResult, ...] = ()  # merges done because the remote had moved
    tags: tuple[str, ...] = ()  # certificate tags the remote did not have


def tracking_ref(remote: str) -> str:
    return f"refs/remotes/{remote}/contexta/runs"


def _cwd(store: GitStore) -> str:
    return str(store.workdir or store.git_dir)


def _check_remote(store: GitStore, remote: str) -> None:
    names = git(["remote"], cwd=_cwd(store)).stdout.decode().split()
    if remote not in names:
        raise NoSuchRemote(remote)


def pull(runs: Runs, remote: str = "origin", *,
         progress: Callable[[int, int | None, str], None] | None = None) -> PullResult:
    """Fetch the remote's runs and certificates, then merge its runs into contexta/runs.
    ``progress(step, steps, what)`` hears of each step (the CLI draws it)."""
    store = runs.store
    report = progress or (lambda done, total, what: None)
    _check_remote(store, remote)
    report(0, 2, f"fetching from {remote}")
    ref = tracking_ref(remote)
    known_tags = _cert_tags(store)
    fetched = git(["fetch", "--no-tags", remote, f"+{BRANCH}:{ref}", TAGS_REFSPEC, ALIAS_REFSPEC],
                  cwd=_cwd(store))
    if fetched.returncode != 0 and b"couldn't find remote ref" in fetched.stderr:
        tags = git(["fetch", "--no-tags", remote, TAGS_REFSPEC, ALIAS_REFSPEC], cwd=_cwd(store))
        _fail_unless_ok(tags, "fetch", remote)
        return PullResult(remote, "no-remote-runs", store.tip(),
                          tags=tuple(sorted(_cert_tags(store) - known_tags)),
                          previous=store.tip())
    _fail_unless_ok(fetched, "fetch", remote)
    theirs = store.ref_target(ref)
    assert theirs is not None
    report(1, 2, "merging runs")
    previous = store.tip()
    tip, how, result = merge_runs(store, theirs, remote)
    if how == "merge":  # the merge may have landed on a tip newer than the one read above
        parents = store.parents(tip) if tip else []
        previous = parents[0] if parents else previous
    return PullResult(remote, how, tip, tuple(sorted(result.added)), tuple(sorted(result.merged)),
                      tuple(sorted(result.kept)), tuple(result.notes),
                      tuple(sorted(_cert_tags(store) - known_tags)),
                      tuple(sorted(result.removed)), previous, tuple(result.refused))


def merge_runs(store: GitStore, theirs: str, label: str) -> tuple[str | None, str, Resolution]:
    """Merge commit ``theirs`` into contexta/runs (fast-forward when possible)."""
    result = Resolution()

    def build(base: View, ours: View, other: View, mine: set[str],
              changed: set[str]) -> dict[str, bytes | None]:
        nonlocal result
        result = resolve(base, ours, other, mine, changed)
        return result.changes

    old = store.tip()
    before = store.view(old) if old else None
    tip, how = store.merge(theirs, build, lambda: _describe(label, result),
                           {"Contexta-Merge": f"{label} {theirs}"},
                           fast_forward=not _brings_unreadable(store, old, theirs))
    if how == "fast-forward":
        result = _fast_forwarded(store, before, old, theirs)
    return tip, how, result


def push(runs: Runs, remote: str = "origin", *, retry: bool = True,
         progress: Callable[[int, int | None, str], None] | None = None) -> PushResult:
    """Push contexta/runs and every certificate tag; a remote that moved is pulled and
    merged first, then pushed again (``retry``), at most a few times."""
    store = runs.store
    report = progress or (lambda done, total, what: None)
    if store.tip() is None:
        raise NothingToPush()
    pulled: list[PullResult] = []
    for attempt in range(PUSH_ATTEMPTS):
        report(attempt, None, f"pushing to {remote}" + (f" (try {attempt + 1})" if attempt else ""))
        pushed = git(["push", "--porcelain", "--no-verify", remote, RUNS_REFSPEC, TAGS_REFSPEC,
                      ALIAS_REFSPEC], cwd=_cwd(store))
        lines = pushed.stdout.decode(errors="replace").splitlines()
        runs_line = next((ln for ln in lines if f"\t{RUNS_REFSPEC}\t" in ln), "")
        if runs_line.startswith("!") and "rejected" in runs_line:
            detail = runs_line.split("\t")[-1].strip()
            if not retry:
                raise PushRejected(remote, detail)
            pulled.append(pull(runs, remote))
            continue
        tag_errors = [ln for ln in lines if ln.startswith("!") and CERT_TAG_PREFIX in ln]
        if tag_errors:
            name = tag_errors[0].split("\t")[1].split(":")[-1].removeprefix("refs/tags/")
            raise ContextaError(f"{remote} already has a different tag {name}; "
                                "certificate tags are never moved")
        _fail_unless_ok(pushed, "push")
        tags = tuple(ln.split("\t")[1].split(":")[-1].removeprefix("refs/tags/")
                     for ln in lines if ln.startswith("*") and CERT_TAG_PREFIX in ln)
        tip = store.tip()
        assert tip is not None
        return PushResult(remote, tip, tuple(pulled), tags)
    raise PushRejected(remote, f"it moved again during {PUSH_ATTEMPTS} tries")


def _fail_unless_ok(result: subprocess.CompletedProcess[bytes], verb: str,
                    remote: str = "origin") -> None:
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines()
        clash = next((ln.split()[2] for ln in lines
                      if "would clobber existing tag" in ln and len(ln.split()) > 2), None)
        if clash:
            raise ContextaError(_clash_advice(clash, remote))
        detail = next((ln for ln in lines if ln.startswith(("fatal", "error", "!"))),
                      lines[-1] if lines else f"exit {result.returncode}")
        raise ContextaError(f"git {verb} failed: {detail.removeprefix('fatal: ')}")


def _clash_advice(tag: str, remote: str) -> str:
    """A remote's certificate tag differs from ours: one of them may be forged. Say how
    to check both without importing theirs (a side ref is never a certificate tag)."""
    aside = f"refs/contexta/remote-tags/{remote}/{tag}"
    return (f"certificate {tag} here differs from {remote}'s, and certificates are never moved; "
            f"one of them may be forged. Check both before changing anything, without "
            f"importing theirs: contexta-git verify {tag} (yours); git fetch --no-tags {remote} "
            f"+refs/tags/{tag}:{aside} && contexta-git verify {aside} (theirs). Keep the one "
            f"that verifies; never import a tag that does not")


def _cert_tags(store: GitStore) -> set[str]:
    listed = git(["for-each-ref", "--format=%(refname)", CERT_TAG_PREFIX], cwd=_cwd(store))
    return {ln.removeprefix("refs/tags/") for ln in listed.stdout.decode().split()}


def _fast_forwarded(store: GitStore, before: View | None, old: str | None,
                    new: str) -> Resolution:
    """What a fast-forward did: new folders are added, the others merged or removed."""
    out = Resolution()
    after = store.view(new)
    for folder in {f for f in map(run_folder, store.changed_paths(old, new)) if f}:
        head = f"{folder}/{records.RUN}"
        known = before is not None and before.exists(head)
        if after.exists(head):
            (out.merged if known else out.added).add(run_ref(folder))
        elif known:
            out.removed.add(run_ref(folder))
    return out


def _brings_unreadable(store: GitStore, old: str | None, theirs: str) -> bool:
    """Whether a fast-forward to ``theirs`` would bring a run that cannot be read (then
    pull merges instead, and the resolver refuses that run)."""
    if old is not None and store.merge_base(old, theirs) != old:
        return False  # no fast-forward possible: the resolver sees every incoming run
    view = store.view(theirs)
    changed = store.changed_paths(old, theirs)
    folders = {f for f in map(run_folder, changed) if f}
    found = [p for p in changed if quarantines.is_ledger(p)]
    return (any(view.names(f) and problem(view, f) for f in folders)
            or any(quarantines.ledger_problem(p, view.read(p)) for p in found)
            or any(ledgers.unreadable(view, p) for p in changed if ledgers.table_of(p)))


def _describe(remote: str, result: Resolution) -> str:
    removed = f", {len(result.removed)} removed" if result.removed else ""
    refused = f", {len(result.refused)} refused (unreadable)" if result.refused else ""
    return (f"merge runs from {remote}: {len(result.added)} new, {len(result.merged)} merged"
            f"{removed}{refused}")
