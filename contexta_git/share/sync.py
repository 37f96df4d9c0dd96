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
``pull`` also fetches ``+refs/contexta/incoming/*:refs/contexta/incoming-from/REMOTE/*``
(writers' runs not ingested yet, see ingest.py) and merges each; REMOTE may be a bundle file.
"""

from __future__ import annotations

import itertools
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contexta_git.core import records
from contexta_git.core.schema import RunProblem
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.git.process import last_line
from contexta_git.git.repo import GitStore, View, git
from contexta_git.store.merge import Resolution, resolve, run_folder, run_ref
from contexta_git.core.names import (
    ALIAS_TAG_PREFIX, BRANCH, CERT_TAG_PREFIX, INCOMING_PREFIX, check_writer, incoming_ref)
from contexta_git.store import ledgers, quarantines
from contexta_git.store.runs import Runs, problem

RUNS_REFSPEC = f"{BRANCH}:{BRANCH}"
TAGS_REFSPEC = f"{CERT_TAG_PREFIX}*:{CERT_TAG_PREFIX}*"
ALIAS_REFSPEC = f"{ALIAS_TAG_PREFIX}*:{ALIAS_TAG_PREFIX}*"  # the signed tags of alias moves
BUNDLE_REF = "refs/contexta/bundle/runs"  # the runs of the last bundle pulled
DEADLINE = 60.0  # seconds a push keeps retrying against a remote that keeps moving
BACKOFF_BASE, BACKOFF_CAP = 0.05, 2.0


class NoSuchRemote(ContextaError):
    def __init__(self, remote: str) -> None:
        self.remote = remote
        super().__init__(f"no remote named {remote!r}; add one with git remote add {remote} URL")


class PushRejected(ContextaError):
    def __init__(self, remote: str, detail: str, raced: bool = True) -> None:
        self.remote, self.detail = remote, detail
        fix = (f"run contexta-git pull {remote}, then push again" if raced else
               "the server declined it for good: ask its administrator, retrying will not help")
        super().__init__(f"{remote} refused contexta/runs ({detail}); {fix}")


class PushGaveUp(ContextaError):
    def __init__(self, remote: str, attempts: int, seconds: float, merges: int) -> None:
        self.remote, self.attempts, self.seconds = remote, attempts, seconds
        super().__init__(f"{remote} kept moving: contexta/runs not pushed after {attempts} "
                         f"attempts in {seconds:.1f} s ({merges} merged, kept here); push "
                         "again later, raise --deadline, or batch pushes with --every")


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
    writers: tuple[str, ...] = ()  # writers whose incoming ref brought something new


@dataclass(frozen=True)
class PushResult:
    remote: str
    tip: str
    pulled: tuple[PullResult, ...] = ()  # merges done because the remote had moved
    tags: tuple[str, ...] = ()  # certificate tags the remote did not have
    attempts: int = 1  # pushes tried: one more than the merges in ``pulled``
    seconds: float = 0.0  # from the first try to the one that landed
    ref: str = BRANCH  # where the runs went: the branch, or a writer's incoming ref


def tracking_ref(remote: str) -> str:
    return f"refs/remotes/{remote}/contexta/runs"


def incoming_copy(remote: str) -> str:
    """Where ``pull`` keeps its copies of a remote's incoming refs (``<prefix><writer>``)."""
    return f"refs/contexta/incoming-from/{remote}/"


def _cwd(store: GitStore) -> str:
    return str(store.workdir or store.git_dir)


def _source(store: GitStore, remote: str) -> tuple[str, str]:
    """(what git fetches from, the ref its runs land in): a remote, or a bundle file."""
    names = git(["remote"], cwd=_cwd(store)).stdout.decode().split()
    if remote in names:
        return remote, tracking_ref(remote)
    path = Path(remote)
    if path.is_file():
        checked = git(["bundle", "verify", str(path.resolve())], cwd=_cwd(store))
        if b"lacks these prerequisite" in checked.stderr:
            raise InvalidValue(f"{remote} holds only runs newer than commits this repository "
                               "lacks (made with --since): pull the earlier bundle first")
        if checked.returncode != 0:
            raise InvalidValue(f"{remote} is not a bundle this repository can read: "
                               f"{last_line(checked).removeprefix('error: ')}")
        return str(path.resolve()), BUNDLE_REF
    raise NoSuchRemote(remote)


def pull(runs: Runs, remote: str = "origin", *,
         progress: Callable[[int, int | None, str], None] | None = None) -> PullResult:
    """Fetch the remote's runs, certificates, alias tags and incoming refs (writers' runs not
    ingested yet), then merge them into contexta/runs. ``remote`` may also be a bundle file
    (``bundle create``). ``progress(step, steps, what)`` hears of each step."""
    store = runs.store
    report = progress or (lambda done, total, what: None)
    url, ref = _source(store, remote)
    report(0, 2, f"fetching from {remote}")
    known_tags = _cert_tags(store)
    copies = incoming_copy(remote) if ref != BUNDLE_REF else None
    extra = [f"+{INCOMING_PREFIX}*:{copies}*"] if copies else []
    if copies:  # ingested refs are gone from the remote: forget ours before fetching
        _delete_refs(store, _refs(store, copies), copies)
    fetched = git(["fetch", "--no-tags", url, f"+{BRANCH}:{ref}", *extra, TAGS_REFSPEC,
                   ALIAS_REFSPEC], cwd=_cwd(store))
    theirs: str | None = None
    if fetched.returncode != 0 and b"couldn't find remote ref" in fetched.stderr:
        rest = git(["fetch", "--no-tags", url, *extra, TAGS_REFSPEC, ALIAS_REFSPEC],
                   cwd=_cwd(store))
        _fail_unless_ok(rest, "fetch", remote)
    else:
        _fail_unless_ok(fetched, "fetch", remote)
        theirs = store.ref_target(ref)
    report(1, 2, "merging runs")
    previous = store.tip()
    how, result, tip = "no-remote-runs", Resolution(), previous
    if theirs is not None:
        tip, how, result = merge_runs(store, theirs, remote)
        if how == "merge":  # the merge may have landed on a tip newer than the one read above
            parents = store.parents(tip) if tip else []
            previous = parents[0] if parents else previous
    writers = []
    for name, target in (_refs(store, copies).items() if copies else ()):
        tip, done, more = merge_runs(store, target, f"{remote} incoming {name}")
        if done != "up-to-date":
            writers.append(name)
            _absorb(result, more)
    return PullResult(remote, how, tip, tuple(sorted(result.added)), tuple(sorted(result.merged)),
                      tuple(sorted(result.kept)), tuple(result.notes),
                      tuple(sorted(_cert_tags(store) - known_tags)),
                      tuple(sorted(result.removed)), previous, tuple(result.refused),
                      tuple(writers))


def _refs(store: GitStore, prefix: str) -> dict[str, str]:
    """{name after ``prefix``: commit} of the refs under ``prefix``."""
    listed = git(["for-each-ref", "--format=%(refname) %(objectname)", prefix], cwd=_cwd(store))
    pairs = (ln.split() for ln in listed.stdout.decode().splitlines() if ln.strip())
    return {name.removeprefix(prefix): oid for name, oid in pairs}


def _delete_refs(store: GitStore, refs: dict[str, str], prefix: str = "") -> None:
    """Delete local refs ``prefix + name``, each only if it still names its commit."""
    if refs:
        lines = "".join(f"delete {prefix}{n} {oid}\n" for n, oid in refs.items())
        git(["update-ref", "--stdin"], cwd=_cwd(store), input=lines.encode(), check=True)


def _absorb(into: Resolution, more: Resolution) -> None:
    for name in ("added", "merged", "kept", "removed"):
        getattr(into, name).update(getattr(more, name))
    into.notes.extend(more.notes)
    into.refused.extend(more.refused)


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
         deadline: float = DEADLINE, writer: str | None = None,
         progress: Callable[[int, int | None, str], None] | None = None) -> PushResult:
    """Push contexta/runs and every certificate and alias tag. When the remote moved, wait
    a jittered, growing pause, pull and merge, and push again, until ``deadline`` seconds
    have passed (``retry=False``: fail at once); never forced. With ``writer``, push to the
    writer's own ref ``refs/contexta/incoming/<writer>`` instead, which nobody else moves
    (``ingest`` merges it into contexta/runs)."""
    store = runs.store
    report = progress or (lambda done, total, what: None)
    if store.tip() is None:
        raise NothingToPush()
    target = incoming_ref(check_writer(writer)) if writer is not None else BRANCH
    started = time.monotonic()
    pulled: list[PullResult] = []
    for attempt in itertools.count(1):
        merged = f", {len(pulled)} merge{'s' * (len(pulled) != 1)} so far" if pulled else ""
        report(attempt - 1, None, f"pushing to {remote}"
               + (f" (attempt {attempt}{merged})" if attempt > 1 else ""))
        refused, tags = _push_once(store, remote, f"{BRANCH}:{target}")
        elapsed = time.monotonic() - started
        if refused is None:
            tip = store.tip()
            assert tip is not None
            return PushResult(remote, tip, tuple(pulled), tags, attempt, elapsed, target)
        if not retry or writer is not None or not _lost_race(refused):
            raise PushRejected(remote, refused, _lost_race(refused))
        if elapsed >= deadline:
            raise PushGaveUp(remote, attempt, elapsed, len(pulled))
        time.sleep(min(backoff(attempt), max(0.0, deadline - elapsed)))
        pulled.append(pull(runs, remote))
    raise AssertionError("unreachable")


def backoff(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th refusal: "full jitter", uniform between
    nothing and a ceiling that doubles from 50 ms up to 2 s, so that writers who lost
    the same race spread out instead of colliding again."""
    return random.uniform(0.0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))


def _lost_race(reason: str) -> bool:
    """Whether git refused the push because another push landed first (worth a retry),
    rather than for good (a hook that declined it, a protected branch)."""
    return any(why in reason for why in ("fetch first", "non-fast-forward", "stale info",
                                         "failed to update ref", "cannot lock ref",
                                         "failed to lock", "incorrect old value"))


def _push_once(store: GitStore, remote: str, refspec: str) -> tuple[str | None, tuple[str, ...]]:
    """One ``git push``: (why the runs ref was refused, None when it landed; new cert tags)."""
    pushed = git(["push", "--porcelain", "--no-verify", remote, refspec, TAGS_REFSPEC,
                  ALIAS_REFSPEC], cwd=_cwd(store))
    lines = pushed.stdout.decode(errors="replace").splitlines()
    runs_line = next((ln for ln in lines if f"\t{refspec}\t" in ln), "")
    if runs_line.startswith("!") and "rejected" in runs_line:
        return runs_line.split("\t")[-1].strip(), ()
    tag_errors = [ln for ln in lines if ln.startswith("!") and CERT_TAG_PREFIX in ln]
    if tag_errors:
        name = tag_errors[0].split("\t")[1].split(":")[-1].removeprefix("refs/tags/")
        raise ContextaError(f"{remote} already has a different tag {name}; "
                            "certificate tags are never moved")
    _fail_unless_ok(pushed, "push")
    return None, tuple(ln.split("\t")[1].split(":")[-1].removeprefix("refs/tags/")
                       for ln in lines if ln.startswith("*") and CERT_TAG_PREFIX in ln)


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
