"""Writing the run table: table, csv, tsv, md or json, streamed row by row.

The table is rich (and paged) on an interactive terminal and plain aligned text when
piped, which is what makes ``runs | less`` and CI logs fast at 100,000 runs. CSV and TSV
come from the csv module; JSON is compact, one run per line inside one array, written as
the rows are produced and strict (RFC 8259). Every value goes through ``text.plain``
except in JSON, which escapes on its own.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from contexta_git.cli.text import plain

FORMATS = ("table", "csv", "tsv", "md", "json")


def cell(value: Any) -> str:
    """A value as the table and CSV show it: floats in short form, dates as written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, default=str, allow_nan=True)
    return plain(value)


def write(rows: Iterable[Any], columns: Sequence[str], value: Callable[[Any, str], Any],
          fmt: str, out: TextIO | None = None, interactive: bool | None = None) -> int:
    """Write ``rows`` as ``fmt``; returns how many rows were written."""
    out = out or sys.stdout
    if fmt == "json":
        return _json(rows, columns, value, out)
    if fmt in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        count = 0
        for row in rows:
            writer.writerow([_inert(value(row, c)) for c in columns])
            count += 1
        return count
    if fmt == "md":
        out.write("| " + " | ".join(_md(c) for c in columns) + " |\n")
        out.write("|" + "---|" * len(columns) + "\n")
        count = 0
        for row in rows:
            out.write("| " + " | ".join(_md(cell(value(row, c))) for c in columns) + " |\n")
            count += 1
        return count
    interactive = out.isatty() if interactive is None else interactive
    if interactive:
        return _rich(list(rows), columns, value)
    return _aligned(rows, columns, value, out)


def _inert(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula (= + - @, tab,
    carriage return) gets a leading apostrophe; numbers are written as they are."""
    text = cell(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _json(rows: Iterable[Any], columns: Sequence[str], value: Callable[[Any, str], Any],
          out: TextIO) -> int:
    return write_records(({c: value(row, c) for c in columns} for row in rows), out)


def write_records(records: Iterable[Any], out: TextIO | None = None) -> int:
    """A strict JSON array written as the records come, compact, one record a line."""
    import json

    from contexta_git.core.jsonout import jsonable

    out = out or sys.stdout
    count = 0
    out.write("[")
    for record in records:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(jsonable(record), allow_nan=False,
                                                               separators=(",", ":")))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _aligned(rows: Iterable[Any], columns: Sequence[str], value: Callable[[Any, str], Any],
             out: TextIO, chunk: int = 2000) -> int:
    """Plain text in aligned columns, a chunk of rows at a time (widths per chunk, so the
    first rows appear at once and memory stays flat)."""
    count = 0
    batch: list[list[str]] = []
    header = list(columns)

    def flush() -> None:
        widths = [max(len(h), *(len(r[i]) for r in batch)) for i, h in enumerate(header)]
        if count <= len(batch):
            out.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
                      + "\n")
        out.write("".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                          + "\n" for r in batch))
        batch.clear()

    for row in rows:
        batch.append([cell(value(row, c)) for c in columns])
        count += 1
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return count


def _rich(rows: list[Any], columns: Sequence[str], value: Callable[[Any, str], Any]) -> int:
    from rich.table import Table

    from contexta_git.cli.render import console

    out = console()
    table = Table(*columns, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(cell(value(row, c)) for c in columns))
    if len(rows) > (out.size.height or 40) - 3:
        with out.pager(styles=True):
            out.print(table)
    else:
        out.print(table)
    return len(rows)
