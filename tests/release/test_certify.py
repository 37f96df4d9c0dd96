"""certify and verify with real SSH keys; stock git checks every certificate."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs
from contexta_git.release.verify import verify, verify_all

from tests.release.certs import ssh_key, use_ssh
from tests.conftest import git
from tests.release.test_gate import SEED_METRICS, SEED_POLICY, invoke, seed_run, write


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return ssh_key(folder, "good"), ssh_key(folder, "other")


@pytest.fixture
def signed_repo(repo: Path, keys: tuple[Path, Path]) -> Path:
    use_ssh(repo, keys[0])
    return repo


def issue(repo: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    policy = write(tmp_path, SEED_POLICY)
    return invoke(repo, "certify", "fraud", "--policy", str(policy), "--client",
                  "FinanceBank Corp", "--model", "FraudShield v2.1", "--id", "fs-2.1", *extra)


def test_seed_certificate_through_cli(signed_repo: Path, tmp_path: Path) -> None:
    repo = signed_repo
    seed_run(repo)
    tip_before = git(repo, "rev-parse", "contexta/runs").stdout.strip()
    code, out, err = issue(repo, tmp_path)
    assert code == 0, err
    assert out.startswith("Certified run:bank.fraud as fs-2.1: PASS\n")
    git(repo, "tag", "-v", "contexta/cert/fs-2.1")  # stock git verifies the signature
    assert git(repo, "cat-file", "-t", "contexta/cert/fs-2.1").stdout.strip() == "tag"
    tagged = git(repo, "rev-parse", "contexta/cert/fs-2.1^{commit}").stdout.strip()
    assert tagged == git(repo, "rev-parse", "contexta/runs").stdout.strip()
    assert git(repo, "rev-parse", f"{tagged}^").stdout.strip() == tip_before
    doc = tomllib.loads(git(repo, "show", f"{tagged}:certificates/fs-2.1/certificate.toml").stdout)
    assert doc["client"] == "FinanceBank Corp" and doc["model"] == "FraudShield v2.1"
    assert doc["decision"] == "PASS" and doc["run"]["runs_commit"] == tip_before
    assert doc["run"]["code_commit"] == git(repo, "rev-parse", "HEAD").stdout.strip()
    assert {m["key"]: m["value"] for m in doc["metrics"]} == SEED_METRICS
    assert [(c["metric"], c["bound"], c["status"]) for c in doc["checks"]][:2] == [
        ("accuracy", 0.9, "PASS"), ("auc", 0.93, "PASS")]
    assert doc["policy"]["checks"][0] == {"metric": "accuracy", "kind": "min", "bound": 0.9,
                                          "stage": "evaluate", "severity": "fail"}
    assert doc["issuer"] == "Test User <test@example.com>"
    md = git(repo, "show", f"{tagged}:certificates/fs-2.1/certificate.md").stdout
    assert "**Overall decision: PASS**" in md and "| auc | any | 0.961 | min 0.93 | PASS |" in md
    code, out, _ = invoke(repo, "verify", "fs-2.1")
    assert code == 0, out
    assert out.startswith("VALID contexta/cert/fs-2.1: run:bank.fraud PASS, signed by test@example.com")
    git(repo, "fsck", "--strict")
    assert git(repo, "status", "--porcelain").stdout == ""


def test_certificate_verifies_on_a_clean_clone(signed_repo: Path, tmp_path: Path) -> None:
    seed_run(signed_repo)
    assert issue(signed_repo, tmp_path)[0] == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-checkout", str(signed_repo), str(clone))
    git(clone, "fetch", "-q", "origin", "refs/heads/contexta/runs:refs/heads/contexta/runs",
        "refs/tags/contexta/*:refs/tags/contexta/*")
    git(clone, "config", "gpg.ssh.allowedSignersFile",
        git(signed_repo, "config", "gpg.ssh.allowedSignersFile").stdout.strip())
    git(clone, "tag", "-v", "contexta/cert/fs-2.1")
    result = verify(Runs.open(clone), "contexta/cert/fs-2.1")
    assert result.ok, result.problems


def test_api_certify_and_runs_moving_on(signed_repo: Path) -> None:
    runs = seed_run(signed_repo)
    done = certify(runs, "fraud", parse_policy(SEED_POLICY), client="C", model="M")
    assert done.id.startswith("fraud-") and done.signed and done.decision == "PASS"
    seed_run(signed_repo, "later")  # the branch moves on after certification
    runs.apply([], "noop")
    result = verify(runs, done.id)
    assert result.ok and result.warnings == ()
    assert [r.id for r in verify_all(runs)] == [done.id]


def test_failing_gate_is_refused_unless_allowed(signed_repo: Path, tmp_path: Path,
                                                branch_state: Callable[[], tuple[str | None, int]]) -> None:
    seed_run(signed_repo, metrics={**SEED_METRICS, "recall": 0.5})
    before = branch_state()
    code, _, err = issue(signed_repo, tmp_path)
    assert code == 1
    assert err == "Error: gate FAIL for run:bank.fraud: recall: 0.5 < min 0.86\n"
    assert branch_state() == before
    assert git(signed_repo, "tag", "-l").stdout == ""
    code, out, _ = issue(signed_repo, tmp_path, "--allow-fail")
    assert code == 0 and "fs-2.1: FAIL" in out
    result = verify(Runs.open(signed_repo), "fs-2.1")
    assert result.ok and result.certificate["decision"] == "FAIL" and not result.deliverable


def test_authentic_fail_certificate_exits_1_and_says_why(signed_repo: Path, tmp_path: Path) -> None:
    seed_run(signed_repo, metrics={**SEED_METRICS, "recall": 0.5})
    assert issue(signed_repo, tmp_path, "--allow-fail")[0] == 0
    code, out, _ = invoke(signed_repo, "verify", "fs-2.1")
    assert code == 1
    assert out.startswith("NOT DELIVERABLE contexta/cert/fs-2.1: authentic (run:bank.fraud FAIL, "
                          "signed by test@example.com, commit ")
    assert out.rstrip().endswith("but its decision is FAIL: it does not allow delivery")
    code, out, _ = invoke(signed_repo, "verify", "fs-2.1", "--json")
    found = json.loads(out)[0]
    assert code == 1 and found["problems"] == []
    assert (found["valid"], found["deliverable"], found["decision"]) == (True, False, "FAIL")
    assert invoke(signed_repo, "verify", "--all")[0] == 1


def test_existing_id_is_never_overwritten(signed_repo: Path, tmp_path: Path,
                                          branch_state: Callable[[], tuple[str | None, int]]) -> None:
    seed_run(signed_repo)
    assert issue(signed_repo, tmp_path)[0] == 0
    tag = git(signed_repo, "rev-parse", "contexta/cert/fs-2.1").stdout
    before = branch_state()
    code, _, err = issue(signed_repo, tmp_path)
    assert code == 2
    assert err == ("Error: certificate fs-2.1 already exists; certificates are never "
                   "overwritten, choose another --id\n")
    assert branch_state() == before
    assert git(signed_repo, "rev-parse", "contexta/cert/fs-2.1").stdout == tag


def test_no_sign_says_so_and_verify_rejects(repo: Path, tmp_path: Path) -> None:
    seed_run(repo)
    code, out, _ = issue(repo, tmp_path, "--no-sign")
    assert code == 0 and "UNSIGNED (--no-sign)" in out
    assert git(repo, "cat-file", "-t", "contexta/cert/fs-2.1").stdout.strip() == "tag"
    code, out, _ = invoke(repo, "verify", "fs-2.1")
    assert code == 1
    assert "the tag is not signed (certified with --no-sign)" in out


def test_signing_failure_writes_nothing(repo: Path, tmp_path: Path,
                                        branch_state: Callable[[], tuple[str | None, int]]) -> None:
    seed_run(repo)
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingKey", str(tmp_path / "no-such-key"))
    before = branch_state()
    code, _, err = issue(repo, tmp_path)
    assert code == 2
    assert err == f"Error: user.signingKey {tmp_path / 'no-such-key'} does not exist\n"
    assert branch_state() == before and git(repo, "tag", "-l").stdout == ""
    git(repo, "config", "gpg.format", "x999")
    code, _, err = issue(repo, tmp_path)
    assert (code, err) == (2, "Error: unsupported gpg.format 'x999' (use openpgp, x509 or ssh)\n")


def test_verify_usage_and_missing(repo: Path) -> None:
    seed_run(repo)
    code, _, err = invoke(repo, "verify", "nope")
    assert (code, err) == (2, "Error: no certificate 'nope' (no tag refs/tags/contexta/cert/nope)\n")
    code, _, err = invoke(repo, "verify")
    assert code == 2 and ("give exactly one of CERT, --all, --artifact, --alias or "
                          "--attestation") in err
    code, out, _ = invoke(repo, "verify", "--all")
    assert code == 1 and "No certificates to verify." in out
