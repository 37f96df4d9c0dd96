"""The SQLite summary index: right answers first, then reuse; any NamedTuple by its fields."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.analysis.listing import RunSummary, list_runs, newest_summaries, recorded_from
from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.core.schema import RunProblem
from contexta_git.git.repo import View
from contexta_git.record.oneshot import record
from contexta_git.store import index
from contexta_git.store.index_rows import Codec
from contexta_git.store.runs import Runs, problem

from tests.conftest import git


class Pair(NamedTuple):
    low: float
    high: float


class Light(NamedTuple):
    """A summary type the index has never heard of: every field must come back as it was."""

    project: str
    name: str
    status: str
    started_at: str | None
    quarantined: bool
    metrics: dict[str, float]
    keys: tuple[str, ...] = ()
    span: Pair | None = None
    spans: dict[str, Pair] = {}  # noqa: RUF012
    note: str | None = None


class Wider(NamedTuple):  # Light with one more field: another developer adds one
    project: str
    name: str
    status: str
    started_at: str | None
    quarantined: bool
    metrics: dict[str, float]
    keys: tuple[str, ...] = ()
    span: Pair | None = None
    spans: dict[str, Pair] = {}  # noqa: RUF012
    note: str | None = None
    steps: int = 0


class Counting:
    """A summarize that counts the folders it reads."""

    def __init__(self, kind: type = Light) -> None:
        self.seen: list[str] = []
        self.kind = kind

    def __call__(self, view: View, folder: str) -> NamedTuple:
        found = problem(view, folder)
        if found is not None:
            return found
        run = RunId.from_path(folder)
        self.seen.append(run.id)
        data = RunData.from_files(view.files(folder), folder)
        acc = data.latest_metrics()["acc"]
        extra = {"steps": 7} if self.kind is Wider else {}
        return self.kind(run.project, run.name, data.status, data.started_at, False,
                         {"acc": acc}, ("a", "b"), Pair(acc, math.inf),
                         {"x": Pair(-1.0, math.nan)}, None, **extra)


def spec(summarize: Counting, version: int = 1) -> index.Spec:
    return index.Spec(summarize, Codec((summarize.kind, RunProblem)), version)


def make(repo: Path, *names: str, project: str = "p") -> Runs:
    runs = Runs.open(repo)
    for name in names:
        record(runs, project, name, metrics={"acc": len(name) / 10}, capture_environment=False)
    return runs


def names(found: list[NamedTuple]) -> list[str]:
    return sorted(f"{s.project}.{s.name}" for s in found if not isinstance(s, RunProblem))


def index_file(repo: Path) -> Path:
    common = Path(git(repo, "rev-parse", "--git-common-dir").stdout.strip())
    return (repo / common if not common.is_absolute() else common) / "contexta" / "index.sqlite3"


def test_summaries_are_stored_in_sqlite_and_refreshed_from_the_tree_diff(repo: Path) -> None:
    runs = make(repo, "a", "bb", "ccc")
    first = Counting()
    assert names(index.summaries(runs.view(), spec(first))) == ["p.a", "p.bb", "p.ccc"]
    assert sorted(first.seen) == ["p.a", "p.bb", "p.ccc"]
    assert index_file(repo).read_bytes().startswith(b"SQLite format 3\0")
    again = Counting()
    assert names(index.summaries(runs.view(), spec(again))) == ["p.a", "p.bb", "p.ccc"]
    assert again.seen == []
    make(repo, "dddd")
    after = Counting()
    assert len(index.summaries(runs.view(), spec(after))) == 4 and after.seen == ["p.dddd"]
    assert "contexta" not in git(repo, "status", "--porcelain", "--ignored").stdout


def test_every_field_comes_back_and_a_new_field_flows_through(repo: Path) -> None:
    runs = make(repo, "a")
    made = Counting()
    direct = made(runs.view(), RunId("p", "a").path)
    index.summaries(runs.view(), spec(made))
    [stored] = index.summaries(runs.view(), spec(Counting()))
    assert type(stored) is Light and type(stored.span) is Pair and type(stored.keys) is tuple
    assert type(stored.spans["x"]) is Pair and math.isnan(stored.spans["x"].high)
    assert repr(stored) == repr(direct)
    wider = Counting(Wider)  # new fields change the stamp: everything is read again
    [grown] = index.summaries(runs.view(), spec(wider))
    assert wider.seen == ["p.a"] and type(grown) is Wider and grown.steps == 7
    assert index.summaries(runs.view(), spec(Counting(Wider)))[0].steps == 7


def test_project_filter_version_bump_and_removed_runs(repo: Path) -> None:
    runs = make(repo, "a", "b")
    make(repo, "c", project="q")
    assert names(index.summaries(runs.view(), spec(Counting()), project="q")) == ["q.c"]
    bumped = Counting()
    index.summaries(runs.view(), spec(bumped, version=2))
    assert sorted(bumped.seen) == ["p.a", "p.b", "q.c"]
    path = RunId("p", "a").path
    runs.store.commit(lambda view: {f"{path}/{n}": None for n in view.names(path)}, "remove a")
    assert names(index.summaries(runs.view(), spec(Counting(), 2))) == ["p.b", "q.c"]


def test_unreadable_folders_are_stored_and_named(repo: Path) -> None:
    runs = make(repo, "a")
    bad = RunId("p", "broken").path
    runs.store.commit(lambda view: {f"{bad}/run.toml": b"status = 5\n"}, "plant")
    for _ in range(2):  # built, then served from the index
        found = index.summaries(runs.view(), spec(Counting()))
        assert [p.folder for p in found if isinstance(p, RunProblem)] == [bad]
        assert names(found) == ["p.a"]


def test_the_newest_runs_are_read_without_reading_the_others(repo: Path) -> None:
    runs = make(repo, "a", "b", "c", "d")
    runs_by_hand = list_runs(runs, "p", quarantined=None)
    assert [r.name for r in list_runs(runs, "p", quarantined=None, limit=2)] == \
        [r.name for r in runs_by_hand[-2:]]
    kept = newest_summaries(runs.view(), "p", lambda s: s.name != "d", 2)
    assert [s.name for s in kept] == [r.name for r in runs_by_hand[-3:-1]][::-1]
    assert list_runs(runs, "p", limit=10) == runs_by_hand
    assert [r.name for r in list_runs(runs, "p", sort="acc", limit=1)] == ["a"]


def test_the_hook_lookup_finds_a_run_by_commit_or_patch(repo: Path) -> None:
    runs = make(repo, "a", "b")
    tip = git(repo, "rev-parse", "HEAD").stdout.strip()
    [summary] = [s for s in list_runs(runs, "p") if s.name == "a"]
    assert summary.source_commit == tip
    assert {s.name for s in recorded_from(runs.view(), "p", tip, None)} == {"a", "b"}
    assert recorded_from(runs.view(), "p", "0" * 40, None) == []
    assert recorded_from(runs.view(), "q", tip, None) == []


def test_a_git_dir_that_cannot_hold_the_index_only_costs_speed(repo: Path) -> None:
    runs = make(repo, "a", "b")
    folder = index_file(repo).parent
    folder.parent.mkdir(exist_ok=True)
    folder.write_text("a file where the index folder goes\n")
    for _ in range(2):
        counted = Counting()
        assert names(index.summaries(runs.view(), spec(counted))) == ["p.a", "p.b"]
        assert sorted(counted.seen) == ["p.a", "p.b"]  # read every time: no index
    assert [r.name for r in list_runs(runs, "p", limit=1)] == ["b"]


def test_the_index_is_written_in_wal_mode(repo: Path) -> None:
    runs = make(repo, "a")
    index.summaries(runs.view(), spec(Counting()))
    db = sqlite3.connect(index_file(repo))
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


summaries = st.builds(
    RunSummary, project=st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
    name=st.from_regex(r"[a-z][a-z0-9._-]{0,8}", fullmatch=True), status=st.text(max_size=8),
    started_at=st.none() | st.text(max_size=30), ended_at=st.none() | st.text(max_size=8),
    quarantined=st.booleans(), event_keys=st.lists(st.text(max_size=6), max_size=3).map(tuple),
    metrics=st.dictionaries(st.text(max_size=6), st.floats(allow_nan=False), max_size=4),
    stage_metrics=st.dictionaries(st.text(max_size=4), st.dictionaries(
        st.text(max_size=4), st.floats(allow_nan=False), max_size=3), max_size=2),
    source_commit=st.none() | st.text(max_size=8), patch_id=st.none() | st.text(max_size=8),
    params=st.dictionaries(st.text(max_size=4), st.text(max_size=4) | st.integers(), max_size=3),
    tags=st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    datasets=st.dictionaries(st.text(max_size=4), st.fixed_dictionaries(
        {"version": st.none() | st.text(max_size=4), "digest": st.text(max_size=8)}), max_size=2),
    python=st.none() | st.text(max_size=6), platform=st.none() | st.text(max_size=6),
    series=st.dictionaries(st.text(max_size=4), st.dictionaries(
        st.sampled_from(["count", "min", "max", "last"]), st.floats(allow_nan=False), max_size=4),
        max_size=2),
    stage_series=st.dictionaries(st.text(max_size=4), st.dictionaries(st.text(max_size=4), st.dictionaries(
        st.sampled_from(["min", "max"]), st.floats(allow_nan=False), max_size=2), max_size=2),
        max_size=2))


@settings(max_examples=200, deadline=None)
@given(summaries)
def test_any_run_summary_survives_a_row(summary: RunSummary) -> None:
    codec = Codec((RunSummary, RunProblem))
    row = codec.row(f"projects/{summary.project}/runs/ab/{summary.name}", "t" * 40, summary)
    import json

    assert codec.decode(row.kind, json.loads(row.data)) == summary
    assert row.name == summary.name and row.quarantined == int(summary.quarantined)


def test_building_a_large_index_reports_progress(repo: Path) -> None:
    from contexta_git.analysis.listing import list_runs
    from contexta_git.core.names import RunId
    from contexta_git.core.progress import REPORTER
    from contexta_git.store.runs import RunChange

    runs = Runs.open(repo)
    changes = [RunChange(RunId("p", f"r{i:04d}"), create=True,
                         header={"status": "completed", "started_at": "2025-01-01T00:00:00Z"})
               for i in range(1200)]
    runs.apply(changes, "1200 runs at once")
    heard: list[tuple[int, int | None, str]] = []
    token = REPORTER.set(lambda done, total, what: heard.append((done, total, what)))
    try:
        assert len(list_runs(runs, "p")) == 1200
    finally:
        REPORTER.reset(token)
    assert heard and heard[0] == (0, 1200, "indexing runs")
    assert [h[0] for h in heard] == list(range(0, 1200, 250))
    heard.clear()
    list_runs(runs, "p")  # the index is current: nothing to report
    assert heard == []


@settings(max_examples=60, deadline=None)
@given(summaries)
def test_the_numbers_sql_reads_are_what_a_metric_reference_resolves_to(summary: RunSummary) -> None:
    """Every reference ``RunSummary.metric`` answers (plain keys, ``<key>.last``, series
    aggregates, in any stage and by stage) reads the same in SQL from the row's ``nums``;
    NaN and infinities come back as text, which SQL never ranks as a number."""
    import math
    import re
    import sqlite3

    from contexta_git.analysis.listing import _numbers
    from contexta_git.core.series import AGGREGATES

    def key(name: str) -> str:  # most generated names are not metric keys: make them so
        return re.sub(r"[^A-Za-z0-9_.:/@-]", "_", name) or "_"

    def keyed(values: dict) -> dict:  # type: ignore[type-arg]
        return {key(k): v for k, v in values.items()}

    summary = summary._replace(
        metrics=keyed(summary.metrics), series=keyed(summary.series),
        stage_metrics={key(s): keyed(m) for s, m in summary.stage_metrics.items()},
        stage_series={key(s): keyed(m) for s, m in summary.stage_series.items()})
    row = Codec((RunSummary, RunProblem), numbers=_numbers).row(
        f"projects/{summary.project}/runs/ab/{summary.name}", "t" * 40, summary)
    db = sqlite3.connect(":memory:")

    def sql(*names: str) -> object:
        path = ("$.a" if len(names) == 1 else "$.st") + "".join(f'."{n}"' for n in names)
        return db.execute("SELECT json_extract(?, ?)", (row.nums, path)).fetchone()[0]

    def expected(value: float | None) -> object:
        if value is None or (isinstance(value, float) and math.isfinite(value)):
            return value
        if isinstance(value, float):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return value

    stages = {None, *summary.stage_metrics, *summary.stage_series}
    for stage in stages:
        keys = {*summary.latest_metrics(stage), *(summary.series if stage is None
                                                  else summary.stage_series.get(stage, {}))}
        for key in keys:
            for ref in [key, *(f"{key}.{agg}" for agg in AGGREGATES)]:
                got = sql(ref) if stage is None else sql(stage, ref)
                assert got == expected(summary.metric(ref, stage)), (stage, ref)
