"""Record files: whatever is appended reads back exactly, and merges lose nothing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.record import inputs
from contexta_git.core import records
from contexta_git.core.redact import redact_text
from contexta_git.errors import ContextaError
from contexta_git.analysis.listing import MetricCondition, parse_time

keys = st.from_regex(r"[a-z][a-z0-9_.]{0,30}", fullmatch=True)
values = st.one_of(st.integers(-(2**62), 2**62),
                   st.floats(allow_nan=False, allow_infinity=False))
texts = st.text(max_size=80).filter(lambda s: redact_text(s) == s)  # secrets: test_redact
entries = st.fixed_dictionaries(
    {"key": keys, "value": values},
    optional={"stage": keys, "step": st.integers(0, 10**6), "message": texts,
              "attributes": st.dictionaries(keys, st.one_of(texts, values), max_size=3)})


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(entries, min_size=1, max_size=4), min_size=1, max_size=5))
def test_appends_read_back_exactly(batches: list[list[dict]]) -> None:
    data: bytes | None = None
    expected = []
    for b, batch in enumerate(batches):
        with_ids = [{"id": f"{b}-{i}", **entry} for i, entry in enumerate(batch)]
        data = records.append(data, "metrics", with_ids) or data
        expected.extend(with_ids)
    assert records.loads(data)["metrics"] == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(entries, min_size=1, max_size=6), st.sets(st.integers(0, 5)),
       st.sets(st.integers(0, 5)))
def test_merge_is_a_union_by_id(pool: list[dict], ours_ids: set[int], theirs_ids: set[int]) -> None:
    tagged = [{"id": str(i), **e} for i, e in enumerate(pool)]
    ours = [e for e in tagged if int(e["id"]) in ours_ids]
    theirs = [e for e in tagged if int(e["id"]) in theirs_ids]
    merged = records.merge_append(records.append(None, "events", ours),
                                  records.append(None, "events", theirs), "events")
    got = records.loads(merged).get("events", []) if merged else []
    assert sorted(e["id"] for e in got) == sorted({e["id"] for e in ours + theirs})
    assert got[: len(ours)] == ours  # ours first, in order


@given(st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=10), st.none()))
def test_metric_values(value: object) -> None:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float))
          and math.isfinite(value) and (isinstance(value, float) or abs(value) < 2**63))
    if ok:
        assert records.check_number("m", value) == value
    else:
        with pytest.raises(ContextaError, match="metric 'm' "):
            records.check_number("m", value)


@given(st.text(max_size=20))
def test_command_line_numbers(text: str) -> None:
    try:
        value = inputs.parse_number("m", text)
    except ContextaError as exc:
        assert str(exc).startswith("metric 'm' must be") and "\n" not in str(exc)
    else:
        assert math.isfinite(value) and not isinstance(value, bool)


@given(st.text(max_size=30))
def test_metric_conditions_and_times_fail_in_one_line(text: str) -> None:
    for parse in (MetricCondition.parse, parse_time):
        try:
            parse(text)
        except ContextaError as exc:
            assert "\n" not in str(exc)


def test_metric_condition_examples() -> None:
    assert MetricCondition.parse("auc>=0.9").holds({"auc": 0.9})
    assert not MetricCondition.parse("loss < 0.1").holds({"loss": 0.2})
    assert not MetricCondition.parse("auc>0").holds({})
