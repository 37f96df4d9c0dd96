"""A protection made in one clone and a move made without a certificate in another
that had not pulled it yet: after pull, the alias is protected and names a run no
certificate vouches for. ``verify --alias`` must not call that move valid, in either
clone, even though its tag is well signed by a trusted key."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git import protect_alias, resolve_alias, set_alias
from contexta_git.share.sync import pull, push
from contexta_git.store.runs import Runs

from tests.release.certs import ssh_key
from tests.release.test_gate import invoke
from tests.share.test_alias_merge import clones


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ssh_key(tmp_path_factory.mktemp("keys"), "team")


def test_a_move_past_a_protection_it_never_saw_does_not_verify(tmp_path: Path, key: Path) -> None:
    a, b = clones(tmp_path, key)
    set_alias(Runs.open(a), "bank@champion", "x", reason="first")
    push(Runs.open(a))
    pull(Runs.open(b))
    protect_alias(Runs.open(a), "bank@champion", reason="production")
    push(Runs.open(a))
    set_alias(Runs.open(b), "bank@champion", "y", reason="b has not pulled")  # no certificate
    code, out, _ = invoke(b, "pull")
    assert code == 0, out
    push(Runs.open(b))
    pull(Runs.open(a))
    for clone in (a, b):
        found = resolve_alias(Runs.open(clone), "bank@champion")
        assert found.protected and found.run == "run:bank.y" and found.certificate is None
        code, out, _ = invoke(clone, "verify", "--alias", "bank@champion")
        assert code == 1, out
        assert "protected" in out and "certificate" in out, out
