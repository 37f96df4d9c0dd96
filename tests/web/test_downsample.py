from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.web.downsample import minmax, moving_average


def test_short_series_are_kept_whole() -> None:
    xs, ys = [1, 2, 3], [0.5, 0.25, 0.125]
    assert minmax(xs, ys, 10) == (xs, ys)


def test_a_long_series_keeps_first_last_and_every_bucket_extreme() -> None:
    random.seed(7)
    ys = [math.sin(i / 500) + random.random() for i in range(100_000)]
    ys[43_210] = 50.0  # a spike one step wide
    ys[77_777] = -50.0  # and a collapse
    xs = list(range(len(ys)))
    out_x, out_y = minmax(xs, ys, 1000)
    assert len(out_x) == len(out_y) <= 1000
    assert (out_x[0], out_y[0]) == (0, ys[0])
    assert (out_x[-1], out_y[-1]) == (99_999, ys[-1])
    assert (43_210, 50.0) in zip(out_x, out_y, strict=True)
    assert (77_777, -50.0) in zip(out_x, out_y, strict=True)
    assert out_x == sorted(set(out_x))  # in order, no point twice
    assert all(ys[x] == y for x, y in zip(out_x, out_y, strict=True))  # real points, not made up


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=0, max_size=400),
       st.integers(min_value=4, max_value=60))
def test_bound_order_and_extremes_hold_for_any_series(ys: list[float], cap: int) -> None:
    xs = list(range(len(ys)))
    out_x, out_y = minmax(xs, ys, cap)
    assert len(out_x) <= cap
    assert out_x == sorted(set(out_x))
    if ys:
        assert min(out_y) == min(ys) and max(out_y) == max(ys)
        assert out_x[0] == 0 and out_x[-1] == len(ys) - 1


def test_a_cap_below_four_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        minmax([1, 2], [1.0, 2.0], 3)


def test_moving_average_is_the_trailing_mean() -> None:
    assert moving_average([1.0, 2.0, 3.0, 4.0, 10.0], 2) == [1.0, 1.5, 2.5, 3.5, 7.0]
    assert moving_average([5.0, 1.0], 1) == [5.0, 1.0]
    with pytest.raises(ValueError, match="at least 1"):
        moving_average([1.0], 0)
