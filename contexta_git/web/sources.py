"""Where the web view reads runs from: the repository's own runs branch and every
remote's copy of it (``refs/remotes/<remote>/contexta/runs``, left by ``git fetch``).

Each source is read at its tip when a page is asked for, so a run recorded (or fetched)
while the view is open appears on the next reload."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contexta_git.core.names import BRANCH as RUNS_REF
from contexta_git.errors import ContextaError
from contexta_git.git.repo import View
from contexta_git.store.runs import Runs

_REMOTES = "refs/remotes/"
_TAIL = "/" + RUNS_REF.removeprefix("refs/heads/")
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class NotFound(ContextaError):
    """No page at this address: the web view answers 404 with this one line."""


@dataclass(frozen=True)
class Source:
    """One runs branch: ``remote`` is None for the repository's own."""

    remote: str | None

    @property
    def ref(self) -> str:
        return RUNS_REF if self.remote is None else f"{_REMOTES}{self.remote}{_TAIL}"

    @property
    def label(self) -> str:
        return self.ref.removeprefix("refs/heads/").removeprefix(_REMOTES)

    @property
    def prefix(self) -> str:
        """Where its pages live, relative to the site's root."""
        return "" if self.remote is None else f"remote/{self.remote}/"

    def view(self, runs: Runs) -> View:
        """The branch at its tip now (an empty view when the local branch does not exist
        yet); NotFound when a remote's copy went away since the page was linked."""
        target = runs.store.ref_target(self.ref)
        if target is None and self.remote is not None:
            raise NotFound(f"no branch {self.label}")
        return runs.view(target)


def sources(runs: Runs) -> list[Source]:
    """The local branch, then each remote's copy whose name is a plain path segment (a
    remote named with a slash is left out rather than given an ambiguous address)."""
    found = [Source(None)]
    for ref in runs.store.ref_names(_REMOTES):
        remote = ref.removeprefix(_REMOTES).removesuffix(_TAIL)
        if ref.endswith(_TAIL) and _SEGMENT.fullmatch(remote):
            found.append(Source(remote))
    return found


def find(runs: Runs, remote: str | None) -> Source | None:
    """The source a page address names, when it exists."""
    return next((s for s in sources(runs) if s.remote == remote), None)
