"""A quarantine revokes a certificate whatever happened to the run since: rm,
re-recording under the same name, merges that bring back a copy that never saw it."""

from __future__ import annotations

from pathlib import Path

import pytest

import contexta_git
from contexta_git.analysis.annotate import annotate
from contexta_git.analysis.quarantine import quarantine
from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.release.revocation import quarantines
from contexta_git.core.names import RunId
from contexta_git.share.sync import pull, push
from contexta_git.store.rm import rm
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import invoke

POLICY = "[metrics.accuracy]\nmin = 0.9\n"
REASON = "labels leaked into the test set"
GOOD = RunId("c", "good")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ssh_key(tmp_path_factory.mktemp("keys"))


def record_good(repo: Path, accuracy: float = 0.95) -> Path:
    model = repo.parent / "model.pkl"
    model.write_bytes(b"weights")
    with contexta_git.start_run("good", project="c", repo=repo, capture_environment=False) as run:
        run.log_metrics({"accuracy": accuracy}, stage="evaluate")
        run.artifact(model, kind="model")
    return model


def certified(repo: Path, key: Path) -> Path:
    use_ssh(repo, key)
    model = record_good(repo)
    certify(Runs.open(repo), "c.good", parse_policy(POLICY), client="C", model="M",
            cert_id="cg")
    assert invoke(repo, "verify", "cg")[0] == 0
    return model


def revoked(repo: Path, model: Path) -> None:
    code, out, _ = invoke(repo, "verify", "cg")
    assert code == 1, out
    assert out.startswith("INVALID contexta/cert/cg:\n")
    assert f"run:c.good was quarantined after certification ({REASON})" in out
    code, out, _ = invoke(repo, "verify", "--artifact", str(model))
    assert code == 1 and out.startswith("NOT CERTIFIED"), out


def test_rm_does_not_lift_a_quarantine(repo: Path, key: Path) -> None:
    model = certified(repo, key)
    runs = Runs.open(repo)
    quarantine(runs, ["c.good"], REASON)
    revoked(repo, model)
    rm(runs, ["c.good"])
    assert not runs.exists(GOOD)
    revoked(repo, model)
    record_good(repo)  # a new run under the same name never saw the quarantine
    assert runs.get(GOOD).quarantine_reason == REASON  # the ledger holds it over rm and re-record
    revoked(repo, model)
    assert list(quarantines(runs, GOOD).values()) == [REASON]
    code, _, err = invoke(repo, "certify", "c.good", "--policy", str(_policy(repo)),
                          "--client", "C", "--model", "M", "--id", "cg2")
    assert code == 2 and f"run:c.good is quarantined ({REASON})" in err


def test_a_release_restores_the_certificate(repo: Path, key: Path) -> None:
    certified(repo, key)
    runs = Runs.open(repo)
    quarantine(runs, ["c.good"], REASON)
    assert invoke(repo, "verify", "cg")[0] == 1
    quarantine(runs, ["c.good"], "checked again: no leak", undo=True)
    assert quarantines(runs, GOOD) == {}
    code, out, _ = invoke(repo, "verify", "cg")
    assert code == 0 and out.startswith("VALID contexta/cert/cg:")


def test_a_merge_that_brings_the_run_back_does_not_lift_it(tmp_path: Path, key: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", str(bare), str(clone))
        use_ssh(clone, key)
    git(a, "commit", "-q", "--allow-empty", "-m", "init")
    model = certified(a, key)
    push(Runs.open(a))
    pull(Runs.open(b))
    assert invoke(b, "verify", "cg")[0] == 0
    quarantine(Runs.open(a), ["c.good"], REASON)
    rm(Runs.open(a), ["c.good"])
    push(Runs.open(a))
    annotate(Runs.open(b), "data.checked", started_between=["2000-01-01", "2999-12-31"],
             project="c")  # b changed the run, so the merge keeps it
    pull(Runs.open(b))
    revoked(b, model)
    push(Runs.open(b))
    pull(Runs.open(a))
    revoked(a, model)


def _policy(repo: Path) -> Path:
    path = repo.parent / "policy.toml"
    path.write_text(POLICY)
    return path
