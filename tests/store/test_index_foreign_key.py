"""Where the home folder cannot hold the index key, a key in the git directory stands in.
A repository handed over whole (a tarball of the project, ``.git`` included) then carries
that key: an index its author forged and signed with it must still be rebuilt."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from contexta_git.analysis.listing import run_summaries
from contexta_git.analysis.select import select_best_run
from contexta_git.store import index_db
from contexta_git.store.index_read import ShardInfo, state_mac
from contexta_git.store.index_write import _digest
from contexta_git.store.runs import Runs

from tests.store.test_index import index_file, make


def forge(repo: Path) -> None:
    """What the author of a repository can do with the key it holds: rewrite a run's
    numbers in the index and sign the result again."""
    common = index_file(repo).parent.parent
    key = index_db.user_key(common)
    db = sqlite3.connect(index_file(repo), isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE runs SET nums = replace(nums, '0.1', '9.9'), "
               "data = replace(data, '0.1', '9.9') WHERE name = 'a'")
    shards = {}
    for project, shard, tree, top, problems, _old in db.execute("SELECT * FROM shards").fetchall():
        made = ShardInfo(tree, top, problems, _digest(db, key, (project, shard), tree))
        shards[(project, shard)] = made
        db.execute("UPDATE shards SET digest = ? WHERE project = ? AND shard = ?",
                   (made.digest, project, shard))
    stamp, tip = (dict(db.execute("SELECT key, value FROM meta").fetchall())[k]
                  for k in ("stamp", "tip"))
    db.execute("UPDATE meta SET value = ? WHERE key = 'mac'", (state_mac(key, stamp, tip, shards),))
    db.execute("COMMIT")
    db.close()
    index_db.seal(sqlite3.connect(index_file(repo)), common, key)


def test_an_index_forged_with_the_key_a_repository_carries_is_rebuilt(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked / "state"))  # no key can be made there
    runs = make(repo, "a", "bb", "ccc")  # acc 0.1, 0.2, 0.3
    assert len(run_summaries(runs.view(), "p")) == 3  # the index is written
    forge(repo)
    assert (index_file(repo).parent / "index.key").exists()  # the key the git directory holds
    assert select_best_run(Runs.open(repo), None, "acc", project="p") == "run:p.a"  # as forged
    handed = tmp_path / "handed-over"
    shutil.copytree(repo, handed, symlinks=True)  # the repository as someone else receives it
    runs = Runs.open(handed)
    assert select_best_run(runs, None, "acc", project="p") == "run:p.ccc"
    assert sorted(s.metrics["acc"] for s in run_summaries(runs.view(), "p")) == [0.1, 0.2, 0.3]
