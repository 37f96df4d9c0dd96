"""Concurrent moves of one alias in two clones of a bare remote: both moves are kept
after pull, the same one wins in both clones, pull names the alias and both targets, and
the signed tags travel with push and pull."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git import alias_history, deploy, deployments, resolve_alias, set_alias
from contexta_git.record.oneshot import record
from contexta_git.share.sync import pull, push
from contexta_git.store.runs import Runs

from tests.conftest import git, two_clones
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_METRICS, invoke


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ssh_key(tmp_path_factory.mktemp("keys"), "team")


def clones(tmp_path: Path, key: Path) -> tuple[Path, Path]:
    a, b = two_clones(tmp_path)
    for clone in (a, b):
        use_ssh(clone, key)
    runs = Runs.open(a)
    for name in ("x", "y"):
        record(runs, "bank", name, metrics=SEED_METRICS, capture_environment=False)
    push(runs)
    pull(Runs.open(b))
    return a, b


@pytest.mark.parametrize("first_push", ["a", "b"])
def test_concurrent_moves_are_both_kept_and_resolved_alike(tmp_path: Path, key: Path,
                                                           first_push: str) -> None:
    a, b = clones(tmp_path, key)
    earlier = set_alias(Runs.open(a), "bank@champion", "x", reason="from a")
    later = set_alias(Runs.open(b), "bank@champion", "y", reason="from b")
    assert earlier.entry["at"] < later.entry["at"]
    pusher, puller = (a, b) if first_push == "a" else (b, a)
    push(Runs.open(pusher))
    code, out, _ = invoke(puller, "pull")
    assert code == 0, out
    mine, theirs = ("run:bank.y", "run:bank.x") if puller == b else ("run:bank.x", "run:bank.y")
    assert (f"  alias bank@champion was moved on both sides: this side to {mine}, the other to "
            f"{theirs}; both moves are kept and it now names run:bank.y (the later move)") in (
        out.splitlines())
    push(Runs.open(puller))
    pull(Runs.open(pusher))
    for clone in (a, b):
        runs = Runs.open(clone)
        assert resolve_alias(runs, "bank@champion").run == "run:bank.y"
        history = alias_history(runs, "bank@champion")
        assert [e["reason"] for e in history.entries] == ["from a", "from b"]
        # the winning move's signed tag came along: the other clone verifies it
        code, out, _ = invoke(clone, "verify", "--alias", "bank@champion")
        assert code == 0, out
        assert git(clone, "tag", "-l", "contexta/alias/*").stdout.count("\n") == 2
    assert git(a, "rev-parse", "contexta/runs").stdout == git(b, "rev-parse", "contexta/runs").stdout


def test_deployments_in_two_clones_are_unioned(tmp_path: Path, key: Path) -> None:
    a, b = clones(tmp_path, key)
    deploy(Runs.open(a), "x", env="prod", reason="a ships x")
    deploy(Runs.open(b), "y", env="prod", reason="b ships y")
    push(Runs.open(a))
    pull(Runs.open(b))
    found = deployments(Runs.open(b), "bank")
    assert sorted(d["reason"] for d in found) == ["a ships x", "b ships y"]


def test_an_unreadable_incoming_ledger_is_not_merged(tmp_path: Path, key: Path) -> None:
    import os

    a, b = clones(tmp_path, key)
    set_alias(Runs.open(a), "bank@champion", "x", reason="from a", sign=False)
    push(Runs.open(a))
    pull(Runs.open(b))
    # someone pushes a ledger that cannot be read, with plain git
    path = "projects/bank/aliases/champion.toml"
    blob = git(a, "hash-object", "-w", "--stdin", input="[[moves]\nbroken").stdout.strip()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "idx")}
    git(a, "read-tree", "contexta/runs", env=env)
    git(a, "update-index", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(a, "write-tree", env=env).stdout.strip()
    commit = git(a, "commit-tree", tree, "-p", "contexta/runs", "-m", "break").stdout.strip()
    git(a, "push", "-q", "origin", f"{commit}:refs/heads/contexta/runs")
    code, out, _ = invoke(b, "pull")
    assert code == 0 and out.startswith("Merged:"), out
    assert f"  not merged: unreadable ledger {path} on the runs branch:" in out
    assert resolve_alias(Runs.open(b), "bank@champion").run == "run:bank.x"
