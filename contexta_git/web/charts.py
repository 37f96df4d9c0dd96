"""Charts of step series: which points to draw, as data every renderer shares.

A :class:`Chart` holds lines named ``"<run> / <key>"``, each the points of one series of
one run, read from the branch (store/series.py) and made drawable:

- values that are not finite are left out (recording refuses them; an old record may
  hold one), and so are values <= 0 on a log scale;
- points are ordered by x (the step, or the time logged in ms since the epoch); points
  sharing an x keep the one logged last (the "latest value" rule, core/series.py);
- ``smooth`` > 1 replaces each value by the trailing mean of that many points;
- at most ``cap`` points remain, by min/max buckets (web/downsample.py), so a million
  points draw as fast as a thousand and a spike still shows.

The terminal (cli/plot) and the HTML pages (web/html.py) draw the same :class:`Chart`;
:meth:`Chart.spec` is its JSON form, the one the browser script reads.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.errors import InvalidValue
from contexta_git.git.repo import View
from contexta_git.core.chunks import Block
from contexta_git.store.series import every_point, points
from contexta_git.web.downsample import minmax, moving_average

X_AXES = ("step", "time")
#: points per line on a page: 1,000 buckets' lows and highs, about 40 kB of JSON
CAP = 2000


@dataclass(frozen=True)
class Line:
    """One series of one run, ready to draw; ``count``: the points read before
    downsampling (after leaving out those that cannot be drawn)."""

    name: str
    run: str
    key: str
    stage: str | None
    xs: list[float]
    ys: list[float]
    count: int


@dataclass(frozen=True)
class Chart:
    title: str
    x: str
    lines: tuple[Line, ...]
    log: bool = False
    smooth: int = 1

    def spec(self) -> dict[str, Any]:
        """The chart as strict JSON data (x in seconds on a time axis, as the browser
        library counts time)."""
        scale = 1000 if self.x == "time" else 1
        return {"title": self.title, "x": self.x, "log": self.log, "smooth": self.smooth,
                "lines": [{"name": line.name, "run": line.run, "key": line.key,
                           "stage": line.stage, "count": line.count,
                           "x": [x / scale for x in line.xs] if scale != 1 else line.xs,
                           "y": line.ys} for line in self.lines]}


def series_of(data: RunData, ref: str) -> tuple[str, str | None]:
    """The series (key, stage) that metric reference ``ref`` names in run ``data``: a key
    in any stage first (keys may hold dots), then ``<stage>.<key>``; InvalidValue names
    the run's series when none matches."""
    if ref in data.series_summaries():
        return ref, None
    stage, _, rest = ref.partition(".")
    if rest and rest in data.series_summaries(stage):
        return rest, stage
    known = sorted(data.series_summaries())
    have = f" (it has: {', '.join(known)})" if known else " (it has none)"
    raise InvalidValue(f"run:{data.project}.{data.name} has no step series {ref!r}{have}")


def line(view: View, run: RunId, data: RunData, ref: str, *, label: str, x: str = "step",
         cap: int = CAP, smooth: int = 1, log: bool = False) -> Line:
    """The drawable points of series ``ref`` of ``run`` (see the module)."""
    key, stage = series_of(data, ref)
    return drawn(points(view, run, key, stage), f"{label} / {ref}", run.ref, key, stage,
                 x=x, cap=cap, smooth=smooth, log=log)


def drawn(blocks: Iterable[Block], name: str, run: str, key: str, stage: str | None, *,
          x: str = "step", cap: int = CAP, smooth: int = 1, log: bool = False) -> Line:
    """A line of the points of ``blocks`` (one series, in logged order)."""
    xs: list[float] = []
    ys: list[float] = []
    for block in blocks:
        xs.extend(block.steps if x == "step" else block.times)
        ys.extend(block.values)
    xs, ys = _drawable(xs, ys, log)
    if smooth > 1:
        ys = moving_average(ys, smooth)
    count = len(ys)
    xs, ys = minmax(xs, ys, cap)
    return Line(name, run, key, stage, xs, ys, count)


def _drawable(xs: list[float], ys: list[float], log: bool) -> tuple[list[float], list[float]]:
    """Finite (and, on a log scale, positive) points, one per x in increasing x."""
    keep = (lambda y: y > 0 and y != math.inf) if log else math.isfinite
    if not all(map(keep, ys)):
        pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if keep(y)]
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    if all(map(operator.lt, xs, islice(xs, 1, None))):  # strictly increasing, in C
        return xs, ys
    last = dict(zip(xs, ys, strict=True))  # a later point of the same x wins
    ordered = sorted(last)
    return ordered, [last[x] for x in ordered]


def labels(runs: Sequence[RunId]) -> list[str]:
    """Short names for lines: the run's name, or ``project.name`` when two runs of the
    chart share a name."""
    names = [run.name for run in runs]
    return [run.name if names.count(run.name) == 1 else run.id for run in runs]


def chart(view: View, runs: Sequence[tuple[RunId, RunData]], refs: Sequence[str], *,
          x: str = "step", cap: int = CAP, smooth: int = 1, log: bool = False,
          title: str | None = None) -> Chart:
    """One chart: a line for each run and each of ``refs``; InvalidValue when a run lacks
    one of them, when no line has a point to draw, or for an unknown x axis or a smoothing
    window below 1."""
    if x not in X_AXES:
        raise InvalidValue(f"x axis must be one of {', '.join(X_AXES)}, not {x!r}")
    if smooth < 1:
        raise InvalidValue(f"smoothing window must be at least 1, not {smooth}")
    names = labels([run for run, _data in runs])
    lines = tuple(line(view, run, data, ref, label=name, x=x, cap=cap, smooth=smooth, log=log)
                  for ref in refs for (run, data), name in zip(runs, names, strict=True))
    if not any(found.ys for found in lines):
        why = "values > 0 on a log scale" if log else "finite values"
        raise InvalidValue(f"nothing to draw: {', '.join(refs)} of these runs holds no {why}")
    return Chart(title or ", ".join(refs), x, lines, log, smooth)


def every_series(view: View, runs: Sequence[tuple[RunId, RunData]], *, x: str = "step",
                 cap: int = CAP) -> list[Chart]:
    """A chart per series key any of ``runs`` has (stages combined), each run that has it
    overlaid, in key order; each run's chunks are read once."""
    names = labels([run for run, _data in runs])
    found: dict[str, list[Line]] = {}
    for (run, _data), label in zip(runs, names, strict=True):
        blocks: dict[str, list[Block]] = {}
        for block in every_point(view, run, times=x == "time"):
            blocks.setdefault(block.key, []).append(block)
        for key, parts in blocks.items():
            found.setdefault(key, []).append(
                drawn(parts, f"{label} / {key}", run.ref, key, None, x=x, cap=cap))
    return [Chart(key, x, tuple(found[key])) for key in sorted(found)]


def total_points(charts: Iterable[Chart]) -> int:
    """The points the charts hold (after downsampling)."""
    return sum(len(line.ys) for c in charts for line in c.lines)
