"""Rolling an alias back by rewriting its ledger: a commit on the runs branch (plain
git, no key needed) drops the latest signed move, so the move before it, genuinely
signed and sealed, is current again. ``verify --alias`` must name the dropped move."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contexta_git import resolve_alias, set_alias
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_METRICS, invoke

LEDGER = "projects/bank/aliases/champion.toml"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ssh_key(tmp_path_factory.mktemp("keys"), "good")


def commit_ledger(repo: Path, tmp_path: Path, text: str) -> None:
    """Write the ledger as ``text`` in a new commit on the runs branch, with plain git."""
    blob = git(repo, "hash-object", "-w", "--stdin", input=text).stdout.strip()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "idx")}
    git(repo, "read-tree", "contexta/runs", env=env)
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},{LEDGER}", env=env)
    tree = git(repo, "write-tree", env=env).stdout.strip()
    commit = git(repo, "commit-tree", tree, "-p", "contexta/runs", "-m", "tidy").stdout.strip()
    git(repo, "update-ref", "refs/heads/contexta/runs", commit)


def test_a_ledger_rolled_back_past_a_signed_move_does_not_verify(repo: Path, tmp_path: Path,
                                                                 key: Path) -> None:
    use_ssh(repo, key)
    runs = Runs.open(repo)
    for name in ("a", "b"):
        record(runs, "bank", name, metrics=SEED_METRICS, capture_environment=False)
    first = set_alias(runs, "bank@champion", "a", reason="first")
    set_alias(runs, "bank@champion", "b", reason="promote b")
    code, out, _ = invoke(repo, "verify", "--alias", "bank@champion")
    assert code == 0, out
    ledger = git(repo, "show", f"contexta/runs:{LEDGER}").stdout
    kept = ledger[:ledger.index("[[moves]]", ledger.index("[[moves]]") + 1)]  # the first move only
    commit_ledger(repo, tmp_path, kept)
    assert resolve_alias(Runs.open(repo), "bank@champion").run == "run:bank.a"
    assert first.tag is not None
    code, out, _ = invoke(repo, "verify", "--alias", "bank@champion")
    assert code == 1, out
    assert "the runs branch no longer records move" in out and "to run:bank.b" in out, out
