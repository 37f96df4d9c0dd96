"""Files: caches in the git directory (index, lockfile), written whole or not at all;
files people write (params, metrics, policies), read as UTF-8 text."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename, so a reader
    never sees half a file. A git directory that cannot be written only costs speed:
    returns False instead of raising."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


class NotUtf8(ValueError):
    """A file that should be text is not UTF-8; the message names the first bad byte."""

    def __init__(self, exc: UnicodeDecodeError) -> None:
        bad = exc.object[exc.start:exc.start + 1].hex()
        super().__init__(f"not UTF-8 text: byte 0x{bad} at offset {exc.start} cannot be decoded")


def read_utf8(path: Path) -> str:
    """The text of ``path``; OSError when it cannot be read, NotUtf8 when it is not text."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(exc) from exc
