"""Red team: forge certificates the ways an attacker would, with SSH and OpenPGP keys.

Every forgery must come out INVALID with a reason that names it, and `verify` must exit 1
(the model file it vouches for: NOT CERTIFIED). Foreign or malformed tags under
``contexta/cert/`` are each one problem and never stop the genuine ones from verifying.
Real keys are made in the test; git itself signs the forgeries and is the oracle.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import contexta_git
from contexta_git.analysis.quarantine import quarantine
from contexta_git.record.oneshot import record
from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.store.rm import rm
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import (
    EMAIL,
    gpg,
    gpg_fingerprint,
    gpg_home,
    gpg_import_public,
    ssh_key,
    stop_agent,
    use_ssh,
)
from tests.release.test_gate import invoke

CERT = "contexta/cert/fs"
POLICY = "[metrics.accuracy]\nmin = 0.9\n"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {"good": ssh_key(folder, "good"), "stranger": ssh_key(folder, "stranger")}


def _record_and_certify(repo: Path, cert_id: str = "fs", sign: bool = True) -> Path:
    model = repo.parent / "model.pkl"
    model.write_bytes(b"weights of the genuine model")
    with contexta_git.start_run("good", project="c", repo=repo, capture_environment=False) as run:
        run.log_metrics({"accuracy": 0.95}, stage="evaluate")
        run.artifact(model, kind="model")
    certify(Runs.open(repo), "c.good", parse_policy(POLICY), client="C", model="M",
            cert_id=cert_id, sign=sign)
    return model


@pytest.fixture
def issued(repo: Path, keys: dict[str, Path]) -> Path:
    """A genuine SSH-signed certificate ``fs`` of run c.good, which names model.pkl."""
    use_ssh(repo, keys["good"])
    _record_and_certify(repo)
    assert invoke(repo, "verify", "fs")[0] == 0
    return repo


def refused(repo: Path, reason: str, cert: str = "fs") -> None:
    """verify says INVALID naming ``reason``, exits 1, in text and JSON; the model it
    vouched for is no longer certified."""
    code, out, _ = invoke(repo, "verify", cert)
    assert code == 1, out
    assert out.startswith(f"INVALID contexta/cert/{cert}:\n"), out
    assert reason in out, out
    code, out, _ = invoke(repo, "verify", cert, "--json")
    found = json.loads(out)[0]
    assert code == 1 and found["valid"] is False and found["deliverable"] is False
    assert any(reason in problem for problem in found["problems"])
    code, out, _ = invoke(repo, "verify", "--artifact", str(repo.parent / "model.pkl"))
    assert code == 1 and out.startswith("NOT CERTIFIED"), out


# -- forging the commit a tag points at ------------------------------------------------------
def edited_copy(repo: Path, old: str, new: str, path: str = "certificates/fs/certificate.toml",
                base: str = f"{CERT}^{{commit}}") -> str:
    """A copy of the certified commit with one file edited (same parent); returns its id."""
    commit = git(repo, "rev-parse", base).stdout.strip()
    text = git(repo, "show", f"{commit}:{path}").stdout
    assert old in text
    blob = git(repo, "hash-object", "-w", "--stdin", input=text.replace(old, new)).stdout.strip()
    import os

    env = {**os.environ, "GIT_INDEX_FILE": str(repo.parent / "forgery-index")}
    git(repo, "read-tree", commit, env=env)
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(repo, "write-tree", env=env).stdout.strip()
    parent = git(repo, "rev-parse", f"{commit}^").stdout.strip()
    return git(repo, "commit-tree", tree, "-p", parent, "-m", "forged").stdout.strip()


def tag_bytes(repo: Path, target: str, name: str = CERT, kind: str = "commit") -> str:
    genuine = git(repo, "cat-file", "tag", CERT).stdout
    tagger = next(line for line in genuine.splitlines() if line.startswith("tagger "))
    return f"object {target}\ntype {kind}\ntag {name}\n{tagger}\n\nModel quality certificate\n"


def write_tag(repo: Path, raw: str, ref: str = f"refs/tags/{CERT}") -> None:
    oid = git(repo, "hash-object", "-t", "tag", "-w", "--stdin", "--literally",
              input=raw).stdout.strip()
    git(repo, "update-ref", ref, oid)


def ssh_sign(key: Path, payload: str, namespace: str = "git") -> str:
    done = subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", namespace, "-f", str(key)],
                          input=payload.encode(), capture_output=True, check=True)
    return done.stdout.decode()


# -- SSH ----------------------------------------------------------------------------------
def stranger_signs_edited_certificate(repo: Path, keys: dict[str, Path]) -> str:
    forged = edited_copy(repo, "value = 0.95", "value = 0.99")
    git(repo, "-c", f"user.signingKey={keys['stranger']}", "tag", "-f", "-s", "-m", "x", CERT,
        forged)
    return "git verify-tag rejects the signature: No principal matched."


def allowed_key_of_someone_else(repo: Path, keys: dict[str, Path]) -> str:
    signers = Path(git(repo, "config", "gpg.ssh.allowedSignersFile").stdout.strip())
    mallory = keys["stranger"].with_suffix(".pub").read_text().strip()
    signers.write_text(signers.read_text() + f"mallory@example.com {mallory}\n")
    forged = edited_copy(repo, "value = 0.95", "value = 0.99")
    git(repo, "-c", f"user.signingKey={keys['stranger']}", "tag", "-f", "-s", "-m", "x", CERT,
        forged)
    return ("signed by mallory@example.com, who is neither the tagger nor a listed certifier "
            "(git config --add contexta.certifier EMAIL)")


def genuine_signature_transplanted(repo: Path, keys: dict[str, Path]) -> str:
    genuine = git(repo, "cat-file", "tag", CERT).stdout
    signature = genuine[genuine.index("-----BEGIN SSH SIGNATURE-----"):]
    forged = edited_copy(repo, "value = 0.95", "value = 0.99")
    write_tag(repo, tag_bytes(repo, forged) + signature)
    return "git verify-tag rejects the signature"


def signed_in_another_namespace(repo: Path, keys: dict[str, Path]) -> str:
    forged = edited_copy(repo, "value = 0.95", "value = 0.99")
    payload = tag_bytes(repo, forged)
    write_tag(repo, payload + ssh_sign(keys["good"], payload, "file"))
    return "git verify-tag rejects the signature"


def unsigned_tag(repo: Path, keys: dict[str, Path]) -> str:
    git(repo, "tag", "-f", "-a", "-m", "unsigned", CERT, f"{CERT}^{{commit}}")
    return "the tag is not signed (certified with --no-sign)"


def lightweight_tag(repo: Path, keys: dict[str, Path]) -> str:
    git(repo, "update-ref", f"refs/tags/{CERT}", f"{CERT}^{{commit}}")
    return "contexta/cert/fs is not an annotated tag (it points at a commit object)"


def edited_and_resigned_by_insider(repo: Path, keys: dict[str, Path]) -> str:
    git(repo, "tag", "-f", "-s", "-m", "x", CERT, edited_copy(repo, "value = 0.95", "value = 0.99"))
    return "metric accuracy (stage evaluate) is 0.99 in the certificate but 0.95 in run:c.good"


def moved_to_a_later_commit(repo: Path, keys: dict[str, Path]) -> str:
    record(Runs.open(repo), "c", "later", metrics={"accuracy": 0.5}, capture_environment=False)
    git(repo, "tag", "-f", "-s", "-m", "x", CERT, "contexta/runs")
    return "not at the commit that issued the certificate: the tag was moved"


def points_outside_the_runs_branch(repo: Path, keys: dict[str, Path]) -> str:
    git(repo, "tag", "-f", "-s", "-m", "x", CERT, "main")
    return "which is not a commit of the runs branch"


def malformed_certificate_signed(repo: Path, keys: dict[str, Path]) -> str:
    first = edited_copy(repo, "[run]\n", "[run_was]\n")
    forged = edited_copy(repo, "schema = ", 'run = "x"\nschema = ', base=first)
    git(repo, "tag", "-f", "-s", "-m", "x", CERT, forged)
    return "certificate.toml is malformed: run missing or of the wrong type"


def quarantined_then_removed(repo: Path, keys: dict[str, Path]) -> str:
    runs = Runs.open(repo)
    quarantine(runs, ["c.good"], "labels leaked into the test set")
    rm(runs, ["c.good"])
    return "run:c.good was quarantined after certification (labels leaked into the test set)"


SSH_FORGERIES = [stranger_signs_edited_certificate, allowed_key_of_someone_else,
                 genuine_signature_transplanted, signed_in_another_namespace, unsigned_tag,
                 lightweight_tag, edited_and_resigned_by_insider, moved_to_a_later_commit,
                 points_outside_the_runs_branch, malformed_certificate_signed,
                 quarantined_then_removed]


@pytest.mark.parametrize("attack", SSH_FORGERIES, ids=lambda f: f.__name__)
def test_ssh_forgery_is_invalid_with_a_named_reason(
        issued: Path, keys: dict[str, Path], attack: Callable[[Path, dict[str, Path]], str]) -> None:
    refused(issued, attack(issued, keys))


def test_genuine_tag_replayed_under_another_id(issued: Path) -> None:
    git(issued, "update-ref", "refs/tags/contexta/cert/fs2", git(issued, "rev-parse", CERT).stdout.strip())
    code, out, _ = invoke(issued, "verify", "fs2")
    assert code == 1 and out.startswith("INVALID contexta/cert/fs2:\n")
    assert "tag object is named contexta/cert/fs but sits at contexta/cert/fs2" in out


# -- OpenPGP -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gpg_homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Two keyrings, each with its own key for the same user id `Test User <EMAIL>`:
    ``mine`` (the verifier's own, ultimately trusted there) and ``stranger``."""
    homes = {name: gpg_home(tmp_path_factory.mktemp(f"gnupg-{name}")) for name in
             ("mine", "stranger")}
    if any(home is None for home in homes.values()):
        pytest.skip("gpg cannot make a key here")
    made = {name: home for name, home in homes.items() if home is not None}
    yield made
    for home in made.values():
        stop_agent(home)


@pytest.fixture
def stranger_certified(repo: Path, gpg_homes: dict[str, Path],
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    """A certificate signed by the stranger's key; the verifier's keyring is ``mine``."""
    git(repo, "config", "gpg.format", "openpgp")
    git(repo, "config", "user.signingKey", EMAIL)
    monkeypatch.setenv("GNUPGHOME", str(gpg_homes["stranger"]))
    _record_and_certify(repo)
    monkeypatch.setenv("GNUPGHOME", str(gpg_homes["mine"]))
    return repo


def test_openpgp_key_with_my_user_id_is_not_trusted_until_allowed(
        stranger_certified: Path, gpg_homes: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = stranger_certified
    refused(repo, "git verify-tag rejects the signature")  # not even in the keyring
    home = tmp_path / "verifier"  # a copy of my keyring, with the stranger's key imported
    subprocess.run(["cp", "-a", str(gpg_homes["mine"]), str(home)], check=True)
    monkeypatch.setenv("GNUPGHOME", str(home))
    try:
        gpg_import_public(home, gpg_homes["stranger"])
        git(repo, "verify-tag", CERT)  # git alone accepts it: same name, good signature
        stranger = gpg_fingerprint(gpg_homes["stranger"])
        refused(repo, f"signed by OpenPGP key {stranger} (Test User <{EMAIL}>), which is not "
                      "trusted here: its validity in your keyring is undefined")
        code, out, _ = invoke(repo, "verify", "fs")
        assert f"git config --add contexta.allowedSigningKey {stranger}" in out
        git(repo, "config", "--add", "contexta.allowedSigningKey", stranger[-16:])  # a key id
        code, out, _ = invoke(repo, "verify", "fs")
        assert code == 1 and "is not a full fingerprint and is ignored" in out
        git(repo, "config", "--add", "contexta.allowedSigningKey", stranger.lower())
        code, out, _ = invoke(repo, "verify", "fs")
        assert code == 0 and out.startswith("VALID contexta/cert/fs:"), out
        git(repo, "config", "--unset-all", "contexta.allowedSigningKey")
        assert invoke(repo, "verify", "fs")[0] == 1
        gpg(home, "--quick-lsign-key", stranger)  # or: I certify the key myself
        code, out, _ = invoke(repo, "verify", "fs")
        assert code == 0 and out.startswith("VALID contexta/cert/fs:"), out
    finally:
        stop_agent(home)


def test_openpgp_signature_transplanted(repo: Path, gpg_homes: dict[str, Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "config", "gpg.format", "openpgp")
    git(repo, "config", "user.signingKey", EMAIL)
    monkeypatch.setenv("GNUPGHOME", str(gpg_homes["mine"]))
    _record_and_certify(repo)
    assert invoke(repo, "verify", "fs")[0] == 0  # my own key: ultimately trusted
    genuine = git(repo, "cat-file", "tag", CERT).stdout
    signature = genuine[genuine.index("-----BEGIN PGP SIGNATURE-----"):]
    write_tag(repo, tag_bytes(repo, edited_copy(repo, "value = 0.95", "value = 0.99"))
              + signature)
    refused(repo, "git verify-tag rejects the signature")


# -- foreign and malformed tags under the prefix --------------------------------------------
def test_foreign_tags_under_the_prefix_never_break_the_genuine_one(issued: Path) -> None:
    repo = issued
    commit = git(repo, "rev-parse", "contexta/runs").stdout.strip()
    git(repo, "tag", "-s", "-m", "nested", "contexta/cert/team/x", commit)
    git(repo, "tag", "contexta/cert/-dash", commit)
    git(repo, "symbolic-ref", "refs/tags/contexta/cert/sym", "refs/heads/main")
    blob = git(repo, "hash-object", "-w", "--stdin", input="not a commit").stdout.strip()
    write_tag(repo, tag_bytes(repo, blob, "contexta/cert/blob", "blob"), "refs/tags/contexta/cert/blob")
    junk = git(repo, "hash-object", "-t", "tag", "-w", "--stdin", "--literally",
               input="garbage\n").stdout.strip()  # git's own update-ref will not point at it
    (repo / ".git/refs/tags/contexta/cert/junk").write_text(junk + "\n")
    code, out, _ = invoke(repo, "verify", "--all")
    assert code == 1, out
    assert "VALID contexta/cert/fs: run:c.good PASS" in out
    for name, reason in [("team/x", "must not contain '/', '\\' or '..' in a certificate id"),
                         ("-dash", "must start with a letter or digit"),
                         ("sym", "is a symbolic ref, not a certificate tag"),
                         ("blob", "which is not a commit"),
                         ("junk", "the tag object of contexta/cert/junk is malformed")]:
        assert f"INVALID contexta/cert/{name}:" in out, (name, out)
        assert reason in out, (name, reason, out)
    code, out, _ = invoke(repo, "verify", "--all", "--json")
    found = {r["tag"]: r for r in json.loads(out)}
    assert found["contexta/cert/fs"]["valid"] and found["contexta/cert/fs"]["deliverable"]
    assert len(found) == 6 and sum(r["valid"] for r in found.values()) == 1
    code, out, _ = invoke(repo, "verify", "--artifact", str(repo.parent / "model.pkl"))
    assert code == 0 and out.startswith("CERTIFIED") and "by fs" in out
    code, out, _ = invoke(repo, "verify", "contexta/cert/team/x")
    assert code == 1 and "is not a certificate tag" in out
    code, _, err = invoke(repo, "verify", "no/such")
    assert code == 2 and err.startswith("Error: invalid certificate name 'no/such'")


# -- a forged tag force-pushed to the remote -------------------------------------------------
def test_forged_tag_on_the_remote_is_checked_aside_never_imported(
        tmp_path: Path, keys: dict[str, Path]) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    mine, mallory = tmp_path / "mine", tmp_path / "mallory"
    for clone in (mine, mallory):
        git(tmp_path, "clone", "-q", str(bare), str(clone))
    git(mine, "commit", "-q", "--allow-empty", "-m", "init")
    use_ssh(mine, keys["good"])
    _record_and_certify(mine)
    assert invoke(mine, "push")[0] == 0
    assert invoke(mallory, "pull")[0] == 0
    use_ssh(mallory, keys["stranger"])  # mallory's key; she trusts it, nobody else does
    git(mallory, "tag", "-f", "-s", "-m", "forged", CERT, "contexta/runs")
    git(mallory, "push", "-q", "-f", "origin", f"refs/tags/{CERT}")
    genuine = git(mine, "rev-parse", CERT).stdout
    code, _, err = invoke(mine, "pull")
    assert code == 2
    assert "one of them may be forged" in err and "git tag -d" not in err
    assert git(mine, "rev-parse", CERT).stdout == genuine
    aside = "refs/contexta/remote-tags/origin/contexta/cert/fs"
    fetch = f"git fetch --no-tags origin +refs/tags/{CERT}:{aside}"
    assert f"contexta-git verify {CERT} (yours); {fetch} && contexta-git verify {aside} " \
           "(theirs)" in err
    git(mine, *fetch.split()[1:])  # follow the advice, word for word
    code, out, _ = invoke(mine, "verify", aside)
    assert code == 1 and "git verify-tag rejects the signature: No principal matched." in out
    code, out, _ = invoke(mine, "verify", CERT)
    assert code == 0 and out.startswith("VALID contexta/cert/fs:")
    assert git(mine, "rev-parse", CERT).stdout == genuine
    assert git(mine, "for-each-ref", "refs/tags/").stdout.count("refs/tags/") == 1
