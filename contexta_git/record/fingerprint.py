"""Content fingerprints of data and artifact files: sha256, size and git blob id."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from contexta_git.errors import InvalidValue

CHUNK = 1 << 20


def _file(path: Path) -> tuple[str, str, int]:
    """sha256 and git blob id of one file, read once in chunks."""
    size = path.stat().st_size
    sha, blob = hashlib.sha256(), hashlib.sha1(f"blob {size}\0".encode())
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            blob.update(chunk)
    return sha.hexdigest(), blob.hexdigest(), size


def fingerprint(path: Path) -> dict[str, Any]:
    """``sha256``, ``git_blob`` and ``size`` of a file; for a folder, a digest of its files."""
    if path.is_file():
        sha, blob, size = _file(path)
        return {"path": str(path), "sha256": sha, "digest": f"sha256:{sha}", "git_blob": blob,
                "size": size}
    if path.is_dir():
        listing, total = hashlib.sha256(), 0
        files = sorted(p for p in path.rglob("*") if p.is_file() and ".git" not in p.parts)
        for item in files:
            sha, _, size = _file(item)
            total += size
            listing.update(f"{item.relative_to(path).as_posix()}\0{sha}\n".encode())
        digest = listing.hexdigest()
        return {"path": str(path), "sha256": digest, "digest": f"sha256-tree:{digest}",
                "files": len(files), "size": total}
    raise InvalidValue(f"no such file or folder: {path}")
