"""A chart drawn with characters, for terminals, SSH sessions and CI logs (plotext).

In colour each line has its colour and plotext's half-block marker (two points a cell
across and down); without colour (``color=False``: a pipe, a CI log, NO_COLOR) each line
gets its own letter-like marker instead, so the legend still tells the lines apart and
no escape sequence reaches the log. The x ticks read as steps (``12,000``) or as UTC
times; the y ticks as plotext writes them (log scale included).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from contexta_git.web.charts import Chart

#: markers of the lines without colour, in legend order
PLAIN_MARKERS = ("*", "+", "o", "x", "#", "@", "%", "=", "&", "$")
TICKS = 6


def render(chart: Chart, *, width: int, height: int, color: bool,
           text: Callable[[str], str] = str) -> str:
    """``chart`` as lines of text ``width`` columns by ``height`` rows; ``text`` is applied
    to every label shown (the title and the legend)."""
    import plotext  # about 0.2 s: only the command that draws pays it

    figure = plotext.figure
    figure.clear()
    figure.plot_size(width, height)
    figure.theme("default" if color else "clear")
    figure.title(text(chart.title))
    for i, line in enumerate(chart.lines):
        if not line.ys:  # nothing to draw (see empty_lines); plotext cannot scale an empty line
            continue
        marker = None if color else PLAIN_MARKERS[i % len(PLAIN_MARKERS)]
        figure.draw(figure.signal(line.xs, line.ys, marker=marker).label(text(line.name)).lines())
    if chart.log:
        figure.ruler("y").scale("log")
    xs = [x for line in chart.lines for x in line.xs]
    if xs:
        positions, labels = x_ticks(min(xs), max(xs), chart.x)
        figure.ruler("x").ticks(positions, labels)
    figure.label("UTC time" if chart.x == "time" else "step", "x")
    drawn = figure.build().string(colorless=not color)
    figure.clear()
    return "\n".join(row.rstrip() for row in drawn.splitlines())


def empty_lines(chart: Chart) -> list[str]:
    """The names of the lines of ``chart`` that have no point to draw."""
    return [line.name for line in chart.lines if not line.ys]


def x_ticks(low: float, high: float, axis: str) -> tuple[list[float], list[str]]:
    """Tick positions at round values and their labels: steps at 1, 2 or 5 times a power of
    ten, UTC times (x in ms) at whole milliseconds, seconds, minutes, hours or days, written
    to the unit that tells them apart."""
    if axis != "time":
        positions = nice(low, high)
        return positions, [f"{p:,.0f}" if p == int(p) else f"{p:,g}" for p in positions]
    positions = nice(low, high, TIME_STEPS)
    moments = [datetime.fromtimestamp(p / 1000, UTC) for p in positions]
    span = high - low
    if span < 60_000:
        return positions, [m.strftime("%H:%M:%S.") + f"{m.microsecond // 1000:03d}" for m in moments]
    shape = "%H:%M:%S" if moments[0].date() == moments[-1].date() else "%m-%d %H:%M"
    return positions, [m.strftime(shape) for m in moments]


_S, _MIN, _H, _DAY = 1000, 60_000, 3_600_000, 86_400_000
#: tick intervals of a time axis, in ms
TIME_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, _S, 2 * _S, 5 * _S, 10 * _S, 15 * _S,
              30 * _S, _MIN, 2 * _MIN, 5 * _MIN, 10 * _MIN, 15 * _MIN, 30 * _MIN, _H, 2 * _H,
              3 * _H, 6 * _H, 12 * _H, _DAY, 2 * _DAY, 7 * _DAY, 14 * _DAY, 30 * _DAY)


def nice(low: float, high: float, steps: tuple[int, ...] = (), count: int = TICKS) -> list[float]:
    """About ``count`` round positions between ``low`` and ``high`` (both kept inside):
    multiples of the first of ``steps`` wide enough, else of 1, 2 or 5 times a power of 10."""
    if high <= low:
        return [low]
    rough = (high - low) / (count - 1)
    step = next((s for s in steps if s >= rough), 0)
    if not step:
        power = 10 ** math.floor(math.log10(rough))
        step = next(power * f for f in (1, 2, 5, 10) if power * f >= rough)
    first = math.ceil(low / step) * step
    digits = max(0, -math.floor(math.log10(step)))
    return [round(first + i * step, digits) for i in range(int((high - first) / step) + 1)]
