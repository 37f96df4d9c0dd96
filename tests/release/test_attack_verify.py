"""Attacks on verify and revocation found after the red-team round.

Real keys and real git: git itself builds and checks every forged tag.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contexta_git.store.rm import rm
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import EMAIL, gpg, gpg_home, gpg_import_public, ssh_key, stop_agent, use_ssh
from tests.release.test_gate import invoke
from tests.release.test_redteam_forgery import _record_and_certify

CERT = "contexta/cert/fs"


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """The stranger's keyring (a key with my user id) and the verifier's, which holds the
    stranger's public key imported but neither signed nor trusted."""
    stranger = gpg_home(tmp_path / "gnupg-stranger")
    verifier = tmp_path / "gnupg-verifier"
    if stranger is None:
        pytest.skip("gpg cannot make a key here")
    verifier.mkdir(mode=0o700)
    try:
        gpg_import_public(verifier, stranger)
        yield {"stranger": stranger, "verifier": verifier}
    finally:
        stop_agent(stranger)
        stop_agent(verifier)


def test_attack_untrusted_openpgp_signature_behind_an_ssh_armor_block(
        repo: Path, homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """git verifies the *last* signature block of a tag; a first block of another kind
    must not make verify skip the OpenPGP trust check on the block git actually checked."""
    _record_and_certify(repo, sign=False)
    commit = git(repo, "rev-parse", f"{CERT}^{{commit}}").stdout.strip()
    tagger = next(line for line in git(repo, "cat-file", "tag", CERT).stdout.splitlines()
                  if line.startswith("tagger "))
    payload = (f"object {commit}\ntype commit\ntag {CERT}\n{tagger}\n\ncertificate fs\n"
               "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n")
    signature = gpg(homes["stranger"], "-bsa", "-u", EMAIL, input=payload.encode()).decode()
    oid = git(repo, "hash-object", "-t", "tag", "-w", "--stdin", input=payload + signature)
    git(repo, "update-ref", f"refs/tags/{CERT}", oid.stdout.strip())
    monkeypatch.setenv("GNUPGHOME", str(homes["verifier"]))
    assert git(repo, "verify-tag", CERT, check=False).returncode == 0  # git alone accepts it
    code, out, _ = invoke(repo, "verify", "fs")
    assert code == 1 and out.startswith(f"INVALID {CERT}:"), out
    assert "not trusted here" in out, out
    code, out, _ = invoke(repo, "verify", "--artifact", str(repo.parent / "model.pkl"))
    assert code == 1 and out.startswith("NOT CERTIFIED"), out


def test_attack_certificate_of_a_removed_run_can_still_be_revoked(
        repo: Path, tmp_path: Path) -> None:
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    _record_and_certify(repo)
    runs = Runs.open(repo)
    rm(runs, ["c.good"])
    assert invoke(repo, "verify", "fs")[0] == 0
    code, out, err = invoke(repo, "quarantine", "c.good", "--reason", "leaked test data")
    assert code == 0, out + err
    code, out, _ = invoke(repo, "verify", "fs")
    assert code == 1 and "leaked test data" in out, out
