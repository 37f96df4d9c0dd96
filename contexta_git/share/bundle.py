"""Move runs without a network: a git bundle of contexta/runs and its tags.

``bundle create FILE`` writes ``git bundle create FILE refs/heads/contexta/runs`` plus
every certificate tag (``contexta/cert/*``) and alias tag (``contexta/alias/*``);
``--since REF`` leaves out the history the other site already has (REF and what it
reaches: a commit of the runs branch, a tag, ``contexta/runs@{1.week.ago}``), so the file
holds only what is new. The other site runs ``contexta-git pull FILE``, which checks the
bundle with ``git bundle verify`` and merges it like a remote's runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contexta_git.core.names import ALIAS_TAG_PREFIX, BRANCH, CERT_TAG_PREFIX
from contexta_git.errors import InvalidValue
from contexta_git.git.process import last_line
from contexta_git.git.repo import git
from contexta_git.share.sync import NothingToPush, _cwd, _refs
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class BundleResult:
    path: str
    tip: str
    since: str | None  # the commit left out with its history (the other site has it)
    tags: tuple[str, ...]  # certificate and alias tags in the bundle
    size: int  # bytes


def create(runs: Runs, path: str | Path, since: str | None = None) -> BundleResult:
    """Write the bundle at ``path``; nothing is written when ``since`` cannot be resolved
    or already holds the tip (there would be nothing to move)."""
    store = runs.store
    tip = store.tip()
    if tip is None:
        raise NothingToPush()
    base = None
    if since is not None:
        found = git(["rev-parse", "--verify", "--quiet", f"{since}^{{commit}}"], cwd=_cwd(store))
        base = found.stdout.decode().strip()
        if found.returncode != 0 or not base:
            raise InvalidValue(f"--since {since!r} names no commit in this repository")
        if store.merge_base(base, tip) == tip:
            raise InvalidValue(f"--since {since!r} already holds every run of contexta/runs: "
                               "nothing to bundle")
    tags = [f"refs/tags/{n}" for prefix in (CERT_TAG_PREFIX, ALIAS_TAG_PREFIX)
            for n in (prefix.removeprefix("refs/tags/") + k for k in _refs(store, prefix))]
    target = Path(path).resolve()
    made = git(["bundle", "create", "-q", str(target), BRANCH, *tags,
                *([f"^{base}"] if base else [])], cwd=_cwd(store))
    if made.returncode != 0:
        raise InvalidValue(f"cannot write bundle {path}: {last_line(made)}")
    return BundleResult(str(target), tip, base,
                        tuple(t.removeprefix("refs/tags/") for t in tags), target.stat().st_size)
