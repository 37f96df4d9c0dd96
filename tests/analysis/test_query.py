"""The filter language: what it accepts, what it means, and how it says no."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.analysis.query import QueryError, check_columns, parse

ROW = {"evaluate.auc": 0.93, "params.lr": 0.001, "status": "completed", "loss.min": 0.12,
       "params.optimizer": "adamw", "tags.team": "vision", "params.epochs": 10,
       "started": datetime(2025, 4, 1, 15, tzinfo=UTC), "params.use_amp": True,
       "datasets.train.version": "v2025-03-31"}


def holds(text: str, row: dict[str, object] = ROW) -> bool:
    return parse(text).evaluate(row.get)


@pytest.mark.parametrize(("text", "expected"), [
    ("evaluate.auc > 0.9 and params.lr < 0.01", True),
    ("evaluate.auc > 0.95 or params.lr < 0.01", True),
    ("not (evaluate.auc > 0.9)", False),
    ("status == completed", True),
    ("status = 'completed'", True),
    ("status in (failed, running)", False),
    ("status not in (failed, running)", True),
    ("params.optimizer like 'adam%'", True),
    ("params.optimizer not like 'sgd%'", True),
    ("tags.team like 'vis_on'", True),
    ("loss.min <= 0.12", True),
    ("params.epochs >= 10 and params.epochs < 11", True),
    ("started >= 2025-04-01 and started < '2025-04-02'", True),
    ("started > '2025-04-01T17:30:00+02:00'", False),
    ("params.use_amp == true", True),
    ("params.missing == null", True),
    ("params.missing != null", False),
    ("params.missing > 1", False),
    ("params.missing < 1", False),
    ("not params.missing > 1", True),
    ("datasets.train.version == 'v2025-03-31'", True),
    ("evaluate.auc > 9e-1", True),
    ("a.b > 1 or evaluate.auc > 0.9 and status == failed", False),
])
def test_meaning(text: str, expected: bool) -> None:
    assert holds(text) is expected


@pytest.mark.parametrize(("text", "where", "what"), [
    ("", 1, "empty filter"),
    ("evaluate.auc >", 15, "expected a value"),
    ("evaluate.auc > 0.9 and", 23, "expected a column name"),
    ("evaluate.auc ~ 3", 14, "unexpected character"),
    ("(evaluate.auc > 1", 18, "expected ')'"),
    ("status in failed", 11, "'(' after in"),
    ("status like adam", 13, "quoted pattern"),
    ("evaluate.auc 0.9", 14, "expected a comparison"),
    ("evaluate.auc > 0.9 status", 20, "expected and, or"),
])
def test_errors_point_at_the_character(text: str, where: int, what: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert f"(at character {where})" in str(caught.value)
    assert what in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_columns_are_named_where_they_stand() -> None:
    text = "evaluate.auc > 0.9 and evalute.loss < 1"
    expr = parse(text)
    with pytest.raises(QueryError) as caught:
        check_columns(expr, text, lambda c: c in ROW, lambda c: ["evaluate.auc"])
    assert "no column 'evalute.loss'" in str(caught.value)
    assert "(at character 24)" in str(caught.value)
    assert "did you mean evaluate.auc" in str(caught.value)


@given(st.text(alphabet="ab.()<>=!' \"and or not in like 0123456789,%_", max_size=40))
def test_any_text_parses_or_is_one_query_error(text: str) -> None:
    try:
        expr = parse(text)
    except QueryError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(expr.evaluate({}.get), bool)
    assert isinstance(expr.evaluate(ROW.get), bool)
