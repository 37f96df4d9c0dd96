"""The index's SQLite file: opened defensively, its schema checked, repaired, and signed.

The file is ``<common git dir>/contexta/index.sqlite3`` in WAL mode, so any number of
processes read it while one writes; every read is one transaction (a snapshot) and every
write one ``BEGIN IMMEDIATE`` transaction, waiting up to :data:`BUSY_S` for another writer.

Nothing in the file is trusted. It is plain data read by SQL (no pickle, no code): the
schema must be exactly ours (:data:`DDL`; any other table, index, trigger or view and it is
reset before anything in it is used), and the rows are signed with keyed BLAKE2b digests whose
key lives outside the repository (:func:`user_key`). A shard's digest covers its tree id
and every column of its rows (so no row can be dropped, added or edited); the ``meta``
digest covers the format, the branch tip the state was computed from and every shard's
entry. An edited, replayed or foreign file fails a check and is rebuilt from the runs.

Checking every row costs a full read, so after each write the file is sealed
(:func:`seal`): while the seal holds, nothing has touched the file since this user's index
wrote it, and readers trust it as it is, selecting in SQL (``best``, ``--filter``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

FILE = "index.sqlite3"
SEAL = "index.seal"  # signs the file as last written (see seal)
SEAL_WAIT_MS = 20  # the longest a writer waits for readers to leave the log before sealing
BUSY_S = 30.0  # longest wait for another process's write (writes are short: no parsing inside)
#: the whole schema; the file must hold exactly this, else it is reset
DDL = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
    "CREATE TABLE shards (project TEXT NOT NULL, shard TEXT NOT NULL, tree TEXT NOT NULL, "
    "top INTEGER, problems INTEGER NOT NULL, digest BLOB NOT NULL, PRIMARY KEY (project, shard))",
    "CREATE TABLE runs (folder TEXT PRIMARY KEY NOT NULL, project TEXT NOT NULL, "
    "shard TEXT NOT NULL, tree TEXT NOT NULL, kind INTEGER NOT NULL, name TEXT, status TEXT, "
    "started INTEGER, quarantined INTEGER, source_commit TEXT, patch_id TEXT, nums TEXT, "
    "data TEXT NOT NULL)",
    "CREATE INDEX runs_shard ON runs (project, shard, folder)",
    "CREATE INDEX runs_order ON runs (started, project, name)",
    "CREATE INDEX runs_project_order ON runs (project, started, name)",
    "CREATE INDEX runs_source ON runs (source_commit)",
    "CREATE INDEX runs_patch ON runs (patch_id)",
)
#: what a shard's digest covers of a row besides ``data``: every other column, rendered by SQLite
HEAD = ("json_array(folder, project, shard, tree, kind, name, status, started, quarantined, "
        "source_commit, patch_id, nums)")
BROKEN = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}  # errors that mean "start the file again"


class Unusable(Exception):
    """No index this time (read-only or busy git directory, no key): answer without one."""


def user_key(common_dir: Path) -> bytes:
    """The key that signs this user's indexes: ``$XDG_STATE_HOME/contexta-git/index.key``
    (``~/.local/state``), made on first use, readable by the user only. Outside the
    repository, so an index file written by anyone else (a copied ``.git``, another
    account) is never trusted. Where the home folder cannot be written, a key in the git
    directory stands in, mixed with the identity (device, inode) of the folder holding
    it: a repository handed over whole carries that key file, but not the folder it was
    made in, so an index its author signed is rebuilt; this key only detects edits made
    without it."""
    state = os.environ.get("XDG_STATE_HOME")
    places = []
    with contextlib.suppress(RuntimeError):
        places.append(Path(state) if state else Path.home() / ".local" / "state")
    for place in (p / "contexta-git" for p in places):
        key = _key_at(place / "index.key")
        if key is not None:
            return key
    folder = common_dir / "contexta"
    key = _key_at(folder / "index.key")
    if key is not None:
        with contextlib.suppress(OSError):
            st = folder.stat()
            where = f"{st.st_dev}:{st.st_ino}".encode()
            return hashlib.blake2b(where, key=key, digest_size=32).digest()
    raise Unusable("no index key")


def _key_at(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(os.urandom(32))
        except FileExistsError:  # made by another process meanwhile
            pass
        except OSError:
            return None
        return _key_at(path) if path.exists() else None
    except OSError:
        return None
    return data if len(data) == 32 else None


def digest(key: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(data, key=key, digest_size=16).digest()


def shard_digest(key: bytes, project: str, shard: str, tree: str,
                 rows: list[tuple[str, str]]) -> bytes:
    """A shard's digest: its tree id, then each of its rows in folder order, as its other
    columns rendered by SQLite (:data:`HEAD`) and its data. Neither holds a raw newline
    (both are JSON), so the text is unambiguous: no row can be dropped, added or edited."""
    try:
        text = "\n".join(part for row in rows for part in row)
    except TypeError:  # a value of the wrong type: not what we wrote
        return os.urandom(16)  # a digest that matches nothing
    return digest(key, f"{project}\0{shard}\0{tree}\0{len(rows)}\0{text}".encode())


def seal(db: sqlite3.Connection, common_dir: Path, key: bytes) -> None:
    """After a write: move the write-ahead log into the file and sign what the file is
    now (:func:`_identity`), so that readers can trust it without checking every row.
    Another reader or writer holding the log only leaves the file unsealed (rows checked)."""
    folder = common_dir / "contexta"
    try:
        db.execute(f"PRAGMA busy_timeout = {SEAL_WAIT_MS}")  # readers in the log: leave it
        try:
            busy, _log, _moved = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_S * 1000)}")
        now = None if busy else _identity(folder)
        tmp = folder / f"{SEAL}.{os.getpid()}"
        if now is None:
            (folder / SEAL).unlink(missing_ok=True)
            return
        tmp.write_text(digest(key, now).hex())
        os.replace(tmp, folder / SEAL)
    except (sqlite3.Error, OSError):
        with contextlib.suppress(OSError):
            (folder / SEAL).unlink(missing_ok=True)


def sealed(common_dir: Path, key: bytes) -> bool:
    """True when the file is exactly as this user's index last wrote it: same inode, size,
    modification and change times, no pending log. The change time (ctime) moves on every
    write and cannot be set back by a user, so any edit made since breaks the seal."""
    folder = common_dir / "contexta"
    try:
        now = _identity(folder)
        stored = (folder / SEAL).read_text()
    except OSError:
        return False
    return now is not None and hmac.compare_digest(stored, digest(key, now).hex())


def _identity(folder: Path) -> bytes | None:
    """What a change of the index file (or a pending log) would alter; None with a log."""
    try:
        if (folder / f"{FILE}-wal").stat().st_size:
            return None
    except FileNotFoundError:
        pass
    st = (folder / FILE).stat()
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}".encode()


def open_index(common_dir: Path) -> sqlite3.Connection:
    """A connection to the index file with our schema, made or repaired as needed.
    Unusable when the file cannot be opened or written (read-only, busy)."""
    folder = common_dir / "contexta"
    path = folder / FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            return _checked(path)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in BROKEN:
                raise
        discard(common_dir)
        return _checked(path)
    except (sqlite3.Error, OSError) as exc:
        raise Unusable(str(exc)) from exc


def discard(common_dir: Path) -> None:
    """Remove a broken index file (one that SQLite cannot read), unless another process
    already replaced it: one process at a time, under a lock file beside it."""
    folder = common_dir / "contexta"
    try:
        with _exclusive(folder / "index.lock"):
            try:
                _checked(folder / FILE).close()  # replaced meanwhile, or only busy
                return
            except sqlite3.DatabaseError as exc:
                if getattr(exc, "sqlite_errorcode", None) not in BROKEN:
                    return
            for name in (SEAL, FILE, f"{FILE}-wal", f"{FILE}-shm"):
                (folder / name).unlink(missing_ok=True)
    except OSError as exc:
        raise Unusable(str(exc)) from exc


def _checked(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=BUSY_S, isolation_level=None)
    try:
        # trusted_schema is on so that the orders (indexes on json_extract of nums) load;
        # nothing in a schema runs before it is checked below, and a schema that is not
        # exactly ours (a trigger, a view, another index) is dropped before any use
        for pragma in ("trusted_schema = ON", "cell_size_check = ON", "mmap_size = 0",
                       "journal_mode = WAL", "synchronous = NORMAL"):
            db.execute(f"PRAGMA {pragma}")
        if _schema(db) != _expected():
            with transaction(db, write=True):
                if _schema(db) != _expected():
                    try:
                        _reset(db)
                    except sqlite3.OperationalError as exc:  # a virtual table of no known
                        if exc.sqlite_errorcode != sqlite3.SQLITE_ERROR:  # module; not a full disk
                            raise
                        raise _foreign() from None
                if _schema(db) != _expected():  # something SQLite will not drop: a new file
                    raise _foreign()
    except BaseException:
        db.close()
        raise
    return db


def _schema(db: sqlite3.Connection) -> list[tuple[str, str, str, str | None]]:
    """Every object in the file but the orders :func:`order_by` made (each checked: its
    name is the digest of its expression, which reads one number of ``nums`` and nothing
    else). Names SQLite keeps for itself (``sqlite_...``) are listed too: a file written
    with ``writable_schema`` can hold a trigger or a view under such a name, and SQLite's
    own automatic indexes are part of the expected schema anyway."""
    found = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                       "ORDER BY type, name").fetchall()
    return [item for item in found if not (item[0] == "index" and _an_order(item[1], item[3]))]


def _foreign() -> sqlite3.DatabaseError:
    """The error of a file whose schema cannot be made ours in place: start it again."""
    error = sqlite3.DatabaseError("the index file holds objects that cannot be dropped")
    error.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
    return error


ORDER_PATH = re.compile(r'\$(\."[A-Za-z0-9_.:/@-]+")+')  # a JSON path into nums, quoted names
MAX_ORDERS = 32  # indexes on one number each, made as ``best`` asks for them


def order_expression(path: str) -> str | None:
    """The SQL of the number at JSON ``path`` in ``nums`` (None for a path it refuses)."""
    return f"json_extract(nums, '{path}')" if ORDER_PATH.fullmatch(path) else None


def _order_name(expression: str) -> str:
    return "runs_by_" + hashlib.sha256(expression.encode()).hexdigest()[:16]


def _an_order(name: str, sql: str | None) -> bool:
    head = f"CREATE INDEX {name} ON runs ("
    if not (sql and sql.startswith(head) and sql.endswith(")")):
        return False
    expression = sql[len(head):-1]
    path = expression.removeprefix("json_extract(nums, '").removesuffix("')")
    return order_expression(path) == expression and _order_name(expression) == name


def order_by(db: sqlite3.Connection, common_dir: Path, key: bytes, path: str) -> bool:
    """Make sure an index orders the runs by the number at ``path`` (at most
    :data:`MAX_ORDERS` of them), on a sealed file only, sealing it again. True when the
    order exists now."""
    expression = order_expression(path)
    if expression is None:
        return False
    name = _order_name(expression)
    present = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'runs\\_by\\_%' "
        "ESCAPE '\\'")}
    if name in present:
        return True
    if len(present) >= MAX_ORDERS:
        return False
    with transaction(db, write=True):
        if not sealed(common_dir, key):
            return False  # never seal a file edited since it was sealed
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON runs ({expression})")
    seal(db, common_dir, key)
    return True


_EXPECTED: list[list[tuple[str, str, str, str | None]]] = []


def _expected() -> list[tuple[str, str, str, str | None]]:
    if not _EXPECTED:
        db = sqlite3.connect(":memory:")
        for statement in DDL:
            db.execute(statement)
        _EXPECTED.append(_schema(db))
        db.close()
    return _EXPECTED[0]


def _reset(db: sqlite3.Connection) -> None:
    """Drop everything in the file (tables of another version, anything planted), then
    make our tables. Runs inside a write transaction: readers see the old or the new."""
    for kind, name, _table, _sql in _schema(db):  # (a trigger, even under a sqlite_ name)
        if kind == "trigger" or (kind in ("table", "view") and not name.startswith("sqlite_")):
            db.execute(f'DROP {kind.upper()} IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')
    for statement in DDL:
        db.execute(statement)


@contextlib.contextmanager
def transaction(db: sqlite3.Connection, *, write: bool = False) -> Iterator[None]:
    """One snapshot to read, or one write that others see whole or not at all."""
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): a file in use cannot be removed there anyway
            pass
        else:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
