"""The runs page: ``contexta-git runs`` as a page, the same columns, filter and sort
(analysis/table.py and its filter language), newest first, a page of PAGE runs at a time."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from contexta_git.analysis import table
from contexta_git.analysis.listing import run_summaries
from contexta_git.core.time import sort_key
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs
from contexta_git.web.site import Query, Settings
from contexta_git.web.sources import Source

PAGE = 200
COMPARED = 8  # runs on a static site's compare page
#: which runs the table holds, as the runs command's flags say it
QUARANTINE_MODES = {"hide": False, "include": None, "only": True}
_ASKED = ("filter", "sort", "columns", "only_changed", "quarantined")


def context(runs: Runs, source: Source, query: Query, settings: Settings) -> dict[str, Any]:
    asked = {name: _one(query, name) for name in _ASKED}
    mode = asked["quarantined"] or ("include" if settings.static else "hide")
    if mode not in QUARANTINE_MODES:
        raise InvalidValue(f"quarantined={mode!r}: expected hide, include or only")
    listed = run_summaries(source.view(runs), detail=True)
    keep = QUARANTINE_MODES[mode]
    rows = [s for s in listed if keep is None or s.quarantined == keep]
    rows.sort(key=lambda r: (sort_key(r.started_at), r.project, r.name), reverse=True)
    out: dict[str, Any] = {
        "title": f"Runs on {source.label}", "asked": asked, "mode": mode, "error": None,
        "recorded": len(listed), "skipped": [p.message for p in listed.skipped],
        "compare_href": None,
    }
    try:  # a filter, sort or column the user can fix: said on the page, the form kept
        rows, chosen = _table(rows, asked)
    except InvalidValue as exc:
        rows, chosen, out["error"] = [], [], str(exc)
    if settings.static and len(rows) >= 2:
        out["compare_href"] = "compare.html"
    number, pages = _page_number(query, len(rows), settings)
    shown = rows[(number - 1) * PAGE:number * PAGE]
    return {**out, "columns": chosen, "total": len(rows), "rows": [_row(r, chosen) for r in shown],
            "page_number": number,
            "pages": [(n, page_href(n, asked, settings)) for n in range(1, pages + 1)]}


def _table(rows: list[Any], asked: dict[str, str]) -> tuple[list[Any], list[str]]:
    """The rows the filter keeps, sorted, and the columns chosen (the runs command's way)."""
    available = table.columns_of(rows)
    rows = list(table.filter_rows(rows, asked["filter"], available))
    rows = table.sort_rows(rows, table.parse_sort(asked["sort"], available))
    chosen = table.select_columns(asked["columns"], available)
    if asked["only_changed"]:
        chosen = table.changed_only(rows, chosen)
    return rows, chosen


def compared(runs: Runs, source: Source) -> list[str]:
    """The runs a static site's compare page shows: the COMPARED newest runs that are
    not quarantined."""
    listed = [s for s in run_summaries(source.view(runs), detail=True) if not s.quarantined]
    listed.sort(key=lambda r: (sort_key(r.started_at), r.project, r.name), reverse=True)
    return [s.run_id for s in listed[:COMPARED]]


def page_href(number: int, asked: dict[str, str], settings: Settings) -> str:
    """Page ``number`` of the table: ``index-N.html`` in a static site, a query when served."""
    if settings.static:
        return "index.html" if number == 1 else f"index-{number}.html"
    kept = {k: v for k, v in asked.items() if v}
    return "index.html?" + urlencode({**kept, "page": number})


def page_count(total: int) -> int:
    return max(1, math.ceil(total / PAGE))


def _page_number(query: Query, total: int, settings: Settings) -> tuple[int, int]:
    pages = page_count(total)
    text = _one(query, "page") or "1"
    if not text.isdigit() or not 1 <= int(text) <= pages:
        raise InvalidValue(f"page={text!r}: expected a number from 1 to {pages}")
    return int(text), pages


def _one(query: Query, name: str) -> str:
    values = query.get(name) or [""]
    return values[-1].strip()


def _row(summary: Any, columns: list[str]) -> dict[str, Any]:
    return {"ref": summary.ref, "id": summary.run_id, "project": summary.project,
            "name": summary.name, "quarantined": summary.quarantined,
            "cells": [(c, shown(summary, c)) for c in columns]}


def shown(summary: Any, column: str) -> str:
    """A cell as the runs command prints it: dates to the second, numbers to 6 digits."""
    value = table.value(summary, column)
    if value is None:
        return ""
    if column in table.DATES and isinstance(value, str):
        return value[:19].replace("T", " ")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
