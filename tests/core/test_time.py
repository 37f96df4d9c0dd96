"""Time is a datetime: runs order by the instant they started, whatever the spelling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.analysis.listing import list_runs
from contexta_git.analysis.select import select_best_run
from contexta_git.cli.main import cli
from contexta_git.core import time as t
from contexta_git.core.names import RunId
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import RunChange, Runs

# written in this order on purpose: as strings they would sort c, a, b
STARTS = {"b": "2025-04-01T15:00:00.500000Z", "c": "2025-04-01T17:30:00+02:00",
          "a": "2025-04-01T15:00:00Z"}


def test_the_checked_spellings_compare_as_instants() -> None:
    ordered = sorted(STARTS, key=lambda k: t.sort_key(STARTS[k]))
    assert ordered == ["a", "b", "c"]  # 15:00:00, 15:00:00.5, 15:30:00 (17:30+02:00)
    assert t.stamp(t.parse(STARTS["c"])) == "2025-04-01T15:30:00.000000Z"


def _put(repo: Path, raw: bool) -> Runs:
    runs = Runs.open(repo)
    for name, start in STARTS.items():
        header = {"status": "completed", "started_at": start if raw else t.normalize(start),
                  "params": {}}
        change = RunChange(RunId("p", name), create=True, header=header,
                           appends={"metrics.toml": [{"id": f"m-{name}", "key": "auc",
                                                      "value": 0.9, "observed_at": start}]})
        runs.apply([change], f"put {name}")
    return runs


@pytest.mark.parametrize("raw", [True, False], ids=["as-written", "normalized"])
def test_runs_list_in_time_order(repo: Path, raw: bool) -> None:
    runs = _put(repo, raw)
    assert [r.name for r in list_runs(runs, "p")] == ["a", "b", "c"]
    shown = CliRunner().invoke(cli, ["--repo", str(repo), "runs", "--project", "p"])
    assert shown.exit_code == 0, shown.output
    order = [line.split()[0] for line in shown.output.splitlines()[1:] if line.strip()]
    assert order == ["run:p.c", "run:p.b", "run:p.a"]  # the CLI shows newest first


def test_best_breaks_ties_by_start_time_not_spelling(repo: Path) -> None:
    runs = _put(repo, raw=True)
    assert select_best_run(runs, None, "auc", project="p") == "run:p.a"


def test_stored_timestamps_keep_one_format() -> None:
    assert t.normalize("2025-04-01T17:30:00+02:00") == "2025-04-01T15:30:00.000000Z"
    assert t.normalize(datetime(2025, 4, 1, 15, tzinfo=UTC)) == "2025-04-01T15:00:00.000000Z"
    assert t.normalize(None) is None
    with pytest.raises(InvalidValue):
        t.normalize("last tuesday")


@given(st.datetimes(timezones=st.sampled_from([UTC])))
def test_stamp_and_parse_round_trip(moment: datetime) -> None:
    assert t.parse(t.stamp(moment)) == moment
    assert t.sort_key(t.stamp(moment)) == moment
