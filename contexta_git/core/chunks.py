"""Chunk files of step series: the points one flush wrote, never rewritten.

A run folder keeps them as ``series/<bucket>/<seq>-<digest>.toml``: ``seq`` numbers the
chunks of the run in the order they were written (``bucket`` is ``seq // 256``, so no
tree a flush rewrites holds more than 256 chunks), ``digest`` is the start of the sha256
of the content. Two clones writing the same sequence number write different names, and
the same points written twice are one file: a merge is the union of the chunk files.
A chunk holds one table per series the flush had::

    [[series]]
    key = "loss"
    stage = "train"                  # absent: no stage
    count = 3
    start = 10                       # steps are start + i * stride ...
    stride = 1
    values = [0.5, 0.25, 0.125]
    times = [1743519600123, 1743519600127, 1743519600132]   # ms since 1970-01-01 UTC

(``steps = [...]`` replaces start and stride when the steps are not regular.) Times are
whole milliseconds: after ``git gc`` absolute times cost what offsets would (deflate
finds the shared digits), and they print without arithmetic. Arrays are written on one
line each. Reading parses the table with tomllib and each array line with the json module
(a number array that JSON reads is read the same by TOML, ten times faster); a line JSON
cannot read is read by tomllib. :func:`tokens` goes further for printing: json's scanner
checks each array line and hands back the numbers as the texts they are, so nothing is
parsed into a float and formatted back. What the values mean is checked by
``core/schema.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from contexta_git.core import records
from contexta_git.core.jsonout import jsonable
from contexta_git.core.series import SeriesSummary, summarize

FOLDER = "series"
BUCKET = 256
ARRAYS = ("steps", "values", "times")
_CUT = tuple(f"{name} = [".encode() for name in ARRAYS)


@dataclass
class Block:
    """The points of one series in one chunk (or in a writer's buffer), in logged order;
    ``times`` in milliseconds since the epoch."""

    key: str
    stage: str | None
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    times: list[int] = field(default_factory=list)

    def summary(self) -> SeriesSummary:
        return summarize(self.key, self.stage, self.steps, self.values, self.times)


class Columns(NamedTuple):
    """The points of one series in one chunk as the texts of their numbers, ready to print
    as CSV or JSON: a value that is not finite is ``"NaN"`` (quoted), as core/jsonout.py
    writes it. ``steps`` may be lazy (a regular chunk's are made as they are printed)."""

    key: str
    stage: str | None
    steps: Iterable[str]
    values: list[str]
    times: list[str]

    @classmethod
    def of(cls, block: Block) -> Columns:
        values = [repr(v) if math.isfinite(v) else json.dumps(jsonable(v))
                  for v in block.values]
        return cls(block.key, block.stage, _texts(block.steps), _texts(values),
                   _texts(block.times))


def _texts(items: Iterable[object]) -> list[str]:
    return [str(item) for item in items]


def path(seq: int, content: bytes) -> str:
    """Where chunk number ``seq`` with ``content`` lives, inside the run folder."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"{FOLDER}/{seq // BUCKET:04d}/{seq:06d}-{digest}.toml"


def sequence(name: str) -> int | None:
    """The sequence number of a chunk file name (None: not a chunk's name)."""
    seq, dash, rest = name.partition("-")
    if not (dash and seq.isdigit() and seq.isascii() and rest.endswith(".toml")):
        return None
    return int(seq)


def encode(blocks: Iterable[Block]) -> bytes:
    """One chunk holding ``blocks`` (each non-empty, already checked)."""
    parts = []
    for block in blocks:
        head: dict[str, Any] = {"key": block.key, "stage": block.stage,
                                "count": len(block.values)}
        steps = block.steps
        regular = _regular(steps)
        stride = steps[1] - steps[0] if len(steps) > 1 else 1
        if regular:
            head |= {"start": steps[0], "stride": stride}
        lines = ["[[series]]\n", records.dumps(head).decode()]
        if not regular:
            lines.append(f"steps = [{', '.join(map(str, steps))}]\n")
        lines.append(f"values = [{', '.join(map(repr, block.values))}]\n")
        lines.append(f"times = [{', '.join(map(str, block.times))}]\n")
        parts.append("".join(lines))
    return "\n".join(parts).encode()


def _regular(steps: list[int]) -> bool:
    """Whether ``steps`` are ``start + i * stride`` for a stride other than 0."""
    if len(steps) < 2:
        return True
    stride = steps[1] - steps[0]
    if stride == 0 or (steps[-1] - steps[0]) != stride * (len(steps) - 1):
        return False
    return steps == list(range(steps[0], steps[-1] + stride, stride))


def decode(data: bytes, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The chunk as tomllib reads it (UnicodeDecodeError, TOMLDecodeError: unreadable);
    the arrays named in ``skip`` may be left unread, as None (a chart by step never
    parses the times)."""
    found = _split(data, tokens=False, skip=skip)
    return found if found is not None else tomllib.loads(data.decode())


def tokens(data: bytes) -> dict[str, Any] | None:
    """The chunk with each array as the texts of its numbers (str), when every array line
    is a JSON array of numbers (which TOML reads as the same numbers): printed as they are,
    they are what :func:`decode` reads. None otherwise (then only :func:`decode` reads it).
    UnicodeDecodeError, TOMLDecodeError: the table around the arrays is unreadable."""
    return _split(data, tokens=True)


def _split(data: bytes, tokens: bool, skip: tuple[str, ...] = ()) -> dict[str, Any] | None:
    lines = data.split(b"\n")
    cut: list[tuple[str, Any]] = []
    for number, line in enumerate(lines):
        if line.startswith(_CUT) and line.endswith(b"]"):
            name, _, body = line.partition(b" = ")
            found = _texts_of(name, body) if tokens else (_SKIPPED if name.decode() in skip else body)
            if found is None:
                return None
            cut.append((name.decode(), found))
            lines[number] = name + b" = []"
    doc = tomllib.loads(b"\n".join(lines).decode())
    return doc if _fill(doc, cut, tokens) else None


_SKIPPED = b"<skipped>"  # the placeholder of an array line left unread (decode's skip)


class Texts(list[str]):
    """The numbers of an array line as the texts they are written as (see tokens)."""


def _texts_of(name: bytes, body: bytes) -> Texts | None:
    """The numbers of a JSON array as the texts they are written as: json's own scanner
    checks the grammar (integers only, but in ``values``), nothing becomes a float."""
    if b'"' in body:  # a string would come back as a text like a number's
        return None
    try:
        found = json.loads(body, parse_float=str if name == b"values" else _refuse,
                           parse_int=str, parse_constant=_refuse)
    except ValueError:
        return None
    return Texts(found) if isinstance(found, list) and set(map(type, found)) <= {str} else None


def _refuse(text: str) -> Any:
    raise ValueError(text)


def _fill(doc: dict[str, Any], cut: list[tuple[str, Any]], tokens: bool) -> bool:
    """Put the arrays cut out of the text back where their placeholders are (False: a
    cut line was no array of its own, say a line of a multi-line string)."""
    tables = doc.get("series", [])
    if not isinstance(tables, list):
        return not cut
    pending = iter(cut)
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if name in ARRAYS and value == []:
                cut_name, body = next(pending, ("", b""))
                if cut_name != name:
                    return False
                table[name] = body if tokens else (None if body is _SKIPPED else _array(name, body))
    return next(pending, None) is None


def _array(name: str, body: bytes) -> Any:
    """An array line as tomllib reads it: through json when json reads it (the same
    numbers, ten times faster), else through tomllib."""
    try:
        found = json.loads(body, parse_constant=_refuse)
    except ValueError:
        found = None
    if isinstance(found, list):
        return found
    return tomllib.loads(f"{name} = {body.decode()}")[name]
