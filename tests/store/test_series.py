"""Step series on the branch: flushes append chunks and never rewrite them, a crash loses
only the unflushed tail, clones merge to the union of their chunks, runs written by
format 1 stay readable. Real repositories; git is the oracle."""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contexta_git.core import series
from contexta_git.core.chunks import Block
from contexta_git.core.names import RunId
from contexta_git.record.run import start_run
from contexta_git.share.sync import pull, push
from contexta_git.store import series as stored
from contexta_git.store.runs import RunChange, Runs

from tests.conftest import git

RUN = RunId("p", "r")


def tree(repo: Path, rev: str = "contexta/runs") -> dict[str, str]:
    """Path -> blob id of every file of the run folder at ``rev``."""
    out = git(repo, "ls-tree", "-r", rev, "--", RUN.path).stdout
    return {line.split("\t")[1][len(RUN.path) + 1:]: line.split()[2] for line in out.splitlines()}


def all_points(runs: Runs, key: str = "loss") -> list[tuple[int, float]]:
    return [(s, v) for b in stored.points(runs.view(), RUN, key)
            for s, v in zip(b.steps, b.values, strict=True)]


def test_each_flush_adds_one_chunk_and_never_rewrites_an_old_one(repo: Path) -> None:
    seen: list[dict[str, str]] = []
    with start_run("r", project="p", repo=repo, capture_environment=False,
                   flush_interval=1e9) as run:
        for flush in range(4):
            for i in range(50):
                run.log_metrics({"loss": 1 / (1 + flush * 50 + i), "lr": 0.1}, step=flush * 50 + i)
            run.flush()
            seen.append(tree(repo))
    for before, after in itertools.pairwise(seen):
        old = {p: b for p, b in before.items() if p.startswith("series/")}
        assert old and all(after[p] == b for p, b in old.items())  # same blob ids
        assert len([p for p in after if p.startswith("series/")]) == len(old) + 1
    log = git(repo, "log", "--format=%H", "contexta/runs").stdout.split()
    for commit in log:
        status = git(repo, "diff-tree", "-r", "--no-commit-id", "--name-status", "--root",
                     commit, "--", f"{RUN.path}/series").stdout.split("\n")
        assert all(line.startswith("A\t") for line in status if line)  # chunks: added only
    assert len([p for p in seen[-1] if p.startswith("series/")]) == 4
    index = tomllib.loads(git(repo, "show", f"contexta/runs:{RUN.path}/series.toml").stdout)
    assert index["next_chunk"] == 4 and {s["key"] for s in index["series"]} == {"loss", "lr"}
    assert "step" not in git(repo, "show", f"contexta/runs:{RUN.path}/metrics.toml",
                             check=False).stdout
    runs = Runs.open(repo)
    assert all_points(runs) == [(i, 1 / (1 + i)) for i in range(200)]
    assert runs.get(RUN).series_summaries()["loss"].count == 200
    assert git(repo, "show", "contexta/runs:FORMAT").stdout == "contexta-git/2\n"
    git(repo, "fsck", "--strict")


def test_a_crash_loses_only_the_points_after_the_last_flush(repo: Path) -> None:
    script = textwrap.dedent(f"""
        import os
        from contexta_git.record.run import start_run
        run = start_run("r", project="p", repo={str(repo)!r}, capture_environment=False,
                        flush_interval=1e9).start()
        for step in range(100):
            run.log_metric("loss", step / 10, step=step)
        run.flush()
        for step in range(100, 150):
            run.log_metric("loss", -1.0, step=step)
        os._exit(1)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    runs = Runs.open(repo)
    data = runs.get(RUN)
    assert data.status == "running"
    assert data.series_summaries()["loss"].count == 100 and data.metric("loss.min") == 0.0
    assert all_points(runs) == [(s, s / 10) for s in range(100)]
    git(repo, "fsck", "--strict")


def _clone(bare: Path, path: Path) -> Runs:
    git(bare.parent, "clone", "-q", str(bare), str(path))
    return Runs.open(path)


def _append(runs: Runs, points: list[tuple[int, float]], start: int) -> None:
    block = Block("loss", "train", [s for s, _ in points], [v for _, v in points],
                  [start + i for i in range(len(points))])
    runs.apply([RunChange(RUN, create=False, series={("loss", "train"): block})], "append")


def test_two_clones_merge_to_the_union_of_their_chunks(tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a = _clone(bare, tmp_path / "a")
    (tmp_path / "a" / "x").write_text("x\n")
    git(tmp_path / "a", "add", "x")
    git(tmp_path / "a", "commit", "-q", "-m", "init")
    git(tmp_path / "a", "push", "-q", "origin", "HEAD")
    with start_run("r", project="p", repo=tmp_path / "a", capture_environment=False) as run:
        run.log_metric("loss", 5.0, step=0, stage="train")
    push(a)
    b = _clone(bare, tmp_path / "b")
    pull(b)
    _append(a, [(1, 4.0), (2, 0.5)], 1_800_000_000_000)  # both write chunk number 1
    _append(b, [(1, 3.0), (2, 2.0), (3, 0.25)], 1_800_000_001_000)
    push(a)
    mine = tree(tmp_path / "b")
    theirs = tree(tmp_path / "a")
    result = pull(b)
    assert not any("changed on both sides" in note for note in result.notes)
    merged = tree(tmp_path / "b")
    for side in (mine, theirs):  # every chunk of both sides, blob for blob
        assert all(merged[p] == blob for p, blob in side.items() if p.startswith("series/"))
    assert len([p for p in merged if p.startswith("series/")]) == 3
    summary = b.get(RUN).series_summaries()["loss"]
    everything = all_points(b)
    assert sorted(everything) == sorted([(0, 5.0), (1, 4.0), (2, 0.5), (1, 3.0), (2, 2.0),
                                         (3, 0.25)])
    assert (summary.count, summary.min, summary.min_step, summary.max) == (6, 0.25, 3, 5.0)
    index = tomllib.loads(git(tmp_path / "b", "show",
                              f"contexta/runs:{RUN.path}/series.toml").stdout)
    assert index["next_chunk"] == 2
    push(b)
    pull(a)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    _append(a, [(9, 0.125)], 1_800_000_002_000)  # the next chunk number follows the union
    assert "series/0000/000002-" in " ".join(tree(tmp_path / "a"))
    git(tmp_path / "b", "fsck", "--strict")


def test_a_merge_refuses_a_run_whose_incoming_chunk_cannot_be_read(tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a = _clone(bare, tmp_path / "a")
    with start_run("r", project="p", repo=tmp_path / "a", capture_environment=False) as run:
        run.log_metric("loss", 5.0, step=0, stage="train")
    push(a)
    b = _clone(bare, tmp_path / "b")
    pull(b)
    _append(a, [(1, 4.0)], 1_800_000_000_000)
    bad = next(p for p in tree(tmp_path / "a") if p.startswith("series/0000/000001-"))
    a.store.commit(lambda view: {f"{RUN.path}/{bad}": b"values = [\n"}, "damage")
    push(a)
    _append(b, [(1, 3.0)], 1_800_000_001_000)
    before = tree(tmp_path / "b")
    result = pull(b)
    assert [(p.folder, p.file) for p in result.refused] == [(RUN.path, bad)]
    assert tree(tmp_path / "b") == before  # nothing of the run merged
    assert b.get(RUN).series_summaries()["loss"].count == 2


def test_runs_written_by_format_1_stay_readable_and_take_new_series(repo: Path) -> None:
    runs = Runs.open(repo)
    old = RunChange(RunId("p", "old"), create=True)
    old.header.update({"status": "completed"})
    for step, value in enumerate([3.0, 1.0, 2.0]):  # how format 1 kept every point
        old.add("metrics.toml", {"id": f"m{step}", "key": "loss", "value": value, "step": step,
                                 "stage": "train", "observed_at": f"2025-01-01T00:00:0{step}Z"})
    old.add("metrics.toml", {"id": "a", "key": "acc", "value": 0.5})
    runs.apply([old], "record run:p.old")
    runs.store.commit(lambda view: {"FORMAT": b"contexta-git/1\n"}, "format 1")
    data = runs.get(RunId("p", "old"))
    assert data.metric("loss.min") == 1.0 and data.metric("loss") == 2.0
    assert data.metric("loss.count", "train") == 3 and data.metric("acc") == 0.5
    points = list(stored.points(runs.view(), RunId("p", "old"), "loss"))
    assert [(b.steps, b.values) for b in points] == [([0, 1, 2], [3.0, 1.0, 2.0])]
    with start_run("r", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("loss", 0.5, step=0)
    assert git(repo, "show", "contexta/runs:FORMAT").stdout == "contexta-git/2\n"
    assert runs.get(RunId("p", "old")).metric("loss.min") == 1.0
    assert runs.get(RUN).metric("loss.max") == 0.5


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(st.integers(-10**6, 10**6),
                                   st.floats(allow_nan=False, allow_infinity=False, width=32)),
                         min_size=1, max_size=20), min_size=1, max_size=5))
def test_the_stored_summary_equals_one_computed_from_every_point(
        flushes: list[list[tuple[int, float]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, "init", "-q")
        git(repo, "commit", "-q", "--allow-empty", "-m", "init")
        with start_run("r", project="p", repo=repo, capture_environment=False,
                       flush_interval=1e9) as run:
            for pairs in flushes:
                for step, value in pairs:
                    run.log_metric("loss", value, step=step)
                run.flush()
        runs = Runs.open(repo)
        (stored_summary,) = runs.get(RUN).series
        blocks = list(stored.points(runs.view(), RUN, "loss"))
        whole = Block("loss", None, [s for b in blocks for s in b.steps],
                      [v for b in blocks for v in b.values], [t for b in blocks for t in b.times])
        assert stored_summary == whole.summary()
        assert list(zip(whole.steps, whole.values, strict=True)) == [
            p for pairs in flushes for p in pairs]
        assert stored_summary.count == sum(map(len, flushes))
        assert series.by_key([stored_summary])["loss"] == stored_summary


def test_every_point_reads_each_series_as_points_does(repo: Path) -> None:
    from contexta_git.core.names import RunId
    from contexta_git.store.runs import Runs
    from contexta_git.store.series import every_point, points

    with start_run("r", project="p", repo=repo, capture_environment=False) as run:
        for i in range(30):
            run.log_metric("loss", 1 / (1 + i), step=i, stage="train")
            run.log_metric("acc", i / 30, step=i, stage="evaluate")
            if i % 10 == 9:
                run.flush()
    view, rid = Runs.open(repo).view(), RunId("p", "r")
    found: dict[str, list[float]] = {}
    for block in every_point(view, rid):
        found.setdefault(block.key, []).extend(block.values)
    assert found == {key: [v for b in points(view, rid, key) for v in b.values]
                     for key in ("loss", "acc")}
    assert len(found["loss"]) == 30
    with_times = list(every_point(view, rid))
    without = list(every_point(view, rid, times=False))
    assert [(b.key, b.stage, b.steps, b.values) for b in with_times] == [
        (b.key, b.stage, b.steps, b.values) for b in without]
    assert all(len(b.times) == len(b.values) for b in with_times)
    assert all(b.times == [] for b in without)
