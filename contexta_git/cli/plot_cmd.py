"""plot: step series as a chart in the terminal, or as a self-contained HTML page."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import project_option, runs_of, write_output
from contexta_git.cli.text import echo, plain, terminal_colors


@cli.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("-m", "--metric", "refs", multiple=True, required=True, metavar="KEY",
              help="Step series to draw: KEY, or STAGE.KEY for one stage; repeatable.")
@project_option
@click.option("--x", "x", type=click.Choice(["step", "time"]), default="step", show_default=True,
              help="X axis: the step, or the UTC time each point was logged.")
@click.option("--smooth", type=click.IntRange(min=1), default=1, metavar="N",
              help="Draw the trailing mean of N points.")
@click.option("--log", "log", is_flag=True, help="Logarithmic y axis (values <= 0 left out).")
@click.option("--width", type=click.IntRange(min=20), metavar="W",
              help="Columns (default: the terminal's width, 100 when not a terminal).")
@click.option("--height", type=click.IntRange(min=8), default=25, show_default=True,
              metavar="H", help="Rows.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the chart as a self-contained HTML page instead.")
@click.pass_context
def plot(ctx: click.Context, runs: tuple[str, ...], refs: tuple[str, ...], project: str | None,
         x: str, smooth: int, log: bool, width: int | None, height: int, html_path: str | None) -> None:
    """Draw step series of RUNS: one line per run and series, with a legend. Colours on a
    terminal; without one (a pipe, a CI log, NO_COLOR) each line has its own marker."""
    import shutil

    from contexta_git.web import charts
    from contexta_git.web.plot import plot as chart_of

    columns = width or (shutil.get_terminal_size((100, 25)).columns if terminal_colors() else 100)
    cap = charts.CAP if html_path else max(400, 4 * columns)
    found = chart_of(runs_of(ctx), runs, refs, project=project, x=x, smooth=smooth, log=log, cap=cap)
    if html_path:
        from contexta_git.web import html

        write_output(html_path, html.chart_page([found], found.title))
        echo(f"Wrote {html_path}", err=True)
        return
    from contexta_git.web.terminal import empty_lines, render

    for name in empty_lines(found):
        echo(f"Warning: {name} has no point to draw", err=True)
    color = terminal_colors()
    echo(render(found, width=columns, height=height, color=color, text=plain), drawing=True)
