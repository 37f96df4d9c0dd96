"""A parallel-coordinates view of runs: one vertical axis per param and one for the chosen
metric, one polyline per run, drawn as SVG on the server (no script needed).

A numeric axis runs from its lowest value (bottom) to its highest (top); any other axis
places its distinct values evenly, in sorted order. A run without a value on an axis is
drawn up to the axis before and from the one after: a gap, never an invented value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 960, 340
TOP, BOTTOM, SIDE = 36, 28, 70


@dataclass(frozen=True)
class Axis:
    name: str
    x: float
    ticks: tuple[tuple[float, str], ...]  # (y, label)


@dataclass(frozen=True)
class Polyline:
    run: str
    segments: tuple[str, ...]  # SVG "points" attributes, one per unbroken stretch
    label: str  # the run's values, for a tooltip


@dataclass(frozen=True)
class Parallel:
    width: int
    height: int
    axes: tuple[Axis, ...]
    lines: tuple[Polyline, ...]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _scale(values: Sequence[Any]) -> tuple[dict[str, float], tuple[tuple[float, str], ...]]:
    """Each present value's height in [0, 1] (keyed by its text) and the axis ticks."""
    present = [v for v in values if v is not None]
    if present and all(_number(v) for v in present):
        low, high = min(present), max(present)
        span = high - low
        where = {_text(v): 0.5 if span == 0 else (v - low) / span for v in present}
        ticks = ((0.0, _text(low)), (1.0, _text(high))) if span else ((0.5, _text(low)),)
        return where, ticks
    names = sorted({_text(v) for v in present})
    step = 1 / (len(names) - 1) if len(names) > 1 else 0
    where = {name: (i * step if len(names) > 1 else 0.5) for i, name in enumerate(names)}
    return where, tuple((h, name) for name, h in where.items())


def parallel(runs: Sequence[str], axes: Sequence[tuple[str, Sequence[Any]]]) -> Parallel:
    """The drawing of ``runs`` (labels) over ``axes`` (name, one value per run, None where
    the run has none)."""
    inner = HEIGHT - TOP - BOTTOM
    gap = (WIDTH - 2 * SIDE) / max(1, len(axes) - 1)
    drawn_axes = []
    heights: list[list[float | None]] = [[] for _ in runs]
    for i, (name, values) in enumerate(axes):
        where, ticks = _scale(values)
        x = SIDE + i * gap if len(axes) > 1 else WIDTH / 2
        drawn_axes.append(Axis(name, x, tuple((TOP + (1 - h) * inner, t) for h, t in ticks)))
        for r, value in enumerate(values):
            heights[r].append(None if value is None else TOP + (1 - where[_text(value)]) * inner)
    lines = []
    for r, run in enumerate(runs):
        segments: list[list[str]] = []
        current: list[str] = []
        for axis, y in zip(drawn_axes, heights[r], strict=True):
            if y is None:
                segments.append(current)
                current = []
            else:
                current.append(f"{axis.x:.1f},{y:.1f}")
        segments.append(current)
        label = ", ".join(f"{name}={_text(v)}" for name, vs in axes if (v := vs[r]) is not None)
        lines.append(Polyline(run, tuple(" ".join(s) for s in segments if s), f"{run}: {label}"))
    return Parallel(WIDTH, HEIGHT, tuple(drawn_axes), tuple(lines))
