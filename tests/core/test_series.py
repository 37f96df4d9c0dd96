"""Step series without a repository: summaries, references, and the chunk file format
(its fast reading against tomllib, and every way a chunk can be broken)."""

from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.core import chunks, schema, series
from contexta_git.core.chunks import Block
from contexta_git.core.series import SeriesSummary
from contexta_git.errors import CorruptRun

FOLDER = "projects/p/runs/45/r"
PATH = "series/0000/000000-abc.toml"

values = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(min_value=-2**63 + 1, max_value=2**63 - 1))
steps = st.integers(min_value=-2**62, max_value=2**62)
points = st.lists(st.tuples(steps, values), min_size=1, max_size=40)


def block(pairs: list[tuple[int, float]], key: str = "loss", stage: str | None = "train",
          start: int = 1_700_000_000_000) -> Block:
    return Block(key, stage, [s for s, _ in pairs], [v for _, v in pairs],
                 [start + i for i in range(len(pairs))])


@given(st.lists(points, min_size=1, max_size=6))
def test_a_summary_extended_flush_by_flush_equals_the_summary_of_every_point(
        flushes: list[list[tuple[int, float]]]) -> None:
    everything: list[tuple[int, float]] = []
    summary: SeriesSummary | None = None
    for pairs in flushes:
        summary = series.extend(summary, block(pairs, start=1_700_000_000_000 + len(everything))
                                .summary())
        everything += pairs
    assert summary == block(everything).summary()
    assert summary is not None and summary.count == len(everything)
    assert summary.min == min(v for _, v in everything)
    assert summary.min_step == next(s for s, v in everything if v == summary.min)  # earliest


def test_references_try_the_exact_key_first_then_the_aggregate() -> None:
    loss = block([(0, 2.0), (1, 0.5), (2, 1.0)]).summary().numbers()
    metrics = {"loss": 1.0, "acc": 0.9, "loss.min": 42.0}
    assert series.resolve("loss.min", metrics, {"loss": loss}) == 42.0  # a metric named so
    assert series.resolve("loss.min", {"loss": 1.0}, {"loss": loss}) == 0.5
    assert series.resolve("loss.max", metrics, {"loss": loss}) == 2.0
    assert series.resolve("loss.first", metrics, {"loss": loss}) == 2.0
    assert series.resolve("loss.count", metrics, {"loss": loss}) == 3
    assert series.resolve("loss.last", metrics, {"loss": loss}) == 1.0
    assert series.resolve("acc.last", metrics, {}) == 0.9  # the latest, series or not
    assert series.resolve("acc.min", metrics, {}) is None  # no series: no aggregate
    assert series.resolve("loss.median", metrics, {"loss": loss}) is None
    assert series.resolve("nope", metrics, {}) is None


def test_the_latest_value_is_the_one_logged_last_to_the_millisecond() -> None:
    train = block([(0, 2.0), (1, 0.5)], start=1_743_519_600_000).summary()  # 15:00:00.001
    before = {"key": "loss", "stage": "train", "value": 9.0,
              "observed_at": "2025-04-01T15:00:00.000500Z"}
    after = {**before, "observed_at": "2025-04-01T15:00:00.002000Z"}
    assert series.latest([before], [train])[0] == {"loss": 0.5}
    assert series.latest([after], [train]) == ({"loss": 9.0}, {"train": {"loss": 9.0}})
    tie = {**before, "observed_at": "2025-04-01T15:00:00.001900Z"}  # same millisecond
    assert series.latest([tie], [train])[0] == {"loss": 9.0}


def test_stages_combine_by_time() -> None:
    train = block([(0, 3.0), (1, 1.0)], stage="train", start=1_000).summary()
    tune = block([(0, 0.5), (1, 2.0)], stage="tune", start=5_000).summary()
    combined = series.by_key([tune, train])["loss"]
    assert (combined.first, combined.last, combined.min, combined.max, combined.count) == (
        3.0, 2.0, 0.5, 3.0, 4)
    assert series.by_key([tune, train], "train")["loss"] == train


@settings(max_examples=200)
@given(st.lists(points, min_size=1, max_size=3), st.booleans())
def test_chunks_read_fast_exactly_as_tomllib_reads_them(blocks: list[list[tuple[int, float]]],
                                                       regular: bool) -> None:
    made = [block([(i * 3 + 7, v) for i, (_, v) in enumerate(pairs)] if regular else pairs,
                  key=f"k{n}", stage=None if n % 2 else "s") for n, pairs in enumerate(blocks)]
    data = chunks.encode(made)
    assert chunks.decode(data) == tomllib.loads(data.decode())
    read = schema.chunk(FOLDER, PATH, data)
    assert read == made
    assert chunks.tokens(data) is not None or any(  # 19 digits: beyond the fast check
        type(v) is int and abs(v) >= 10**18 for b in made for v in [*b.values, *b.steps])
    for found, want in zip(schema.chunk_columns(FOLDER, PATH, data), made, strict=True):
        assert [int(s) for s in found.steps] == want.steps
        assert [float(v) for v in found.values] == [float(v) for v in want.values]
        assert [int(t) for t in found.times] == want.times


def test_a_chunk_written_by_hand_is_read_whatever_its_layout() -> None:
    data = (b'[[series]]\nkey = "loss"\ncount = 3\nsteps = [\n  1,\n  2, 3,\n]\n'
            b"values = [nan, +1.5, 1_000]\ntimes = [1, 2, 3]\n")
    (found,) = schema.chunk(FOLDER, PATH, data)
    assert found.steps == [1, 2, 3] and math.isnan(found.values[0])
    assert found.values[1:] == [1.5, 1000]
    assert chunks.tokens(data) is None  # printed from the parsed numbers:
    assert schema.chunk_columns(FOLDER, PATH, data)[0].values == ['"NaN"', "1.5", "1000"]
    tricky = b'[[series]]\nkey = """\nvalues = [1, 2]\n"""\ncount = 1\nstart = 0\nstride = 1\n' \
             b"values = [7.5]\ntimes = [1]\n"
    assert schema.chunk(FOLDER, PATH, tricky)[0].key == "values = [1, 2]\n"
    assert schema.chunk(FOLDER, PATH, tricky)[0].values == [7.5]
    assert chunks.tokens(tricky) is None
    assert schema.chunk_columns(FOLDER, PATH, tricky)[0].values == ["7.5"]


@pytest.mark.parametrize(("data", "reason"), [
    (b"\xff", "not UTF-8"),
    (b"[[series]]\nkey = \n", "not valid TOML"),
    (b'series = "x"\n', "series must be an array of tables"),
    (b'[[series]]\nkey = "a"\ncount = 1\nstart = 0\nstride = 1\ntimes = [1]\n', "no values"),
    (b'[[series]]\nkey = "a"\ncount = 1\nvalues = [1.0]\ntimes = [1]\n', "no steps"),
    (b'[[series]]\nkey = "a"\ncount = 2\nstart = 0\nstride = 1\nvalues = [1.0]\ntimes = [1, 2]\n',
     "values holds 1 points, count says 2"),
    (b'[[series]]\nkey = "a"\ncount = 1\nstart = 0\nstride = 1\nvalues = ["x"]\ntimes = [1]\n',
     "values must be an array of numbers"),
    (b'[[series]]\nkey = "a"\ncount = 1\nstart = 0\nstride = 1\nvalues = [1.0]\ntimes = [1.5]\n',
     "times must be an array of integers"),
    (b'[[series]]\nkey = 3\ncount = 1\nstart = 0\nstride = 1\nvalues = [1.0]\ntimes = [1]\n',
     "key must be a string"),
])
def test_a_broken_chunk_is_named_with_its_problem(data: bytes, reason: str) -> None:
    for read in (schema.chunk, schema.chunk_columns):
        with pytest.raises(CorruptRun) as caught:
            read(FOLDER, PATH, data)
        assert caught.value.file == PATH and reason in caught.value.reason
        assert str(caught.value).startswith(f"unreadable run {FOLDER}/{PATH}: ")


@settings(max_examples=300)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=150))
def test_any_damage_to_a_chunk_reads_or_is_named_never_crashes(noise: bytes, at: int) -> None:
    good = chunks.encode([block([(0, 0.5), (1, 0.25)]), block([(3, 1)], key="acc")])
    data = good[:at] + noise + good[at + len(noise) // 2:]
    for read in (schema.chunk, schema.chunk_columns):
        try:
            read(FOLDER, PATH, data)
        except CorruptRun as exc:
            assert exc.file == PATH and "\n" not in str(exc)
