"""Where an index-installed package came from: the index URL and, where a wheel folder
that pip knows holds it, the wheel file and its sha256.

An installed distribution keeps no record of the wheel it was unpacked from (pip
writes ``direct_url.json`` only for direct URL installs). What pip does know is its own
configuration (``pip config list``: ``index-url``, ``extra-index-url``, ``find-links``,
from its files and ``PIP_*`` variables). The wheel's file name follows from the
``.dist-info`` folder (name, version, the ``Tag:`` lines of ``WHEEL``); a file of that
name in a local ``find-links`` folder, or linked from a ``file://`` index's project page,
is the wheel, and its sha256 is computed here (never taken from the index). Remote
indexes are never contacted: a package found on none of the local folders is named as
unlocked (its index and wheel name are kept).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from contexta_git.core.redact import clean_url

DEFAULT_INDEX = "https://pypi.org/simple"


@dataclass(frozen=True)
class PipSources:
    index: str  # the primary index URL, credentials removed
    folders: tuple[Path, ...]  # local folders a wheel may be in: find-links and file:// indexes
    flat: tuple[bool, ...]  # per folder: True for find-links (flat), False for an index


def wheel_filename(name: str, version: str, tags: list[str]) -> str | None:
    """``name-version-py-abi-plat.whl`` from the ``Tag:`` lines of a WHEEL file, tags
    compressed as the wheel spec writes them (``py2.py3-none-any``)."""
    parts: list[list[str]] = [[], [], []]
    for tag in tags:
        pieces = tag.split("-")
        if len(pieces) != 3:
            return None
        for bucket, piece in zip(parts, pieces, strict=True):
            if piece not in bucket:
                bucket.append(piece)
    if not tags:
        return None
    escaped = canonicalize_name(name).replace("-", "_")
    return f"{escaped}-{version}-{'-'.join('.'.join(b) for b in parts)}.whl"


@lru_cache(maxsize=1)
def pip_sources() -> PipSources:
    """pip's index and wheel folders, as ``pip config list`` reports them."""
    values: dict[str, str] = {}
    for line in _pip_config().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values.setdefault(key.rsplit(".", 1)[-1], value.strip().strip("'\""))
    index = values.get("index-url") or DEFAULT_INDEX
    folders: list[Path] = []
    flat: list[bool] = []
    for option, is_flat in (("find-links", True), ("index-url", False), ("extra-index-url", False)):
        for item in shlex.split(values.get(option, "")):
            folder = _local_folder(item)
            if folder is not None and folder not in folders:
                folders.append(folder)
                flat.append(is_flat)
    return PipSources(clean_url(index), tuple(folders), tuple(flat))


def _pip_config() -> str:
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _local_folder(item: str) -> Path | None:
    parts = urlsplit(item)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme or not item:
        return None
    else:
        path = Path(os.path.expanduser(item))
    return path if path.is_dir() else None


@dataclass(frozen=True)
class FoundWheel:
    path: Path
    sha256: str
    size: int
    index: str | None = None  # the file:// index that links it (None: a find-links folder)


def find_wheel(filename: str, name: str, sources: PipSources | None = None) -> FoundWheel | None:
    """The wheel ``filename`` in one of pip's local folders, with its sha256."""
    sources = sources or pip_sources()
    project = canonicalize_name(name)
    for folder, flat in zip(sources.folders, sources.flat, strict=True):
        candidate = folder / filename if flat else _on_page(folder / project, filename)
        if candidate is not None and candidate.is_file():
            return _hashed(candidate, None if flat else folder.as_uri())
    return None


class _Links(HTMLParser):
    """The ``href`` of each anchor of a PEP 503 project page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _on_page(page: Path, filename: str) -> Path | None:
    """The local file a ``file://`` index's project page links ``filename`` to."""
    if (page / filename).is_file():
        return page / filename
    try:
        html = (page / "index.html").read_text(errors="replace")
    except OSError:
        return None
    links = _Links()
    links.feed(html)
    for href in links.hrefs:
        target = urlsplit(href)
        if unquote(target.path).rsplit("/", 1)[-1] != filename:
            continue
        if target.scheme == "file":
            return Path(unquote(target.path))
        if not target.scheme:
            return (page / unquote(target.path)).resolve()
    return None


def _hashed(path: Path, index: str | None) -> FoundWheel:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return FoundWheel(path.resolve(), digest.hexdigest(), path.stat().st_size, index)
