"""The last day a date can name (9999-12-31) as the end of a window or an alias's
``--at``: read as the end of that day, never an internal error."""

from __future__ import annotations

from pathlib import Path

from contexta_git import set_alias
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.release.test_gate import invoke


def test_the_last_day_there_is_ends_a_window_and_names_an_alias(repo: Path) -> None:
    runs = Runs.open(repo)
    record(runs, "p", "a", metrics={"acc": 0.5}, capture_environment=False)
    set_alias(runs, "p@prod", "a", reason="first", sign=False)
    code, out, err = invoke(repo, "alias", "resolve", "p@prod", "--at", "9999-12-31")
    assert code == 0 and out.startswith("p@prod -> run:p.a"), out + err
    code, out, err = invoke(repo, "alias", "history", "p@prod", "--at", "9999-12-31")
    assert code == 0 and "On 9999-12-31, p@prod named run:p.a" in out, out + err
    code, out, err = invoke(repo, "runs", "-p", "p", "--started-between", "2020-01-01",
                            "9999-12-31")
    assert code == 0 and "run:p.a" in out, out + err
