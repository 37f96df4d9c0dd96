"""Tables for the analysis commands (rich). Only the CLI imports this module.
Every value goes through ``fmt`` or ``styled``: printed as written (see ``text``)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from contexta_git.cli.render import console, fmt
from contexta_git.cli.text import styled


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.4g}"


def _side(value: Any) -> str:
    return "(none)" if value is None else fmt(value)


def comparison(cmp: Any, show_all: bool) -> None:
    out = console()
    out.print(styled((cmp.left_run, "bold"), " -> ", (cmp.right_run, "bold")))
    table = Table("stage", "metric", "left", "right", "delta", box=None, pad_edge=False)
    shown = 0
    for stage in cmp.stage_comparisons:
        for d in stage.metric_deltas:
            if d.changed or show_all:
                table.add_row(fmt(stage.stage_name), fmt(d.metric_key), fmt(d.left), fmt(d.right),
                              _signed(d.delta))
                shown += 1
    out.print(table if shown else "metrics: no change")
    for title, changes in (("params", cmp.param_changes), ("datasets", cmp.dataset_changes)):
        for c in changes:
            out.print(f"{title[:-1]} {fmt(c.key)}: {_side(c.left_value)} -> {_side(c.right_value)}")
    env = cmp.environment
    if env.python_version_changed:
        out.print(f"python: {_side(env.left_python)} -> {_side(env.right_python)}")
    if env.platform_changed:
        out.print(f"platform: {_side(env.left_platform)} -> {_side(env.right_platform)}")
    for c in env.changed_packages:
        out.print(f"package changed: {fmt(c.key)} {fmt(c.left_value)} -> {fmt(c.right_value)}")
    for c in env.added_packages:
        out.print(f"package added: {fmt(c.key)} {fmt(c.right_value)}")
    for c in env.removed_packages:
        out.print(f"package removed: {fmt(c.key)} {fmt(c.left_value)}")
    if not env.changed:
        out.print("environment: no change")


def audit(result: Any) -> None:
    out = console()
    out.print(styled((result.run, "bold"), "  ", result.reproducibility_status))
    if result.python_version:
        out.print(f"python {fmt(result.python_version)} on "
                  f"{fmt(result.platform) or 'an unrecorded platform'}"
                  f", {result.package_count} packages")
    else:
        out.print("no environment recorded")
    for check in result.checks:
        mark = "PASS" if check.passed else "MISS"
        out.print(f"  [{mark}] {fmt(check.name):<11} {fmt(check.reason)}")


def side_by_side(cmp: Any) -> None:
    """One column per run; numbers show their change against the first run."""
    out = console()
    if not cmp.rows:
        out.print("no difference between " + ", ".join(fmt(r) for r in cmp.runs))
        return
    table = Table("", *(fmt(ref) for ref in cmp.runs), box=None, pad_edge=False)
    section = None
    for row in cmp.rows:
        if row.section != section:
            section = row.section
            table.add_row(styled((section + "s" if section != "environment" else section,
                                  "bold")))
        cells = []
        for value, delta in zip(row.values, row.deltas, strict=True):
            shown = _side(value)
            cells.append(shown if not delta else f"{shown} ({_signed(delta)})")
        table.add_row("  " + fmt(row.key), *cells)
    out.print(table)
