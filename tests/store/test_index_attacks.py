"""The index under attack: planted pickles, garbage, hand edits, replays, foreign files,
and processes listing while others record. The index may cost time, never an answer."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contexta_git.analysis.listing import list_runs, run_summaries
from contexta_git.analysis.select import select_best_run
from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store import index
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.store.test_index import Counting, index_file, make, names, spec


class Payload:
    """Unpickling this writes a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "pwned"))


def runs_cli(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def healthy(repo: Path) -> Runs:
    runs = make(repo, "a", "bb", "ccc")  # acc 0.1, 0.2, 0.3
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    return runs


def sql(repo: Path, statement: str) -> None:
    db = sqlite3.connect(index_file(repo))
    db.execute(statement)
    db.commit()
    db.close()


def test_a_planted_pickle_is_never_unpickled(repo: Path, tmp_path: Path) -> None:
    healthy(repo)
    marker = tmp_path / "marker"
    crafted = pickle.dumps(Payload(marker))
    folder = index_file(repo).parent
    for name in ("index.sqlite3", "index-summaries.pickle", "index-summaries-detail.pickle"):
        (folder / name).write_bytes(crafted)
    code, out = runs_cli(repo, "runs")
    assert code == 0, out
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["run:p.ccc", "run:p.bb", "run:p.a"]
    assert runs_cli(repo, "best", "acc") == (0, "run:p.ccc\n")
    assert not marker.exists()
    assert not list(folder.glob("*.pickle"))  # the first release's files are removed
    assert index_file(repo).read_bytes().startswith(b"SQLite format 3\0")


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"SQLite format 3\0" + b"\xff" * 4000],
                         ids=["empty", "garbage", "bad-pages"])
def test_a_broken_file_is_rebuilt_without_a_crash(repo: Path, content: bytes) -> None:
    runs = healthy(repo)
    index_file(repo).write_bytes(content)
    for name in ("index.sqlite3-wal", "index.sqlite3-shm"):
        (index_file(repo).parent / name).unlink(missing_ok=True)
    rebuilt = Counting()
    assert names(index.summaries(runs.view(), spec(rebuilt))) == ["p.a", "p.bb", "p.ccc"]
    assert len(rebuilt.seen) == 3
    assert runs_cli(repo, "best", "acc") == (0, "run:p.ccc\n")


def test_a_hand_edited_metric_never_changes_an_answer(repo: Path) -> None:
    runs = healthy(repo)
    sql(repo, "UPDATE runs SET data = replace(data, '0.1', '0.9') WHERE name = 'a'")
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    assert runs_cli(repo, "runs", "--limit", "1", "--sort", "-acc") [1].split()[4] == "run:p.ccc"
    db = sqlite3.connect(index_file(repo))  # rebuilt from the runs: the edit is gone
    assert "0.9" not in db.execute("SELECT data FROM runs WHERE name = 'a'").fetchone()[0]
    db.close()


@pytest.mark.parametrize("edit", [
    "DELETE FROM runs WHERE name = 'ccc'",  # a row dropped: its shard no longer matches
    "UPDATE runs SET started = 0 WHERE name = 'ccc'",  # an order column edited
    "UPDATE runs SET status = 'failed' WHERE name = 'ccc'",
    "UPDATE runs SET kind = 1 WHERE name = 'ccc'",  # hidden from the newest runs
    "UPDATE runs SET project = 'q' WHERE name = 'ccc'",
    "UPDATE runs SET tree = 'x' WHERE name = 'a'",
    "UPDATE shards SET tree = 'x'",
    "UPDATE meta SET value = '0' WHERE key = 'tip'",
    "CREATE TRIGGER t AFTER INSERT ON runs BEGIN UPDATE runs SET status = 'failed'; END",
    "CREATE TABLE extra (x)",
    "DROP INDEX runs_order",
], ids=["dropped", "started", "status", "kind", "project", "tree", "shard", "tip", "trigger",
        "table", "schema"])
@pytest.mark.parametrize("then_record", [False, True], ids=["same-tip", "moved"])
def test_an_edited_index_is_rebuilt(repo: Path, edit: str, then_record: bool) -> None:
    runs = healthy(repo)
    sql(repo, edit)
    expected = [("a", "completed", 0.1), ("bb", "completed", 0.2), ("ccc", "completed", 0.3)]
    if then_record:  # the next refresh writes rows: a planted trigger would fire
        make(repo, "dddd")
        expected.append(("dddd", "completed", 0.4))
    newest = [name for name, _status, _acc in expected[-2:]]
    assert [r.name for r in list_runs(runs, "p", limit=2)] == newest
    sql(repo, edit)  # again, against the full listing
    listed = run_summaries(runs.view(), "p")
    assert sorted((s.name, s.status, s.metrics["acc"]) for s in listed) == expected
    db = sqlite3.connect(index_file(repo))
    found = db.execute("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite%'").fetchall()
    db.close()
    from contexta_git.store.index_db import _an_order

    objects = {name for name, text in found if not _an_order(name, text)}  # best's orders may stay
    assert objects == {"meta", "shards", "runs", "runs_shard", "runs_order", "runs_project_order",
                       "runs_source", "runs_patch"}


def test_a_dropped_unreadable_row_is_still_named(repo: Path) -> None:
    runs = healthy(repo)
    bad = "projects/p/runs/zz/bad"
    runs.store.commit(lambda view: {f"{bad}/run.toml": b"status = 'completed'\n"}, "plant")
    assert [p.folder for p in list_runs(runs, "p", limit=1).skipped] == [bad]
    sql(repo, "DELETE FROM runs WHERE kind != 0")
    newest = list_runs(runs, "p", limit=1)
    assert [r.name for r in newest] == ["ccc"] and [p.folder for p in newest.skipped] == [bad]


def test_a_replayed_or_foreign_index_is_not_trusted(repo: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    runs = healthy(repo)
    old = tmp_path / "old.sqlite3"
    shutil.copy(index_file(repo), old)
    make(repo, "dddd")
    tip = git(repo, "rev-parse", "contexta/runs").stdout.strip()
    assert len(run_summaries(runs.view(), "p")) == 4
    shutil.copy(old, index_file(repo))  # yesterday's genuine file, claiming today's tip
    sql(repo, f"UPDATE meta SET value = '{tip}' WHERE key = 'tip'")
    assert sorted(s.name for s in run_summaries(runs.view(), "p")) == ["a", "bb", "ccc", "dddd"]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "someone-else"))
    foreign = Counting()  # signed with another key: read again from the runs
    assert names(index.summaries(runs.view(), spec(foreign))) == ["p.a", "p.bb", "p.ccc", "p.dddd"]
    assert len(foreign.seen) == 4


def _writer(repo: str, worker: int, barrier: Any) -> None:
    runs = Runs.open(repo)
    barrier.wait()
    for i in range(4):
        record(runs, "p", f"w{worker}-{i}", metrics={"acc": (worker * 10 + i) / 100},
               capture_environment=False)
        time.sleep(0.2)  # leave the readers time to list each tip, even on a loaded machine


def _reader(repo: str, barrier: Any, done: Any, seen: Any) -> None:
    barrier.wait()
    while not done.is_set():
        view = Runs.open(repo).view()
        listed = run_summaries(view, "p")
        seen.put((view.commit_id, sorted((s.name, s.metrics["acc"]) for s in listed)))


def test_readers_never_see_half_an_update_while_writers_record(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    make(repo, "seed")
    barrier, done, seen = ctx.Barrier(6), ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(str(repo), w, barrier)) for w in range(3)]
    readers = [ctx.Process(target=_reader, args=(str(repo), barrier, done, seen)) for _ in range(3)]
    for proc in writers + readers:
        proc.start()
    for proc in writers:
        proc.join(120)
    done.set()
    observed = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # drain before joining: a reader exits once flushed
        try:
            observed.append(seen.get(timeout=0.5))
        except queue.Empty:
            if not any(p.is_alive() for p in readers):
                break
    for proc in readers:
        proc.join(60)
    assert [p.exitcode for p in writers + readers] == [0] * 6
    assert len({tip for tip, _listed in observed}) >= 3, "the readers saw the branch move"
    for tip, listed in observed:  # git itself says which runs each listed commit holds
        tree = git(repo, "ls-tree", "-r", "-d", "--name-only", tip, "projects/p/runs").stdout
        on_branch = sorted(path.rsplit("/", 1)[1] for path in tree.split() if path.count("/") == 4)
        assert [name for name, _acc in listed] == on_branch
        for name, acc in listed:
            assert acc == (0.4 if name == "seed" else (int(name[1]) * 10 + int(name[3])) / 100)
    assert len(run_summaries(Runs.open(repo).view(), "p")) == 13


def test_a_sealed_file_is_trusted_and_any_later_edit_breaks_the_seal(repo: Path) -> None:
    """A file left as this user's index wrote it is read without checking every row
    (index_db.seal); an edit, even one that puts the modification time back, is not."""
    from contexta_git.store import index_db

    runs = healthy(repo)
    common = index_file(repo).parent.parent
    key = index_db.user_key(common)
    assert index_db.sealed(common, key)
    before = index_file(repo).stat()
    sql(repo, "UPDATE runs SET data = replace(data, '0.3', '0.9') WHERE name = 'ccc'")
    os.utime(index_file(repo), ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not index_db.sealed(common, key)
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    assert sorted(s.metrics["acc"] for s in run_summaries(runs.view(), "p")) == [0.1, 0.2, 0.3]
    assert index_db.sealed(common, key)  # rebuilt and sealed again
    other = index_db.user_key(common)[::-1]
    assert not index_db.sealed(common, other)  # a seal only holds for the key that made it


def test_best_leaves_an_order_on_its_metric_and_a_planted_one_resets_the_file(repo: Path) -> None:
    from contexta_git.store import index_db

    runs = healthy(repo)
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    db = sqlite3.connect(index_file(repo))
    orders = db.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'runs_by_%'").fetchall()
    db.close()
    assert len(orders) == 1 and "json_extract(nums, '$.\"a\".\"acc\"')" in orders[0][1]
    common = index_file(repo).parent.parent
    assert index_db.sealed(common, index_db.user_key(common))  # sealed again after the order
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"  # served by it
    db = sqlite3.connect(index_file(repo))
    kept = db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'runs_by_%'").fetchone()
    state = db.execute("SELECT count(*) FROM meta").fetchone()
    db.close()
    assert kept == (1,) and state == (3,)  # the order is part of our schema: nothing was reset
    sql(repo, "CREATE INDEX runs_by_0123456789abcdef ON runs (length(data))")
    rebuilt = Counting()
    assert len(index.summaries(runs.view(), spec(rebuilt))) == 3
    assert len(rebuilt.seen) == 3  # not our schema: the file was started again
