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


def replace_file(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write a file people keep (``pyproject.toml``, a policy) whole or not at all: a
    temporary file beside it, flushed, then renamed over it. An existing file keeps its
    permissions; a new one gets the usual ones (umask). Raises InvalidValue naming the
    path and the cause when the file exists and ``overwrite`` is false, or on an OS error."""
    from contexta_git.errors import InvalidValue

    if not overwrite and path.exists():
        raise InvalidValue(f"{path} already exists; pass --force to overwrite it")
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidValue(f"cannot write {path}: {exc.strerror or exc}") from exc


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
