"""What a run keeps besides its records: the uncommitted change of a dirty run and the
project's own lock files, so that ``reproduce`` can rebuild the code and compare the
environment the project meant to have.

* ``source.patch``: the diff of tracked files against HEAD (``git diff HEAD``), redacted
  like every record (core/redact.py), kept only while at most ``PATCH_CAP`` bytes.
  Binary files are named in ``source.patch_binary``, not stored; ``source.patch`` in
  run.toml says ``stored``, ``redacted`` (a secret was replaced: the patch may no longer
  apply), ``too-large`` or ``none``.
* ``locks/<file>``: ``uv.lock``, ``pylock.toml`` / ``pylock.*.toml``, ``poetry.lock``
  and every ``requirements*.txt`` that pins with ``--hash``, at the top of the work
  tree, redacted, each at most ``PATCH_CAP`` bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contexta_git.core.redact import redact_text
from contexta_git.git.repo import Uncommitted

PATCH_FILE = "source.patch"
LOCKS = "locks"
#: the most bytes kept of a redacted patch or of one lock file
PATCH_CAP = 1 << 20
_LOCK_NAMES = ("uv.lock", "pylock.toml", "poetry.lock")


def uncommitted(change: Uncommitted) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(fields for run.toml's ``source`` table, files for the run folder) of the
    uncommitted change (``GitStore.source_and_change``)."""
    fields: dict[str, Any] = {"patch_binary": list(change.binary)} if change.binary else {}
    if not change.patch:
        return {**fields, "patch": "none"}, {}
    clean = redact_text(change.patch)
    data = clean.encode()
    if len(data) > PATCH_CAP:
        return {**fields, "patch": "too-large", "patch_bytes": len(data)}, {}
    state = "stored" if clean == change.patch else "redacted"
    return {**fields, "patch": state, "patch_bytes": len(data)}, {PATCH_FILE: data}


def project_locks(workdir: Path | None) -> dict[str, bytes]:
    """The project's own lock files, as ``locks/<name>`` paths of the run folder."""
    if workdir is None:
        return {}
    found: dict[str, bytes] = {}
    candidates = [workdir / n for n in _LOCK_NAMES]
    candidates += sorted(workdir.glob("pylock.*.toml")) + sorted(workdir.glob("requirements*.txt"))
    for path in candidates:
        try:
            data = path.read_bytes() if path.is_file() else None
        except OSError:
            continue
        if data is None or len(data) > PATCH_CAP:
            continue
        if path.name.startswith("requirements") and b"--hash" not in data:
            continue
        text = data.decode(errors="replace")
        found[f"{LOCKS}/{path.name}"] = redact_text(text).encode()
    return found
