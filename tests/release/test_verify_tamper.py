"""Tamper with every part of a certificate: each is caught, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs
from contexta_git.release.verify import verify, verify_artifact

from tests.release.certs import EMAIL, gpg_home, ssh_key, stop_agent, use_ssh
from tests.conftest import git
from tests.release.test_gate import SEED_POLICY, invoke, seed_run

CERT = "contexta/cert/fs"
PATH = "certificates/fs/certificate.toml"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return ssh_key(folder, "good"), ssh_key(folder, "other")


@pytest.fixture
def issued(repo: Path, keys: tuple[Path, Path]) -> Runs:
    use_ssh(repo, keys[0])
    runs = seed_run(repo)
    certify(runs, "fraud", parse_policy(SEED_POLICY), client="C", model="M", cert_id="fs")
    assert verify(runs, "fs").ok
    return runs


def rewrite(repo: Path, path: str, old: str, new: str) -> str:
    """A copy of the certified commit with one file edited (same parent); returns its id."""
    commit = git(repo, "rev-parse", f"{CERT}^{{commit}}").stdout.strip()
    text = git(repo, "show", f"{commit}:{path}").stdout
    assert old in text
    blob = git(repo, "hash-object", "-w", "--stdin", input=text.replace(old, new)).stdout.strip()
    index = repo.parent / "tamper-index"
    env = {"GIT_INDEX_FILE": str(index), **_env()}
    git(repo, "read-tree", commit, env=env)
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = git(repo, "write-tree", env=env).stdout.strip()
    parent = git(repo, "rev-parse", f"{commit}^").stdout.strip()
    return git(repo, "commit-tree", tree, "-p", parent, "-m", "tampered").stdout.strip()


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def resign(repo: Path, target: str, name: str = CERT) -> None:
    """The insider's move: force a freshly signed tag of the same name onto ``target``."""
    git(repo, "tag", "-f", "-s", "-m", "re-signed", name, target)


def problems(runs: Runs, cert: str = "fs") -> str:
    result = verify(runs, cert)
    assert not result.ok
    return "\n".join(result.problems)


def test_certificate_text_edited(issued: Runs) -> None:
    repo = Path(issued.store.workdir or ".")
    resign(repo, rewrite(repo, PATH, "value = 0.961", "value = 0.991"))
    git(repo, "tag", "-v", CERT)  # git alone is satisfied: the signature is good
    found = problems(issued)
    assert "metric auc (stage evaluate) is 0.991 in the certificate but 0.961 in run:bank.fraud" \
        in found
    assert "certificate.md does not match certificate.toml" in found


def test_metric_value_in_the_run_edited(issued: Runs) -> None:
    repo = Path(issued.store.workdir or ".")
    run_metrics = next(p for p in git(repo, "ls-tree", "-r", "--name-only", CERT).stdout.split()
                       if p.endswith("fraud/metrics.toml"))
    resign(repo, rewrite(repo, run_metrics, "value = 0.928", "value = 0.5"))
    found = problems(issued)
    assert "metric recall (stage evaluate) is 0.928 in the certificate but 0.5 in run:bank.fraud" \
        in found
    assert "decision PASS in the certificate but the policy recomputes to FAIL" in found


def test_tag_moved_to_another_commit(issued: Runs) -> None:
    repo = Path(issued.store.workdir or ".")
    seed_run(repo, "later")  # a later commit still holds the certificate
    resign(repo, "contexta/runs")
    assert "not at the commit that issued the certificate: the tag was moved" in problems(issued)
    git(repo, "update-ref", f"refs/tags/{CERT}", "contexta/runs")  # a lightweight tag
    assert "is not an annotated tag (it points at a commit object)" in problems(issued)


def test_tag_renamed(issued: Runs) -> None:
    repo = Path(issued.store.workdir or ".")
    tag = git(repo, "rev-parse", CERT).stdout.strip()
    git(repo, "update-ref", "refs/tags/contexta/cert/other", tag)
    found = problems(issued, "other")
    assert "tag object is named contexta/cert/fs but sits at contexta/cert/other" in found
    assert "does not hold certificates/other/certificate.toml" in found


def test_key_not_in_allowed_signers(issued: Runs, keys: tuple[Path, Path]) -> None:
    repo = Path(issued.store.workdir or ".")
    use_ssh(repo, keys[0], allowed=keys[1])  # the file now lists only the other key
    code, out, _ = invoke(repo, "verify", "fs")
    assert code == 1
    assert "git verify-tag rejects the signature: No principal matched." in out


def test_signer_not_tagger_nor_certifier(issued: Runs, keys: tuple[Path, Path]) -> None:
    repo = Path(issued.store.workdir or ".")
    use_ssh(repo, keys[0], principal="mallory@example.com")
    assert ("signed by mallory@example.com, who is neither the tagger nor a listed certifier"
            in problems(issued))
    git(repo, "config", "--add", "contexta.certifier", "Mallory <mallory@example.com>")
    assert verify(issued, "fs").ok


def test_unsigned_tag_in_place_of_signed(issued: Runs) -> None:
    repo = Path(issued.store.workdir or ".")
    git(repo, "tag", "-f", "-a", "-m", "unsigned", CERT, f"{CERT}^{{commit}}")
    assert "the tag is not signed" in problems(issued)


def test_artifact_lookup(repo: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    import contexta_git

    use_ssh(repo, keys[0])
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    with contexta_git.start_run("fraud", project="bank", repo=repo,
                                capture_environment=False) as run:
        run.log_metrics({"accuracy": 0.95}, stage="evaluate")
        run.artifact(model, kind="model")
    runs = Runs.open(repo)
    policy = parse_policy("[metrics.accuracy]\nmin = 0.9\n")
    other = tmp_path / "other.bin"
    other.write_bytes(b"not certified")
    assert not verify_artifact(runs, model).ok
    certify(runs, "fraud", policy, client="C", model="M", cert_id="fs")
    assert verify_artifact(runs, model).certified_by == ("fs",)
    code, out, _ = invoke(repo, "verify", "--artifact", str(other))
    assert code == 1 and out.startswith("NOT CERTIFIED")
    code, out, _ = invoke(repo, "verify", "--artifact", str(model))
    assert code == 0 and out.startswith("CERTIFIED") and "by fs" in out


def test_openpgp_certificate(repo: Path, tmp_path_factory: pytest.TempPathFactory,
                             monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    home = gpg_home(tmp_path_factory.mktemp("gnupg"))
    if home is None:
        pytest.skip("gpg cannot make a key here")
    request.addfinalizer(lambda: stop_agent(home))
    monkeypatch.setenv("GNUPGHOME", str(home))
    git(repo, "config", "gpg.format", "openpgp")
    git(repo, "config", "user.signingKey", EMAIL)
    runs = seed_run(repo)
    done = certify(runs, "fraud", parse_policy(SEED_POLICY), client="C", model="M", cert_id="pgp")
    raw = git(repo, "cat-file", "tag", "contexta/cert/pgp").stdout
    assert "-----BEGIN PGP SIGNATURE-----" in raw
    git(repo, "tag", "-v", "contexta/cert/pgp")
    result = verify(runs, done.id)
    assert result.ok, result.problems
    assert result.signer == f"Test User <{EMAIL}>"
    git(repo, "tag", "-f", "-s", "-u", EMAIL, "-m", "x", "contexta/cert/pgp", "contexta/runs~1")
    assert "does not hold certificates/pgp/certificate.toml" in problems(runs, "pgp")
