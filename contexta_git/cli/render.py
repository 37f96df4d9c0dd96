"""Tables for people (rich). Only the CLI imports this module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from contexta_git.core.records import RunData


def console() -> Console:
    """Rich assumes 80 columns when output is piped (CI logs): use a wide page instead,
    unless COLUMNS says otherwise, so run names are never cut."""
    import os
    import sys

    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, soft_wrap=True, width=200 if wide else None)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def runs_table(found: Sequence[Any], empty: str = "No runs recorded yet.") -> None:
    """RunData or listing.RunSummary rows: anything with ref, status, started_at, metrics."""
    if not found:
        console().print(empty)
        return
    table = Table(box=None, pad_edge=False)
    table.add_column("run", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("metrics", overflow="fold")
    for run in found:
        metrics = ", ".join(f"{k}={fmt(v)}" for k, v in list(run.latest_metrics().items())[:4])
        status = run.status + (" [quarantined]" if run.quarantined else "")
        table.add_row(run.ref, status, fmt(run.started_at)[:19], metrics)
    console().print(table)


def run_detail(run: RunData) -> None:
    out = console()
    out.print(f"[bold]{run.ref}[/bold]  {run.status}" + ("  QUARANTINED" if run.quarantined else ""))
    out.print(f"started {fmt(run.started_at)}  ended {fmt(run.ended_at)}")
    src = run.source
    if src.get("commit"):
        dirty = " (dirty)" if src.get("dirty") else ""
        out.print(f"code {src['commit'][:12]} on {src.get('branch') or 'detached HEAD'}{dirty}")
    if run.params:
        out.print("params: " + ", ".join(f"{k}={fmt(v)}" for k, v in run.params.items()))
    if run.metrics:
        table = Table("stage", "metric", "value", "step", box=None, pad_edge=False)
        for m in run.metrics:
            table.add_row(m.stage or "(run)", m.key, fmt(m.value), fmt(m.step))
        out.print(table)
    for d in run.datasets:
        out.print(f"dataset {d.name} {fmt(d.version)} {fmt(d.digest)[:23]}")
    for a in run.artifacts:
        out.print(f"artifact {a.name} {fmt(a.kind)} sha256:{fmt(a.sha256)[:16]} {fmt(a.size)} bytes")
    for e in run.events:
        out.print(f"event [{e.level}] {e.key}: {e.message}")
    py = run.environment.get("python", {}).get("version")
    if py:
        out.print(f"python {py} on {fmt(run.environment.get('platform'))}, "
                  f"{len(run.packages)} packages" + (", pylock.toml" if run.lockfile else ""))
