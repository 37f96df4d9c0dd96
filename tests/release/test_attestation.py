"""certify --attestation: an in-toto Statement in a DSSE envelope signed with the
certificate's SSH key; verify --attestation checks it offline and fails when the model
file, the predicate or the signature is changed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from in_toto_attestation.v1.statement import Statement
from google.protobuf import json_format
import in_toto_attestation.v1.statement_pb2 as spb

from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.release import attestation as attest
from contexta_git.store.runs import Runs
from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_METRICS, SEED_POLICY, invoke, write


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return ssh_key(folder, "good"), ssh_key(folder, "other")


@pytest.fixture
def certified(repo: Path, tmp_path: Path, keys: tuple[Path, Path]) -> tuple[Path, Path, Path]:
    """(repo, model file, exported attestation) of a certificate made with --attestation."""
    use_ssh(repo, keys[0])
    model = repo / "model.bin"
    model.write_bytes(b"\x00weights\x01" * 100)
    record(Runs.open(repo), "bank", "fraud", metrics=SEED_METRICS, stage="evaluate",
           capture_environment=False, artifacts=[str(model)])
    code, out, err = invoke(repo, "certify", "fraud", "--policy", str(write(tmp_path, SEED_POLICY)),
                            "--client", "FinanceBank", "--model", "FraudShield 2", "--id", "fs-2",
                            "--attestation")
    assert code == 0, err
    assert "attestation certificates/fs-2/attestation.intoto.json" in out
    exported = tmp_path / "fs-2.intoto.json"
    code, _, err = invoke(repo, "attestation", "fs-2", "-o", str(exported))
    assert code == 0, err
    return repo, model, exported


def _statement(path: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(path.read_text())["payload"]))


def test_the_statement_is_a_valid_in_toto_test_result(certified: tuple[Path, Path, Path]) -> None:
    repo, model, exported = certified
    doc = _statement(exported)
    proto = json_format.ParseDict(doc, spb.Statement())
    Statement.copy_from_pb(proto).validate()  # the in-toto library's own checks
    assert doc["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    runs_commit = git(repo, "rev-parse", "contexta/cert/fs-2^{commit}^").stdout.strip()
    import hashlib
    assert {"name": str(model), "digest": {"sha256": hashlib.sha256(model.read_bytes()).hexdigest()}
            } in doc["subject"]
    assert {"name": f"contexta/runs@{runs_commit}", "digest": {"gitCommit": runs_commit}} in doc["subject"]
    predicate = doc["predicate"]
    assert predicate["result"] == "pass" and predicate["failedTests"] == []
    assert "accuracy@evaluate min 0.9" in predicate["passedTests"]
    evidence = predicate["configuration"][1]
    assert evidence["digest"] == {"gitCommit": runs_commit}
    assert evidence["annotations"]["certificate"] == "fs-2"
    # the branch holds the same bytes as the export
    on_branch = git(repo, "show", "contexta/cert/fs-2:certificates/fs-2/attestation.intoto.json").stdout
    assert on_branch == exported.read_text()
    # the run's ref finds it too
    code, out, _ = invoke(repo, "attestation", "fraud")
    assert code == 0 and json.loads(out) == json.loads(exported.read_text())


def test_verify_accepts_it_and_rejects_a_changed_model(certified: tuple[Path, Path, Path]) -> None:
    repo, model, exported = certified
    code, out, _ = invoke(repo, "verify", "--attestation", str(exported), "--model-file", str(model))
    assert code == 0, out
    assert out.startswith(f"VALID {exported}: certificate fs-2, signed by test@example.com")
    model.write_bytes(model.read_bytes() + b"!")
    code, out, _ = invoke(repo, "verify", "--attestation", str(exported), "--model-file", str(model))
    assert code == 1 and "is not a subject of the attestation" in out


def test_a_changed_predicate_fails(certified: tuple[Path, Path, Path]) -> None:
    repo, model, exported = certified
    envelope = json.loads(exported.read_text())
    doc = _statement(exported)
    doc["predicate"]["passedTests"] = doc["predicate"]["passedTests"][1:]
    envelope["payload"] = base64.b64encode(json.dumps(doc).encode()).decode()
    exported.write_text(json.dumps(envelope))
    code, out, _ = invoke(repo, "verify", "--attestation", str(exported), "--model-file", str(model))
    assert code == 1
    assert "the signature does not verify" in out
    assert "the predicate differs from what certificate fs-2 says" in out


def test_a_changed_or_foreign_signature_fails(certified: tuple[Path, Path, Path],
                                             keys: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _model, exported = certified
    envelope = json.loads(exported.read_text())
    armored = base64.b64decode(envelope["signatures"][0]["sig"]).decode()
    lines = armored.splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][:-4] + ("AAAA" if lines[middle][-4:] != "AAAA" else "BBBB")
    envelope["signatures"][0]["sig"] = base64.b64encode(("\n".join(lines) + "\n").encode()).decode()
    exported.write_text(json.dumps(envelope))
    code, out, _ = invoke(repo, "verify", "--attestation", str(exported))
    assert code == 1 and "the signature does not verify" in out
    # a whole new, well-formed signature by a key nobody allowed
    import subprocess
    body = base64.b64decode(envelope["payload"])
    (tmp_path / "pae").write_bytes(attest.pae(attest.PAYLOAD_TYPE, body))
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(keys[1]),
                    str(tmp_path / "pae")], check=True, capture_output=True)
    envelope["signatures"][0]["sig"] = base64.b64encode((tmp_path / "pae.sig").read_bytes()).decode()
    exported.write_text(json.dumps(envelope))
    code, out, _ = invoke(repo, "verify", "--attestation", str(exported))
    assert code == 1 and "no principal of gpg.ssh.allowedSignersFile" in out


def test_a_client_without_the_repository_checks_signature_and_model(
        certified: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, model, exported = certified
    signers = git(repo, "config", "gpg.ssh.allowedSignersFile").stdout.strip()
    client = tmp_path / "client"
    client.mkdir()
    git(client, "config", "--global", "gpg.ssh.allowedSignersFile", signers)
    monkeypatch.chdir(client)
    result = CliRunner().invoke(cli, ["verify", "--attestation", str(exported), "--model-file",
                                      str(model)])
    assert result.exit_code == 0, result.output
    assert "warning: no repository here" in result.output


def test_attestation_needs_a_signature(repo: Path, tmp_path: Path) -> None:
    record(Runs.open(repo), "bank", "fraud", metrics=SEED_METRICS, stage="evaluate",
           capture_environment=False)
    code, _, err = invoke(repo, "certify", "fraud", "--policy", str(write(tmp_path, SEED_POLICY)),
                          "--client", "c", "--model", "m", "--no-sign", "--attestation")
    assert code == 2
    assert err.strip() == "Error: --attestation needs a signature: it cannot be used with --no-sign"
    assert git(repo, "tag", "-l").stdout == ""


def test_an_openpgp_attestation_verifies_and_an_untrusted_key_is_refused(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.release.certs import EMAIL, gpg_home, gpg_import_public, stop_agent

    signer = gpg_home(tmp_path / "gnupg-signer")
    if signer is None:
        pytest.skip("gpg cannot make a key here")
    verifier = tmp_path / "gnupg-verifier"
    verifier.mkdir(mode=0o700)
    try:
        monkeypatch.setenv("GNUPGHOME", str(signer))
        git(repo, "config", "user.signingKey", EMAIL)
        record(Runs.open(repo), "bank", "fraud", metrics=SEED_METRICS, stage="evaluate",
               capture_environment=False)
        code, _, err = invoke(repo, "certify", "fraud", "--policy",
                              str(write(tmp_path, SEED_POLICY)), "--client", "c", "--model", "m",
                              "--id", "pgp", "--attestation")
        assert code == 0, err
        exported = tmp_path / "pgp.json"
        assert invoke(repo, "attestation", "pgp", "-o", str(exported))[0] == 0
        sig = base64.b64decode(json.loads(exported.read_text())["signatures"][0]["sig"])
        assert sig.startswith(b"-----BEGIN PGP SIGNATURE-----")
        code, out, _ = invoke(repo, "verify", "--attestation", str(exported))
        assert code == 0, out
        gpg_import_public(verifier, signer)  # the same key, imported but not trusted
        monkeypatch.setenv("GNUPGHOME", str(verifier))
        code, out, _ = invoke(repo, "verify", "--attestation", str(exported))
        assert code == 1 and "not trusted here" in out
    finally:
        stop_agent(signer)
        stop_agent(verifier)
