"""Schema objects planted in the index file under names SQLite keeps for itself
(``sqlite_...``): written with ``writable_schema``, as a crafted repository's or another
account's file may hold them. None may survive to run or change an answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contexta_git.analysis.listing import run_summaries
from contexta_git.analysis.select import select_best_run
from contexta_git.record.oneshot import record

from tests.store.test_index import index_file, make

# a trigger that rewrites each run written after it: 0.4 becomes 9.9 in what SQL and listings read
TRIGGER = ("CREATE TRIGGER {name} AFTER INSERT ON runs BEGIN UPDATE runs SET "
           "nums = replace(nums, '0.4', '9.9'), data = replace(data, '0.4', '9.9') "
           "WHERE folder = new.folder; END")
PLANTED = {
    "trigger": ("trigger", "sqlite_evil", "runs", TRIGGER.format(name="sqlite_evil")),
    "view": ("view", "sqlite_v", "sqlite_v", "CREATE VIEW sqlite_v AS SELECT 1"),
    "table": ("table", "sqlite_t", "sqlite_t", "CREATE TABLE sqlite_t (a)"),
}


def plant(repo: Path, *entries: tuple[str, str, str, str]) -> None:
    db = sqlite3.connect(index_file(repo))
    db.execute("PRAGMA writable_schema = ON")
    for kind, name, table, sql in entries:
        db.execute("INSERT INTO sqlite_master VALUES (?, ?, ?, 0, ?)", (kind, name, table, sql))
    db.commit()
    db.close()


def objects(repo: Path) -> list[str]:
    db = sqlite3.connect(index_file(repo))
    try:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_master")]
    finally:
        db.close()


@pytest.mark.parametrize("planted", [["trigger"], ["trigger", "view", "table"]])
def test_an_object_planted_under_a_sqlite_name_is_removed_before_it_runs(
        repo: Path, planted: list[str]) -> None:
    runs = make(repo, "a", "bb", "ccc")  # acc 0.1, 0.2, 0.3
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    plant(repo, *(PLANTED[name] for name in planted))
    record(runs, "p", "dddd", metrics={"acc": 0.4}, capture_environment=False)
    assert select_best_run(runs, None, "acc", project="p") == "run:p.dddd"
    assert sorted(s.metrics["acc"] for s in run_summaries(runs.view(), "p")) == [0.1, 0.2, 0.3, 0.4]
    assert not {"sqlite_evil", "sqlite_v", "sqlite_t"} & set(objects(repo))


def test_an_index_whose_entries_disagree_with_its_rows_is_never_sealed(repo: Path) -> None:
    """The rows stay as signed, but the order ``best`` made is rebuilt (REINDEX) under
    another expression, then given its own definition back: its entries now rank the runs
    backwards. Re-sealing checks the rows, so it must also rebuild the indexes."""
    runs = make(repo, "a", "bb", "ccc")  # acc 0.1, 0.2, 0.3
    assert select_best_run(runs, None, "acc") == "run:p.ccc"  # (leaves an order on acc)
    db = sqlite3.connect(index_file(repo))
    name, sql = db.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'runs_by_%'").fetchone()
    db.close()

    def define(text: str) -> None:
        db = sqlite3.connect(index_file(repo))
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (text, name))
        db.commit()
        db.close()

    define(sql.replace("(json_extract", "(-json_extract"))
    db = sqlite3.connect(index_file(repo))
    db.execute(f"REINDEX {name}")
    db.commit()
    db.close()
    define(sql)
    assert select_best_run(runs, None, "acc") == "run:p.ccc"
    assert select_best_run(runs, None, "acc", higher_is_better=False) == "run:p.a"
    record(runs, "p", "dddd", metrics={"acc": 0.4}, capture_environment=False)
    assert select_best_run(runs, None, "acc") == "run:p.dddd"


def test_a_planted_virtual_table_of_no_known_module_starts_the_file_again(repo: Path) -> None:
    """Dropping it fails (no such module): the file is started again, not left unusable
    (every command would then read every run)."""
    from contexta_git.store import index_db

    runs = make(repo, "a", "bb", "ccc")
    assert len(run_summaries(runs.view(), "p")) == 3
    plant(repo, ("table", "vt", "vt", "CREATE VIRTUAL TABLE vt USING nosuch (a)"))
    assert sorted(s.metrics["acc"] for s in run_summaries(runs.view(), "p")) == [0.1, 0.2, 0.3]
    assert "vt" not in objects(repo)
    common = index_file(repo).parent.parent
    assert index_db.sealed(common, index_db.user_key(common))
