"""Which entries of a run's ``pylock.toml`` a standard installer can use.

The lockfile is first validated with ``packaging.pylock``. Then each package counts as
installable when it names a source an installer fetches and checks: a wheel or sdist
with a hash, an archive with a hash, a VCS commit, or a project directory. Not
installable: a directory that is an installed ``site-packages`` folder (lockfiles
recorded before index installs were locked by wheel), and the packages listed under
``[tool.contexta-git] unlocked`` (index installs whose wheel file was not found).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from packaging.pylock import Package, Pylock, PylockValidationError

_INSTALLED = ("site-packages", "dist-packages")


@dataclass(frozen=True)
class LockReview:
    installable: tuple[str, ...]
    not_installable: dict[str, str]  # name -> why
    error: str | None = None  # why the file is not a valid lockfile
    local: tuple[str, ...] = ()  # installable only where the file or folder it names exists

    @property
    def names(self) -> set[str]:
        return {*self.installable, *self.not_installable}


def review(data: bytes) -> LockReview:
    try:
        doc = tomllib.loads(data.decode())
        lock = Pylock.from_dict(doc)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return LockReview((), {}, f"pylock.toml does not parse: {exc}")
    except PylockValidationError as exc:
        return LockReview((), {}, f"pylock.toml is not a valid PEP 751 lockfile: {exc}")
    usable: list[str] = []
    local: list[str] = []
    refused: dict[str, str] = {}
    for package in lock.packages:
        why = _why_not(package)
        if why:
            refused[package.name] = why
            continue
        usable.append(package.name)
        if _is_local(package):
            local.append(package.name)
    tool = doc.get("tool", {}).get("contexta-git", {})
    for item in tool.get("unlocked", []) if isinstance(tool, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            refused[item["name"]] = str(item.get("reason") or "not locked")
    return LockReview(tuple(usable), refused, None, tuple(local))


def _why_not(package: Package) -> str | None:
    if package.wheels or package.sdist or package.archive:
        return None
    if package.vcs is not None:
        return None if package.vcs.commit_id and package.vcs.commit_id != "unknown" else \
            "a VCS source without a commit id"
    directory = package.directory
    if directory is not None and any(part in _INSTALLED for part in directory.path.split("/")):
        return "locked as its installed folder, not as a wheel an installer can fetch"
    return None


def _is_local(package: Package) -> bool:
    if package.directory is not None:
        return True
    if package.archive is not None and package.archive.path:
        return True
    return any(w.path and not w.url for w in package.wheels or ())


def unlocked(data: bytes) -> list[dict[str, Any]]:
    """The ``[tool.contexta-git] unlocked`` entries (name, version, index, wheel, reason)."""
    try:
        tool = tomllib.loads(data.decode()).get("tool", {}).get("contexta-git", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    found = tool.get("unlocked", []) if isinstance(tool, dict) else []
    return [item for item in found if isinstance(item, dict)]
