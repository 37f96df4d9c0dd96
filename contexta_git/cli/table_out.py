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
    if type(value) is float:  # the common case first: millions of cells
        return f"{value:.6g}" if math.isfinite(value) else str(value)
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


Getter = Callable[[str], Callable[[Any], Any]]  # a column -> what reads it from a row


def write(rows: Iterable[Any], columns: Sequence[str], getter: Getter,
          fmt: str, out: TextIO | None = None, interactive: bool | None = None) -> int:
    """Write ``rows`` as ``fmt`` (``getter(column)`` reads a column's value from a row);
    returns how many rows were written."""
    out = out or sys.stdout
    readers = [getter(c) for c in columns]

    if fmt == "json":
        return write_records(({c: read(row) for c, read in zip(columns, readers, strict=True)}
                              for row in rows), out)
    if fmt in ("csv", "tsv"):
        writer = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(columns)
        count = 0
        for row in rows:
            writer.writerow([_inert(read(row)) for read in readers])
            count += 1
        return count
    if fmt == "md":
        out.write("| " + " | ".join(_md(c) for c in columns) + " |\n")
        out.write("|" + "---|" * len(columns) + "\n")
        count = 0
        for row in rows:
            out.write("| " + " | ".join(_md(cell(read(row))) for read in readers) + " |\n")
            count += 1
        return count
    interactive = out.isatty() if interactive is None else interactive
    if interactive:
        return _rich(list(rows), columns, readers)
    return _aligned(rows, columns, readers, out)


def _inert(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula (= + - @, tab,
    carriage return) gets a leading apostrophe; numbers are written as they are."""
    text = cell(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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


def _aligned(rows: Iterable[Any], columns: Sequence[str], readers: Sequence[Callable[[Any], Any]],
             out: TextIO, chunk: int = 2000) -> int:
    """Plain text in aligned columns, a chunk of rows at a time (widths per chunk, so the
    first rows appear at once and memory stays flat)."""
    count = 0
    batch: list[list[str]] = []
    header = list(columns)

    def flush() -> None:
        widths = [max(len(h), max(map(len, values)))
                  for h, values in zip(header, zip(*batch, strict=True), strict=True)]
        line = "  ".join(f"{{:<{w}}}" for w in widths).format  # one call a row
        if count <= len(batch):
            out.write(line(*header).rstrip() + "\n")
        out.write("".join(line(*r).rstrip() + "\n" for r in batch))
        batch.clear()

    for row in rows:
        batch.append([cell(read(row)) for read in readers])
        count += 1
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return count


def _rich(rows: list[Any], columns: Sequence[str], readers: Sequence[Callable[[Any], Any]]) -> int:
    from rich.table import Table

    from contexta_git.cli.render import console

    out = console()
    table = Table(*columns, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(cell(read(row)) for read in readers))
    if len(rows) > (out.size.height or 40) - 3:
        with out.pager(styles=True):
            out.print(table)
    else:
        out.print(table)
    return len(rows)
