"""A param holding a TOML date-time or date, filtered with a date: the index keeps it as
its ISO text, reading the run gives a datetime; both must answer the same, comparing
instants as the filter language promises ("times as instants")."""

from __future__ import annotations

from pathlib import Path

from contexta_git.analysis import listing, table
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

FILTERS = {  # filter -> does run "dated" match
    "params.t == 2025-01-01T10:00:00Z": True,
    "params.t == 2025-01-01T12:00:00+02:00": True,
    "params.t > 2025-01-01T09:00:00Z": True,
    "params.t < 2025-01-01T10:00:00Z": False,
    "params.t <= 2025-01-01": True,  # a date alone: the end of that day
    "params.t > 2025-01-01": False,
}


def test_a_date_param_filters_alike_from_the_index_and_from_the_run(repo: Path,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "params.toml").write_text("t = 2025-01-01T10:00:00Z\n")
    runs = Runs.open(repo)
    record(runs, "p", "dated", metrics={"acc": 0.1},
           params=__import__("tomllib").loads((tmp_path / "params.toml").read_text()),
           capture_environment=False)
    view = runs.view()
    indexed = listing.run_summaries(view, "p")
    direct = listing.run_summaries(view, run_ids=[RunId("p", "dated")])
    assert isinstance(indexed[0].params["t"], str)  # the index's ISO text
    available = table.columns_of(direct)
    for text, expected in FILTERS.items():
        found = [[r.name for r in table.filter_rows(rows, text, available)]
                 for rows in (indexed, direct)]
        assert found == [["dated"] * expected] * 2, text
