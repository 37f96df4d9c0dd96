"""Tables for people (rich). Only the CLI imports this module.

The console reads no markup, and every value goes through ``fmt`` (or ``text.styled``),
so it is printed as written: never as formatting, never as a control sequence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from contexta_git.cli.text import echo, plain, styled
from contexta_git.core.records import RunData


def console() -> Console:
    """Rich assumes 80 columns when output is piped (CI logs): use a wide page instead,
    unless COLUMNS says otherwise, so run names are never cut. No markup and no emoji
    codes: a value holding ``[/bold]`` or ``:100:`` is shown as written (see ``text``)."""
    import os
    import sys

    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(markup=False, emoji=False, highlight=False, soft_wrap=True,
                   width=200 if wide else None)


def fmt(value: Any, limit: int | None = None) -> str:
    """A value as safe text: floats to 6 significant digits, None as nothing, cut to
    ``limit`` characters, control characters made visible (``text.plain``)."""
    text = f"{value:.6g}" if isinstance(value, float) else "" if value is None else str(value)
    return plain(text[:limit])


def runs_table(found: Sequence[Any], empty: str = "No runs recorded yet.") -> None:
    """RunData or listing.RunSummary rows: anything with ref, status, started_at, metrics.
    A rich table on a terminal; piped, plain aligned text, one line a run (as fast as
    printing: rich's layout took 98% of listing 100,000 runs)."""
    import sys

    if not found:
        console().print(empty)
        return
    rows = [_run_row(run) for run in found]
    if not sys.stdout.isatty():
        echo(_aligned(("run", "status", "started", "metrics"), rows), document=True)
        return
    table = Table(box=None, pad_edge=False)
    table.add_column("run", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("started", no_wrap=True)
    table.add_column("metrics", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console().print(table)


def _run_row(run: Any) -> tuple[str, str, str, str]:
    shown = list(run.latest_metrics().items())[:4]
    metrics = plain(", ".join(f"{k}={_number(v)}" for k, v in shown))  # one pass a cell
    status = fmt(run.status) + (" [quarantined]" if run.quarantined else "")
    return fmt(run.ref), status, fmt(run.started_at, 19), metrics


def _number(value: Any) -> str:
    """``fmt`` without the escaping (the caller escapes the whole cell)."""
    return f"{value:.6g}" if isinstance(value, float) else "" if value is None else str(value)


def _aligned(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Columns of safe text (``fmt``) padded to their widest cell, two spaces apart; the
    last column is not padded and no line ends in spaces."""
    from rich.cells import cell_len

    table = [header, *rows]
    out = ["" for _ in table]
    for i in range(len(header) - 1):
        column = [row[i] for row in table]
        width = len if "".join(column).isascii() else cell_len
        sizes = [width(cell) for cell in column]
        most = max(sizes)
        out = [f"{line}{cell}{' ' * (most - size)}  "
               for line, cell, size in zip(out, column, sizes, strict=True)]
    return "\n".join(f"{line}{row[-1]}".rstrip() for line, row in zip(out, table, strict=True))


def run_detail(run: RunData) -> None:
    out = console()
    out.print(styled((run.ref, "bold"), "  ", run.status,
                     "  QUARANTINED" if run.quarantined else ""))
    out.print(f"started {fmt(run.started_at)}  ended {fmt(run.ended_at)}")
    src = run.source
    if src.get("commit"):
        dirty = " (dirty)" if src.get("dirty") else ""
        out.print(f"code {fmt(src['commit'], 12)} on {fmt(src.get('branch') or 'detached HEAD')}"
                  + dirty)
    if run.params:
        out.print("params: " + ", ".join(f"{fmt(k)}={fmt(v)}" for k, v in run.params.items()))
    if run.tags:
        out.print("tags: " + ", ".join(f"{fmt(k)}={fmt(v)}" for k, v in run.tags.items()))
    single = [m for m in run.metrics if m.step is None]
    if single:
        table = Table("stage", "metric", "value", box=None, pad_edge=False)
        for m in single:
            table.add_row(fmt(m.stage or "(run)"), fmt(m.key), fmt(m.value))
        out.print(table)
    if found := run.all_series():
        table = Table("stage", "series", "points", "steps", "last", "min (step)", "max (step)",
                      box=None, pad_edge=False)
        for s in found:
            table.add_row(fmt(s.stage or "(run)"), fmt(s.key), fmt(s.count),
                          f"{fmt(s.first_step)}..{fmt(s.last_step)}", fmt(s.last),
                          f"{fmt(s.min)} ({fmt(s.min_step)})", f"{fmt(s.max)} ({fmt(s.max_step)})")
        out.print(table)
    for d in run.datasets:
        out.print(f"dataset {fmt(d.name)} {fmt(d.version)} {fmt(d.digest, 23)}")
    for a in run.artifacts:
        out.print(f"artifact {fmt(a.name)} {fmt(a.kind)} sha256:{fmt(a.sha256, 16)} "
                  f"{fmt(a.size)} bytes")
    for e in run.events:
        out.print(f"event [{fmt(e.level)}] {fmt(e.key)}: {fmt(e.message)}")
    py = run.environment.get("python", {}).get("version")
    if py:
        out.print(f"python {fmt(py)} on {fmt(run.environment.get('platform'))}, "
                  f"{len(run.packages)} packages" + (", pylock.toml" if run.lockfile else ""))


def reproduction(result: Any) -> None:
    """What ``reproduce`` rebuilt, the command to run, and what it could not reproduce."""
    echo(f"Rebuilt {result.run} in {result.folder}")
    if result.code is not None:
        echo(f"  code:    {result.code}" + (" (kept uncommitted patch applied)"
                                            if result.patched else ""))
    if result.python is not None:
        echo(f"  python:  {result.python} ({len(result.installed)} packages installed)")
    echo(f"  command: {result.command or '(none recorded)'}")
    for key, value in sorted(result.params.items()):
        echo(f"  param:   {key} = {fmt(value)}")
    if result.new_run is not None:
        echo(f"Ran it again as {result.new_run}: exit {result.exit_code}")
    if result.gaps:
        echo(f"Cannot reproduce ({len(result.gaps)}):")
        for gap in result.gaps:
            echo(f"  - {gap}")
    else:
        echo("Everything recorded was reproduced.")
