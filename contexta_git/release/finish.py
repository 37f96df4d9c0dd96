"""Finish a certificate that an interrupted certify committed but never sealed.

certify writes two things: the commit that adds ``certificates/<id>/`` (the branch
moves) and then the tag ``contexta/cert/<id>``. A process killed between the two
leaves the certificate on the branch without its tag. Running the same certify again
finds the commit that added it and hands it back for sealing, but only when it is
exactly what this command would have issued on that commit: the same run, baseline,
client, model, policy, issuer and signing, and evidence that recomputes from the run
as recorded there. Anything else is refused, naming what differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import RunId, certificate_path
from contexta_git.errors import ContextaError
from contexta_git.release.certificate import CERT_FILE, EVIDENCE_KEYS, evidence
from contexta_git.release.gate import GateFailed, GateResult, evaluate
from contexta_git.release.policy import Policy
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class Request:
    """What one certify command asks for."""

    run: RunId
    baseline: RunId | None
    policy: Policy
    client: str
    model: str
    issuer: str
    sign: bool
    allow_fail: bool


class UnsealedMismatch(ContextaError):
    def __init__(self, cert_id: str, commit: str, what: str) -> None:
        self.cert_id, self.commit, self.what = cert_id, commit, what
        super().__init__(
            f"certificates/{cert_id}/ is on the runs branch without its tag (certify was "
            f"interrupted at commit {commit[:12]}), but it was issued with a different {what}: "
            f"repeat that command exactly to finish it, or choose another --id")


def unsealed(runs: Runs, cert_id: str, request: Request) -> tuple[str, dict[str, Any], GateResult]:
    """(commit, certificate, gate result) of the unsealed certificate ``cert_id``, checked
    against ``request``; raises when it is not what ``request`` would issue."""
    commit = _adding_commit(runs, f"{certificate_path(cert_id)}/{CERT_FILE}")
    parents = runs.store.parents(commit)
    if len(parents) != 1:
        raise UnsealedMismatch(cert_id, commit, "history (it was not added by one certify commit)")
    parent = parents[0]
    doc = records.loads(runs.view(commit).read(f"{certificate_path(cert_id)}/{CERT_FILE}"),
                        CERT_FILE)
    run = doc.get("run")
    stated: dict[str, Any] = run if isinstance(run, dict) else {}
    base_ref = request.baseline.ref if request.baseline else ""
    expected = {"run": (stated.get("ref"), request.run.ref),
                "baseline": (stated.get("baseline"), base_ref),
                "client": (doc.get("client"), request.client),
                "model": (doc.get("model"), request.model),
                "issuer": (doc.get("issuer"), request.issuer),
                "signing": (doc.get("signed"), request.sign),
                "policy": (doc.get("policy"), records.loads(records.dumps(request.policy.to_dict())))}
    for what, (found, wanted) in expected.items():
        if found != wanted:
            raise UnsealedMismatch(cert_id, commit, what)
    data = runs.get(request.run, at=parent)
    base = runs.get(request.baseline, at=parent) if request.baseline else None
    result = evaluate(request.policy, data, base, runs_commit=parent)
    fresh = evidence(data, result, parent)
    differs = [key for key in EVIDENCE_KEYS if doc.get(key) != fresh[key]]
    if differs:
        raise UnsealedMismatch(cert_id, commit, f"evidence ({', '.join(differs)})")
    if not result.passed and not request.allow_fail:
        raise GateFailed(result)
    return commit, doc, result


def _adding_commit(runs: Runs, path: str) -> str:
    """The commit that added ``path``: follow, from the tip, a parent that still has it."""
    store = runs.store
    commit = store.tip()
    assert commit is not None  # the caller saw the path on the tip
    while True:
        holder = next((p for p in store.parents(commit) if store.view(p).exists(path)), None)
        if holder is None:
            return commit
        commit = holder
