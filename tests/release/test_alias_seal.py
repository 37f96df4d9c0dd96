"""Alias moves sealed by signed tags: stock git verifies them, verify --alias checks them
against the runs branch, and every forgery (another key, an edited tag, a moved tag, an
edited branch record) fails. Real SSH keys made in the test."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

from contexta_git import set_alias, verify_alias
from contexta_git.release.alias import AliasMove
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_METRICS, invoke

LEDGER = "projects/bank/aliases/champion.toml"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return ssh_key(folder, "good"), ssh_key(folder, "other")


@pytest.fixture
def moved(repo: Path, keys: tuple[Path, Path]) -> AliasMove:
    use_ssh(repo, keys[0])
    runs = Runs.open(repo)
    for name in ("a", "b"):
        record(runs, "bank", name, metrics=SEED_METRICS, capture_environment=False)
    set_alias(runs, "bank@champion", "a", reason="first")
    return set_alias(runs, "bank@champion", "b", reason="promote b")


def tag_name(move: AliasMove) -> str:
    assert move.tag is not None
    return move.tag.removeprefix("refs/tags/")


def problems(repo: Path) -> str:
    code, out, _ = invoke(repo, "verify", "--alias", "bank@champion")
    assert code == 1 and out.startswith("INVALID bank@champion -> run:bank.b:"), out
    return out


def test_a_signed_move_verifies_with_stock_git_and_verify_alias(repo: Path,
                                                               moved: AliasMove) -> None:
    name = tag_name(moved)
    assert git(repo, "cat-file", "-t", name).stdout.strip() == "tag"
    git(repo, "tag", "-v", name)  # stock git: exit 0
    git(repo, "fsck", "--strict")  # the tag object is well formed
    assert git(repo, "rev-parse", f"{name}^{{commit}}").stdout.strip() == moved.commit
    code, out, _ = invoke(repo, "verify", "--alias", "bank@champion")
    assert code == 0 and out.startswith(f"VALID bank@champion -> run:bank.b: tag {name}")
    body = git(repo, "cat-file", "tag", name).stdout.split("\n\n", 1)[1]
    sealed = tomllib.loads(body.split("-----BEGIN SSH SIGNATURE-----")[0].split("\n\n", 1)[1])
    assert sealed["move"]["run"] == "run:bank.b" and sealed["move"]["previous"] == "run:bank.a"


def test_tag_signed_with_another_key_fails(repo: Path, moved: AliasMove,
                                           keys: tuple[Path, Path], tmp_path: Path) -> None:
    name = tag_name(moved)
    raw = git(repo, "cat-file", "tag", name).stdout
    payload = raw[: raw.index("-----BEGIN SSH SIGNATURE-----")]
    (tmp_path / "payload").write_text(payload)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(keys[1]),
                    str(tmp_path / "payload")], check=True, capture_output=True)
    forged = payload + (tmp_path / "payload.sig").read_text()
    oid = git(repo, "mktag", input=forged).stdout.strip()
    git(repo, "update-ref", f"refs/tags/{name}", oid)
    assert git(repo, "tag", "-v", name, check=False).returncode != 0
    assert "git verify-tag rejects the signature" in problems(repo)


def test_tag_edited_and_resigned_with_the_good_key_fails(repo: Path, moved: AliasMove) -> None:
    name = tag_name(moved)
    raw = git(repo, "cat-file", "tag", name).stdout
    message = raw.split("\n\n", 1)[1].split("-----BEGIN SSH SIGNATURE-----")[0]
    edited = message.replace('reason = "promote b"', 'reason = "approved by the board"')
    assert edited != message
    git(repo, "tag", "-f", "-s", "-m", edited, name, str(moved.commit))
    git(repo, "tag", "-v", name)  # the signature itself is good
    out = problems(repo)
    assert "reason differs: the tag says 'approved by the board', the runs branch 'promote b'" \
        in " ".join(out.split())


def test_tag_moved_to_another_commit_fails(repo: Path, moved: AliasMove) -> None:
    name = tag_name(moved)
    raw = git(repo, "cat-file", "tag", name).stdout
    message = raw.split("\n\n", 1)[1].split("-----BEGIN SSH SIGNATURE-----")[0]
    parent = git(repo, "rev-parse", f"{moved.commit}^").stdout.strip()
    git(repo, "tag", "-f", "-s", "-m", message, name, parent)
    assert "not at the commit that recorded move" in " ".join(problems(repo).split())


def test_branch_record_edited_fails(repo: Path, moved: AliasMove) -> None:
    """Someone rewrites the ledger on the branch tip: the sealed move no longer matches."""
    text = git(repo, "show", f"contexta/runs:{LEDGER}").stdout
    edited = text.replace('reason = "promote b"', 'reason = "approved"')
    assert edited != text
    blob = git(repo, "hash-object", "-w", "--stdin", input=edited).stdout.strip()
    import os

    env = {**os.environ, "GIT_INDEX_FILE": str(repo.parent / "tamper-index")}
    git(repo, "read-tree", "contexta/runs", env=env)
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},{LEDGER}", env=env)
    tree = git(repo, "write-tree", env=env).stdout.strip()
    commit = git(repo, "commit-tree", tree, "-p", "contexta/runs", "-m", "edit").stdout.strip()
    git(repo, "update-ref", "refs/heads/contexta/runs", commit)
    assert "reason differs: the tag says 'promote b', the runs branch 'approved'" in " ".join(
        problems(repo).split())


def test_deleted_tag_and_unsigned_move_are_not_sealed(repo: Path, moved: AliasMove) -> None:
    git(repo, "tag", "-d", tag_name(moved))
    assert "is not sealed: no tag" in problems(repo)
    unsigned = set_alias(Runs.open(repo), "bank@champion", "b", reason="again", sign=False)
    assert unsigned.tag is None
    out = " ".join(problems(repo).split())
    assert "(it was made without signing)" in out
    assert not verify_alias(Runs.open(repo), "bank@champion").ok


def test_signing_failure_writes_nothing(repo: Path, moved: AliasMove, branch_state) -> None:  # type: ignore[no-untyped-def]
    git(repo, "config", "user.signingKey", str(repo.parent / "missing-key"))
    before = branch_state()
    code, _, err = invoke(repo, "alias", "set", "bank@champion", "a", "--reason", "x")
    assert code == 2 and err.startswith("Error: user.signingKey ") and "does not exist" in err
    assert branch_state() == before
    assert git(repo, "tag", "-l", "contexta/alias/*").stdout.count("\n") == 2
