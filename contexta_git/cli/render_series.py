"""The points of a step series as CSV or JSON, streamed block by block to stdout.

A million points print in a fraction of a second: numbers are the texts the chunk holds
(checked by json's scanner, never parsed into floats and formatted back: store/series.py
``columns``), rows are joined by C loops (``zip`` and ``str.join``), and each block is
written at once. ``time_ms`` is milliseconds since 1970-01-01 UTC, as chunks keep it. A
block's stage is made safe once: ``text.plain`` and CSV quoting, or ``json.dumps``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import repeat
from typing import BinaryIO

from contexta_git.cli.text import plain
from contexta_git.core.chunks import Columns

CSV_HEADER = b"step,value,time_ms,stage\n"


def write_csv(out: BinaryIO, blocks: Iterable[Columns]) -> None:
    out.write(CSV_HEADER)
    for block in blocks:
        if block.values:
            stage = _csv_cell(plain(block.stage or ""))
            rows = zip(block.steps, block.values, block.times, repeat(stage))
            out.write(("\n".join(map(",".join, rows)) + "\n").encode())


def write_json(out: BinaryIO, ref: str, key: str, blocks: Iterable[Columns]) -> None:
    """``{"run": ..., "key": ..., "points": [{"step", "value", "time_ms", "stage"}, ...]}``,
    one point a line."""
    out.write(f'{{"run": {json.dumps(ref)}, "key": {json.dumps(key)}, "points": ['.encode())
    separator = "\n"
    for block in blocks:
        if not block.values:
            continue
        tail = f', "stage": {json.dumps(block.stage)}}}'
        rows = zip(repeat('{"step": '), block.steps, repeat(', "value": '), block.values,
                   repeat(', "time_ms": '), block.times, repeat(tail))
        out.write((separator + ",\n".join(map("".join, rows))).encode())
        separator = ",\n"
    out.write(b"\n]}\n")


def _csv_cell(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
