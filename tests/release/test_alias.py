"""Aliases and deployments in one repository: moves, history at a date, protection, bad
input (one line, exit 2, nothing written), all through real git."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from contexta_git import alias_history, deploy, deployments, protect_alias, resolve_alias, set_alias
from contexta_git.analysis.quarantine import quarantine
from contexta_git.errors import ContextaError
from contexta_git.record.oneshot import record
from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_METRICS, SEED_POLICY, invoke

State = Callable[[], tuple[str | None, int]]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return ssh_key(folder, "good"), ssh_key(folder, "other")


def two_runs(repo: Path, tmp_path: Path) -> Runs:
    """Runs ``bank.a`` (with a model file) and ``bank.b`` (another), both passing the gate."""
    runs = Runs.open(repo)
    for name, content in (("a", b"model a\n"), ("b", b"model b\n")):
        model = tmp_path / f"{name}.bin"
        model.write_bytes(content)
        record(runs, "bank", name, metrics=SEED_METRICS, stage="evaluate", artifacts=[str(model)],
               capture_environment=False)
    return runs


def test_moves_are_recorded_with_who_when_why_and_previous(repo: Path, tmp_path: Path) -> None:
    runs = two_runs(repo, tmp_path)
    first = set_alias(runs, "bank@champion", "a", reason="first release")
    second = set_alias(runs, "bank@champion", "run:bank.b", reason="better recall")
    assert (first.run, second.run) == ("run:bank.a", "run:bank.b")
    assert second.entry["previous"] == "run:bank.a" and "previous" not in first.entry
    assert second.entry["who"] == "Test User <test@example.com>"
    found = resolve_alias(runs, "bank@champion")
    assert found.run == "run:bank.b" and found.certificate is None
    import hashlib

    assert [a["sha256"] for a in found.artifacts] == [hashlib.sha256(b"model b\n").hexdigest()]
    history = alias_history(runs, "bank@champion", at=first.entry["at"])
    assert history.current is not None and history.current["run"] == "run:bank.a"
    assert [e["reason"] for e in history.entries] == ["first release", "better recall"]
    assert alias_history(runs, "bank@champion", at="2001-01-01").current is None
    # plain git tells the same story: one commit per move, with the alias as a trailer
    log = git(repo, "log", "--format=%s|%(trailers:key=Contexta-Alias,valueonly)",
              "contexta/runs").stdout
    assert "alias bank@champion -> run:bank.b: better recall|bank@champion" in log


def test_history_at_a_date_through_the_cli(repo: Path, tmp_path: Path) -> None:
    runs = two_runs(repo, tmp_path)
    first = set_alias(runs, "bank@champion", "a", reason="first release")
    set_alias(runs, "bank@champion", "b", reason="better recall")
    code, out, _ = invoke(repo, "alias", "history", "bank@champion", "--at", first.entry["at"])
    assert code == 0
    assert out.splitlines()[0] == f"On {first.entry['at']}, bank@champion named run:bank.a"
    assert "Test User <test@example.com>" in out and "first release" in out
    code, out, _ = invoke(repo, "alias", "history", "bank@champion", "--at", "2001-03-03")
    assert (code, out) == (0, "On 2001-03-03, bank@champion named no run.\n")
    code, out, _ = invoke(repo, "alias", "history", "bank@champion")
    assert code == 0 and "-> run:bank.b (was run:bank.a)" in out.splitlines()[1]
    code, out, _ = invoke(repo, "alias", "resolve", "bank@champion", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["run"] == "run:bank.b" and len(doc["artifacts"]) == 1


@pytest.mark.parametrize("args, error", [
    (["alias", "set", "bankchampion", "a", "--reason", "x"],
     "Error: invalid alias name 'bankchampion': expected PROJECT@ALIAS, e.g. churn@champion"),
    (["alias", "set", "bank@", "a", "--reason", "x"],
     "Error: invalid alias name '': must not be empty"),
    (["alias", "set", "ba/nk@x", "a", "--reason", "x"],
     "Error: invalid project name 'ba/nk': must not contain '/', '\\' or '..'"),
    (["alias", "set", "bank@a@b", "a", "--reason", "x"],
     "Error: invalid alias name 'a@b': must start with a letter or digit and hold only "
     "letters, digits, '.', '_' and '-'"),
    (["alias", "set", "bank@champion", "zz", "--reason", "x"], "Error: no run 'zz'"),
    (["alias", "set", "bank@champion", "a", "--reason", "  "],
     "Error: a move needs a reason (--reason)"),
    (["alias", "set", "other@champion", "run:bank.a", "--reason", "x"],
     "Error: run:bank.a is not a run of project other"),
    (["alias", "history", "bank@champion", "--at", "2025-13-01"],
     "Error: '2025-13-01' is not an ISO date or date-time (e.g. 2025-04-01 or "
     "2025-04-01T09:00:00Z)"),
    (["alias", "resolve", "bank@nothing"], "Error: alias bank@nothing names no run; set it with "
     "contexta-git alias set bank@nothing RUN --reason TEXT"),
    (["deploy", "zz", "--env", "prod", "--reason", "x"], "Error: no run 'zz'"),
    (["deploy", "a", "--env", "prod", "--reason", ""],
     "Error: a deployment needs a reason (--reason)"),
    (["deploy", "a", "--env", " ", "--reason", "x"], "Error: a deployment needs an environment "
     "(--env), one line of at most 128 characters"),
    (["deploy", "a", "--env", "prod eu", "--reason", "x"], "Error: invalid deployment name "
     "'prod eu': must start with a letter or digit and hold only letters, digits, '.', '_' and "
     "'-'"),
    (["deploy", "a", "--env", "prod", "--certificate", "nope", "--reason", "x"],
     "Error: no certificate 'nope' (no tag refs/tags/contexta/cert/nope)"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(
        repo: Path, tmp_path: Path, branch_state: State, args: list[str], error: str) -> None:
    runs = two_runs(repo, tmp_path)
    set_alias(runs, "bank@champion", "a", reason="first")
    before = branch_state()
    code, _, err = invoke(repo, *args)
    assert (code, err) == (2, error + "\n")
    assert branch_state() == before


def test_a_quarantined_run_is_refused(repo: Path, tmp_path: Path, branch_state: State) -> None:
    runs = two_runs(repo, tmp_path)
    quarantine(runs, ["b"], "vendor feed corrupted")
    before = branch_state()
    for args in (["alias", "set", "bank@champion", "b", "--reason", "x"],
                 ["deploy", "b", "--env", "prod", "--reason", "x"]):
        code, _, err = invoke(repo, *args)
        assert (code, err) == (2, "Error: run:bank.b is quarantined (vendor feed corrupted); "
                               "release it first with contexta-git quarantine --undo\n")
    assert branch_state() == before


def _certify(runs: Runs, run: str, cert_id: str, **kw: object) -> None:
    certify(runs, run, parse_policy(kw.pop("policy", SEED_POLICY)), client="C", model="M",  # type: ignore[arg-type]
            cert_id=cert_id, **kw)  # type: ignore[arg-type]


def test_protected_alias_needs_a_valid_deliverable_certificate(
        repo: Path, tmp_path: Path, keys: tuple[Path, Path], branch_state: State) -> None:
    use_ssh(repo, keys[0])
    runs = two_runs(repo, tmp_path)
    set_alias(runs, "bank@champion", "a", reason="first", sign=False)
    code, out, _ = invoke(repo, "alias", "protect", "bank@champion", "--reason", "production")
    assert code == 0 and out.startswith("bank@champion is protected (since ")
    _certify(runs, "a", "cert-a")
    _certify(runs, "b", "unsigned-b", sign=False)
    _certify(runs, "b", "fail-b", allow_fail=True, policy="[metrics.accuracy]\nmin = 0.99\n")
    before = branch_state()
    refusals = {
        (): "Error: alias bank@champion is protected: a move needs --certificate naming a valid "
            "certificate of that run whose decision allows delivery",
        ("--certificate", "unsigned-b"): "Error: certificate unsigned-b does not verify: the "
            "tag is not signed (certified with --no-sign)",
        ("--certificate", "fail-b"): "Error: certificate fail-b has decision FAIL, which does "
            "not allow delivery",
        ("--certificate", "cert-a"): "Error: certificate cert-a certifies run:bank.a, not "
            "run:bank.b",
    }
    for extra, error in refusals.items():
        code, _, err = invoke(repo, "alias", "set", "bank@champion", "b", "--reason", "promote",
                              "--no-sign", *extra)
        assert (code, err) == (2, error + "\n")
    assert branch_state() == before
    _certify(runs, "b", "cert-b")
    move = set_alias(runs, "bank@champion", "b", reason="promote", certificate="cert-b")
    assert move.entry["certificate"] == "cert-b" and move.tag is not None
    assert resolve_alias(runs, "bank@champion").certificate == "cert-b"
    # protecting again writes nothing
    tip = branch_state()
    assert protect_alias(runs, "bank@champion").entry["reason"] == "production"
    assert branch_state() == tip


def test_protection_made_in_a_race_is_honoured(repo: Path, tmp_path: Path) -> None:
    """The protection is read on the tip the move is built on, not before."""
    runs = two_runs(repo, tmp_path)
    protect_alias(runs, "bank@champion")
    with pytest.raises(ContextaError, match="is protected"):
        set_alias(runs, "bank@champion", "a", reason="x")


def test_deployments_are_appended_never_overwritten(repo: Path, tmp_path: Path,
                                                    keys: tuple[Path, Path]) -> None:
    use_ssh(repo, keys[0])
    runs = two_runs(repo, tmp_path)
    _certify(runs, "b", "cert-b")
    deploy(runs, "a", env="prod", reason="march release")
    code, out, _ = invoke(repo, "deploy", "b", "--env", "prod", "--certificate", "cert-b",
                          "--reason", "april release")
    assert code == 0 and out.startswith("Deployed run:bank.b to prod as bank/prod (was run:bank.a)")
    deploy(runs, "a", env="staging", name="canary", reason="try")
    found = deployments(runs)
    assert [(d["name"], d["run"], d.get("previous"), d["order_index"]) for d in found] == [
        ("prod", "run:bank.a", None, 0), ("prod", "run:bank.b", "run:bank.a", 1),
        ("canary", "run:bank.a", None, 0)]
    assert found[1]["certificate"] == "cert-b" and found[1]["who"] == "Test User <test@example.com>"
    code, out, _ = invoke(repo, "deployments", "--project", "bank", "--json")
    assert code == 0 and [d["reason"] for d in json.loads(out)] == [
        "march release", "april release", "try"]
    assert deployments(runs, "other") == []
