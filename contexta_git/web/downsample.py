"""Fewer points, the same shape: min/max buckets and a moving average for charts.

:func:`minmax` keeps the first and the last point and, in each of equal-count buckets of
the points between, the lowest and the highest (in their own order). A chart drawn from
them has the envelope of the whole series: a loss spike or a collapse one step wide
survives, which an average or a stride would smooth away (LTTB keeps the shape too but
may drop a one-point extreme that its triangle areas do not favour). Pure Python on
lists: ``min``, ``max`` and ``list.index`` run in C, a million points take a few tens of
milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence


def minmax(xs: Sequence[float], ys: Sequence[float], cap: int) -> tuple[list[float], list[float]]:
    """At most ``cap`` (>= 4) points of ``xs``, ``ys`` (same length): all of them when
    they fit, else the first, the last, and each bucket's lowest and highest point."""
    if cap < 4:
        raise ValueError(f"cap must be at least 4, not {cap}")
    count = len(ys)
    if count <= cap:
        return list(xs), list(ys)
    buckets = (cap - 2) // 2
    inner = count - 2
    keep = [0]
    for b in range(buckets):
        start = 1 + inner * b // buckets
        end = 1 + inner * (b + 1) // buckets
        if start == end:
            continue
        part = ys[start:end]
        low = start + part.index(min(part))
        high = start + part.index(max(part))
        keep.extend(sorted({low, high}))
    keep.append(count - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def moving_average(ys: Sequence[float], window: int) -> list[float]:
    """The trailing mean of ``window`` points at each point (fewer at the start)."""
    if window < 1:
        raise ValueError(f"window must be at least 1, not {window}")
    out = []
    total = 0.0
    for i, y in enumerate(ys):
        total += y
        if i >= window:
            total -= ys[i - window]
        out.append(total / min(i + 1, window))
    return out
