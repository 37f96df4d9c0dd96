"""Tables for the gate and verify commands (rich). Only the CLI imports this module."""

from __future__ import annotations

from rich.table import Table

from ..gate import GateResult
from ..gate_formats import bound_text, num
from .render import console

_STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red"}


def gate_table(result: GateResult) -> None:
    out = console()
    title = f"Gate {result.run}" + (f" (baseline {result.baseline})" if result.baseline else "")
    table = Table("metric", "stage", "value", "bound", "margin", "status", "detail",
                  title=title, box=None, pad_edge=False, title_justify="left")
    for r in result.rows:
        table.add_row(r.metric, r.stage or "any", num(r.value), bound_text(r), num(r.margin),
                      f"[{_STYLE[r.status]}]{r.status}[/]", r.reason)
    out.print(table)
    out.print(f"Decision: [{_STYLE[result.decision]}]{result.decision}[/]")
