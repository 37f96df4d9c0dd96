"""What a readable run folder holds, checked in one place for every reader.

Every reader of a run (``show`` and the commands built on ``Runs.get``, the listing and
its index, ``pull`` looking at incoming runs) turns a folder's bytes into parsed records
through :func:`parse`. A folder that fails any check here is *unreadable*: readers
of one run raise :class:`CorruptRun` naming the file and the problem; listings skip it
and report a :class:`RunProblem`; ``pull`` refuses it. Nothing else parses record files
of the read side, so no reader can crash (or disagree) on a run another one accepts.

The checks are the types the read model relies on: a run folder at
``projects/<project>/runs/<shard>/<run>`` with valid names and the right shard; every
record file a UTF-8 TOML file (not a folder); ``status`` a string; times RFC 3339
strings; tables where tables are read; every entry of an append-only file a table with
its required fields of the right type; metric values numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from contexta_git.core import chunks, names
from contexta_git.core.chunks import ARRAYS as ARRAY_NAMES
from contexta_git.core.chunks import Block, Columns
from contexta_git.core.records import APPEND, ENVIRONMENT, LOCK, RUN, SERIES, STAGES
from contexta_git.errors import CorruptRun, InvalidName, InvalidValue

#: the record files parsed by every reader, and every file a reader looks at
PARSED = (RUN, STAGES, *APPEND, SERIES, ENVIRONMENT)
RECORD_FILES = (*PARSED, LOCK)


class RunProblem(NamedTuple):
    """One unreadable run folder, as data: where, which file (or None), and why."""

    folder: str
    file: str | None
    reason: str

    @property
    def path(self) -> str:
        return "/".join(part for part in (self.folder, self.file) if part)

    @property
    def message(self) -> str:
        return str(CorruptRun(*self))

    @classmethod
    def of(cls, exc: CorruptRun) -> RunProblem:
        return cls(exc.folder, exc.file, exc.reason)


def check_folder(folder: str) -> names.RunId:
    """The run a folder path holds: ``projects/<p>/runs/<shard>/<run>``, names valid and
    the shard the one its name hashes to (else readers would never find it)."""
    parts = folder.split("/")
    if len(parts) != 5 or parts[0] != "projects" or parts[2] != "runs":
        raise CorruptRun(folder, None, "not a run folder (projects/<project>/runs/<shard>/<run>)")
    try:
        run = names.RunId(parts[1], parts[4])
    except InvalidName as exc:
        raise CorruptRun(folder, None, str(exc)) from None
    if parts[3] != names.shard(run.name):
        raise CorruptRun(folder, None, f"run {run.name!r} belongs in shard "
                                       f"{names.shard(run.name)!r}, not {parts[3]!r}")
    return run


def parse(folder: str, files: Mapping[str, bytes], subfolders: Iterable[str] = ()
          ) -> dict[str, Any]:
    """The parsed, checked record files of the run folder ``folder``: ``{RUN: table,
    STAGES: [stage], "metrics.toml": [entry], ..., ENVIRONMENT: table}``.

    ``files`` holds the folder's files (at least those of :data:`PARSED` it has);
    ``subfolders`` the names of folders inside it; an empty ``folder`` (files from
    elsewhere) skips the checks of the folder's path. Raises CorruptRun on the first problem.
    """
    run = check_folder(folder) if folder else None
    for name in subfolders:
        if name in RECORD_FILES:
            raise CorruptRun(folder, name, "is a folder, not a file")
    if RUN not in files:
        raise CorruptRun(folder, None, f"holds no {RUN}")
    head = _toml(folder, RUN, files[RUN])
    _fields(folder, RUN, "", head, _HEAD, ())
    for key, expected in (("project", run.project), ("name", run.name)) if run else ():
        if key in head and head[key] != expected:
            raise CorruptRun(folder, RUN, f"{key} is {head[key]!r} but the folder is {expected!r}")
        head.setdefault(key, expected)
    docs: dict[str, Any] = {RUN: head}
    docs[STAGES] = _entries(folder, STAGES, "stages", files.get(STAGES))
    for filename, table in APPEND.items():
        docs[filename] = _entries(folder, filename, table, files.get(filename))
    docs[SERIES] = series_index(folder, files.get(SERIES))[1]
    data = files.get(ENVIRONMENT)
    environment = _environment(data) if data else {}
    if isinstance(environment, str):
        raise CorruptRun(folder, ENVIRONMENT, environment)
    docs[ENVIRONMENT] = environment
    return docs


def check_head(folder: str, files: Mapping[str, bytes | None]) -> None:
    """Check run.toml and stages.toml alone (``files`` may lack either): what a write
    rewrites, so a write never builds on (or leaves) a header it cannot read."""
    if data := files.get(RUN):
        _fields(folder, RUN, "", _toml(folder, RUN, data), _HEAD, ())
    _entries(folder, STAGES, "stages", files.get(STAGES))


def check_write(folder: str, files: Mapping[str, bytes | None],
                appends: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """Refuse a write that would leave ``folder`` unreadable: ``files`` are run.toml and
    stages.toml as the write leaves them, ``appends`` the new entries per append-only
    file. InvalidValue names the field."""
    try:
        check_head(folder, files)
        for filename, rows in appends.items():
            schema, required = _ROWS[APPEND[filename]]
            for row in rows:
                entry = {k: v for k, v in row.items() if v is not None}
                _fields(folder, filename, "", entry, schema, required)
    except CorruptRun as exc:
        raise InvalidValue(f"cannot record {exc.file}: {exc.reason}") from None


# -- the checks ---------------------------------------------------------------------------
Check = Callable[[Any], str | None]  # a problem with the value, or None


def _shown(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return f"a TOML date-time ({value.isoformat()}), not a quoted string"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {_shown(value)}"


def _integer(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else f"must be an integer, got {_shown(value)}"


def _number(value: Any) -> str | None:
    """A number; NaN and infinities are numbers (recording refuses them, but a record that
    holds one is readable: the gate fails it and ``best`` never picks it)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else f"must be a number, got {_shown(value)}"


def _scalar(value: Any) -> str | None:
    ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return None if ok else f"must be a string or a number, got {_shown(value)}"


def _table(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"must be a table, got {_shown(value)}"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {_shown(value)}"


def _moment(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be an RFC 3339 date-time string, got {_shown(value)}"
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return f"must be an RFC 3339 date-time, got {_shown(value)}"
    return None


Schema = dict[str, Check]
_HEAD: Schema = {"project": _text, "name": _text, "status": _text, "started_at": _moment,
                 "ended_at": _moment, "params": _table, "tags": _table, "notes": _text,
                 "source": _table}
_SOURCE: Schema = {"commit": _text, "branch": _text, "dirty": _flag, "diff_sha256": _text,
                   "remote": _text}
_ROWS: dict[str, tuple[Schema, tuple[str, ...]]] = {  # per table: field checks, required fields
    "stages": ({"name": _text, "status": _text, "started_at": _text, "ended_at": _text,
                "order": _integer}, ("name",)),
    "metrics": ({"id": _text, "key": _text, "value": _number, "stage": _text, "step": _integer,
                 "observed_at": _text, "batch": _text, "sample": _text}, ("id", "key", "value")),
    "events": ({"id": _text, "key": _text, "message": _text, "level": _text,
                "attributes": _table, "observed_at": _text, "stage": _text, "batch": _text,
                "sample": _text}, ("id", "key")),
    "datasets": ({"id": _text, "name": _text, "version": _scalar, "digest": _text,
                  "source": _text, "split": _text, "rows": _integer, "path": _text,
                  "sha256": _text, "git_blob": _text, "size": _integer}, ("id", "name")),
    "artifacts": ({"id": _text, "name": _text, "path": _text, "kind": _text, "sha256": _text,
                   "size": _integer, "stage": _text, "created_at": _moment,
                   "attributes": _table}, ("id", "name")),
    # upstream Contexta's record kinds (records.TABLES); ids are the names within the run
    "batches": ({"id": _text, "stage": _text, "name": _text, "status": _text,
                 "started_at": _moment, "ended_at": _moment, "order": _integer},
                ("id", "stage", "name", "status")),
    "samples": ({"id": _text, "stage": _text, "batch": _text, "name": _text,
                 "observed_at": _moment, "retention_class": _text, "redaction_profile": _text},
                ("id", "stage", "name")),
    "degraded": ({"id": _text, "key": _text, "stage": _text, "batch": _text, "sample": _text,
                  "observed_at": _moment, "category": _text, "severity": _text,
                  "summary": _text, "marker": _text, "completeness": _text, "origin": _text,
                  "attributes": _table}, ("id", "key", "category", "severity", "marker")),
    "relations": ({"id": _text, "type": _text, "source": _text, "target": _text,
                   "recorded_at": _moment, "origin": _text, "confidence": _text,
                   "operation": _text}, ("id", "type", "source", "target")),
    "provenance": ({"id": _text, "relation": _text, "assertion_mode": _text,
                    "asserted_at": _moment, "formation_context": _text, "policy": _text,
                    "evidence_bundle": _text}, ("id", "relation")),
    "spans": ({"id": _text, "name": _text, "stage": _text, "trace_id": _text, "span_id": _text,
               "parent_span_id": _text, "started_at": _moment, "ended_at": _moment,
               "status": _text, "kind": _text, "attributes": _table},
              ("id", "name", "started_at", "ended_at")),
    "series": ({"key": _text, "stage": _text, "count": _integer, "first_at": _moment,
                "last_at": _moment, **dict.fromkeys(("first", "last", "min", "max"), _number),
                **dict.fromkeys(("first_step", "last_step", "min_step", "max_step"), _integer)},
               ("key", "count", "first", "last", "min", "max", "first_step", "last_step",
                "min_step", "max_step")),
}


def _fields(folder: str, file: str, where: str, row: Mapping[str, Any], schema: Schema,
            required: tuple[str, ...]) -> None:
    for key in required:
        if key not in row:
            raise CorruptRun(folder, file, f"{where}no {key}")
    for key, check in schema.items():
        if key in row and (problem := check(row[key])):
            raise CorruptRun(folder, file, f"{where}{key} {problem}")
    if file == RUN:
        for key, check in _SOURCE.items():
            value = row.get("source", {}).get(key)
            if value is not None and (problem := check(value)):
                raise CorruptRun(folder, file, f"source.{key} {problem}")


def _toml(folder: str, file: str, data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode())
    except UnicodeDecodeError as exc:
        raise CorruptRun(folder, file, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                                       f"{exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CorruptRun(folder, file, f"not valid TOML: {exc}") from None


def _entries(folder: str, file: str, table: str, data: bytes | None,
             doc: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    if not data:
        return []
    rows = (doc if doc is not None else _toml(folder, file, data)).get(table, [])
    if not isinstance(rows, list):
        raise CorruptRun(folder, file, f"{table} must be an array of tables, got {_shown(rows)}")
    schema, required = _ROWS[table]
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise CorruptRun(folder, file, f"entry {number} must be a table, got {_shown(row)}")
        _fields(folder, file, f"entry {number}: ", row, schema, required)
    return rows


def series_index(folder: str, data: bytes | None) -> tuple[int, list[dict[str, Any]]]:
    """``series.toml``: the next chunk's sequence number and one summary per series."""
    if not data:
        return 0, []
    doc = _toml(folder, SERIES, data)
    if problem := _integer(doc.get("next_chunk", 0)):
        raise CorruptRun(folder, SERIES, f"next_chunk {problem}")
    return doc.get("next_chunk", 0), _entries(folder, SERIES, "series", data, doc)


_CHUNK: Schema = {"key": _text, "stage": _text, "count": _integer, "start": _integer,
                  "stride": _integer}


def chunk(folder: str, path: str, data: bytes, times: bool = True) -> list[Block]:
    """The blocks of the chunk file at ``path`` (inside ``folder``); CorruptRun names the
    file and the problem when it cannot be read. Without ``times`` the blocks' times are
    left empty, unread and unchecked (for readers that draw by step)."""
    skip = () if times else ("times",)
    doc = _chunk_doc(folder, path, lambda raw: chunks.decode(raw, skip), data)
    assert doc is not None
    found = [_block(folder, path, f"entry {n}: ", t, (int, float))
             for n, t in enumerate(doc.get("series", []), 1)]
    return [Block(key, stage, list(steps), values, (stamps or []) if times else [])
            for key, stage, steps, values, stamps in found]


def chunk_columns(folder: str, path: str, data: bytes) -> list[Columns]:
    """The blocks of a chunk with their numbers as text, checked as :func:`chunk` checks
    them: the texts themselves when chunks.tokens vouches for them, else the numbers
    :func:`chunk` reads, formatted (``Columns.of``)."""
    doc = _chunk_doc(folder, path, chunks.tokens, data)
    found: list[Any] = [None] if doc is None else [
        _block(folder, path, f"entry {n}: ", t, (str,))
        for n, t in enumerate(doc.get("series", []), 1)]
    if any(part is None for part in found):
        return [Columns.of(block) for block in chunk(folder, path, data)]
    return [Columns(key, stage, _step_texts(steps), values, times)
            for key, stage, steps, values, times in found]


def _chunk_doc(folder: str, path: str, read: Callable[[bytes], dict[str, Any] | None],
               data: bytes) -> dict[str, Any] | None:
    try:
        doc = read(data)
    except UnicodeDecodeError as exc:
        raise CorruptRun(folder, path, f"not UTF-8 (offset {exc.start})") from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise CorruptRun(folder, path, f"not valid TOML: {exc}") from None
    tables = [] if doc is None else doc.get("series", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CorruptRun(folder, path, "series must be an array of tables")
    return doc


def _block(folder: str, path: str, where: str, table: dict[str, Any],
           kinds: tuple[type, ...]) -> Any:
    """(key, stage, steps, values, times) of a chunk's table; the arrays hold ``kinds``
    (None: they hold other kinds; CorruptRun: unreadable)."""
    _fields(folder, path, where, table, _CHUNK, ("key", "count", "values", "times"))
    count = table["count"]
    if "steps" not in table and not ("start" in table and "stride" in table):
        raise CorruptRun(folder, path, f"{where}no steps (nor start and stride)")
    for name in ARRAY_NAMES:
        found = table.get(name, [])
        if found is None and name == "times":  # left unread on purpose (chunk's times)
            continue
        if not isinstance(found, list):
            raise CorruptRun(folder, path, f"{where}{name} must be an array")
        if name in table and len(found) != count:
            raise CorruptRun(folder, path, f"{where}{name} holds {len(found)} points, "
                                           f"count says {count}")
        if isinstance(found, chunks.Texts):  # numbers, checked by json's scanner
            continue
        if not set(map(type, found)) <= {int, *(float,) * (name == "values")}:
            shown = "numbers" if name == "values" else "integers"
            raise CorruptRun(folder, path, f"{where}{name} must be an array of {shown}")
        if found and type(found[0]) not in kinds:
            return None
    start, stride = table.get("start", 0), table.get("stride", 1)
    steps = table["steps"] if "steps" in table else (
        range(start, start + stride * count, stride) if stride else [start] * count)
    return table["key"], table.get("stage"), steps, table["values"], table["times"]


def _step_texts(steps: Any) -> Iterable[str]:
    """Texts of the steps: as the chunk wrote them, or made from start and stride."""
    return steps if isinstance(steps, chunks.Texts) else map(str, steps)


@functools.lru_cache(maxsize=64)
def _environment(data: bytes) -> dict[str, Any] | str:
    """The parsed environment, or what is wrong with it. Cached by content: most runs of
    a project share one environment blob, so a listing checks each only once."""
    try:
        env = _toml("", ENVIRONMENT, data)
    except CorruptRun as exc:
        return exc.reason
    python = env.get("python", {})
    checks = [("python", _table(python)), ("platform", _text(env.get("platform", ""))),
              ("packages", _table(env.get("packages", {})))]
    if isinstance(python, dict):
        checks.append(("python.version", _text(python.get("version", ""))))
    for key, problem in checks:
        if problem:
            return f"{key} {problem}"
    for name, version in env.get("packages", {}).items():
        if problem := _scalar(version):
            return f"packages[{name!r}] {problem}"
    return env
