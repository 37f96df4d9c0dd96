"""The tip-keyed summary cache: right answers first, then reuse."""

from __future__ import annotations

from pathlib import Path

from contexta_git.store import index
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.core.records import RunData
from contexta_git.git.repo import View
from contexta_git.store.runs import Runs

from tests.conftest import git


def make(repo: Path, *names: str, project: str = "p") -> Runs:
    runs = Runs.open(repo)
    for name in names:
        record(runs, project, name, metrics={"acc": len(name) / 10}, capture_environment=False)
    return runs


class Counting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, view: View, folder: str) -> tuple[str, float]:
        run_id = RunId.from_path(folder)
        self.seen.append(run_id.id)
        return run_id.id, RunData.from_files(view.files(folder), folder).latest_metrics()["acc"]


def detail_of(runs: Runs) -> list[tuple[str, float]]:
    return sorted(index.summaries(runs.view(), Counting(), "t", 1, detail=True))


def test_summaries_are_cached_and_refreshed_incrementally(repo: Path) -> None:
    runs = make(repo, "a", "bb", "ccc")
    first = Counting()
    assert sorted(index.summaries(runs.view(), first, "t", 1)) == ["p.a", "p.bb", "p.ccc"]
    assert detail_of(runs) == [("p.a", 0.1), ("p.bb", 0.2), ("p.ccc", 0.3)]
    assert sorted(first.seen) == ["p.a", "p.bb", "p.ccc"]
    again = Counting()
    assert len(index.summaries(runs.view(), again, "t", 1)) == 3 and again.seen == []
    make(repo, "dddd")
    after = Counting()
    assert len(index.summaries(runs.view(), after, "t", 1)) == 4 and after.seen == ["p.dddd"]


def test_project_filter_and_version_bump(repo: Path) -> None:
    runs = make(repo, "a")
    make(repo, "b", project="q")
    assert index.summaries(runs.view(), Counting(), "t", 1, project="q") == ["q.b"]
    bumped = Counting()
    index.summaries(runs.view(), bumped, "t", 2)
    assert sorted(bumped.seen) == ["p.a", "q.b"]  # a new summary version re-reads everything


def test_corrupt_or_foreign_cache_is_rebuilt(repo: Path) -> None:
    runs = make(repo, "a", "b")
    index.summaries(runs.view(), Counting(), "t", 1)
    cache = Path(git(repo, "rev-parse", "--git-common-dir").stdout.strip())
    cache = (repo / cache if not cache.is_absolute() else cache) / "contexta" / "index-t.pickle"
    assert cache.exists()
    cache.write_bytes(b"not a pickle")
    rebuilt = Counting()
    assert len(index.summaries(runs.view(), rebuilt, "t", 1)) == 2 and len(rebuilt.seen) == 2
    cache.with_name("index-t-detail.pickle").write_bytes(b"\x80\x05garbage")
    assert detail_of(runs) == [("p.a", 0.1), ("p.b", 0.1)]


def test_runs_removed_from_the_tip_disappear(repo: Path) -> None:
    runs = make(repo, "a", "b")
    index.summaries(runs.view(), Counting(), "t", 1)
    path = RunId("p", "a").path
    runs.store.commit(lambda view: {f"{path}/{n}": None for n in view.names(path)}, "remove a")
    assert index.summaries(runs.view(), Counting(), "t", 1) == ["p.b"]
    assert detail_of(runs) == [("p.b", 0.1)]
    assert "contexta" not in git(repo, "status", "--porcelain", "--ignored").stdout
