"""Record a deployment: which run went to which environment, who did it, when and why.

One commit appends an entry to ``projects/<p>/deployments/<name>.toml`` (store/ledgers.py;
the name defaults to the environment): the run, the environment, the run previously
deployed under that name, the certificate when one is named (it must verify, certify
that run and allow delivery), the artifacts' digests, who (git's identity), when and
why. A deployment is never overwritten: deploying again under the same name appends, so
"what ran in prod on 3 March" is read from the ledger, offline.
"""

from __future__ import annotations

from typing import Any

from contexta_git.core import records
from contexta_git.core.names import check_deployment
from contexta_git.core.time import now
from contexta_git.errors import InvalidValue
from contexta_git.git.repo import View
from contexta_git.release import moves
from contexta_git.store import ledgers
from contexta_git.store.ledgers import deployment_path
from contexta_git.store.runs import Runs

TABLE = ledgers.TABLES["deployments"]


def deploy(runs: Runs, run: str, *, env: str, reason: str, name: str | None = None,
           certificate: str | None = None, project: str | None = None) -> dict[str, Any]:
    """Record that ``run`` was deployed to ``env``; returns the entry as recorded (with
    ``project`` and ``commit`` added)."""
    environment = " ".join((env or "").split())
    if not environment or len(environment) > 128:
        raise InvalidValue("a deployment needs an environment (--env), one line of at most "
                           "128 characters")
    why = moves.reason_line(reason, "a deployment")
    run_id = runs.resolve(run, project)
    slot = check_deployment(name if name is not None else environment)
    run_id = moves.checked_run(runs, run_id, run_id.project)
    cert = moves.checked_certificate(runs, certificate, run_id) if certificate else None
    identity, _ = moves.who(runs.store)
    path = deployment_path(run_id.project, slot)
    entry_id = ledgers.new_id("deploy")
    state: dict[str, Any] = {}

    def build(view: View) -> dict[str, bytes | None]:
        history = ledgers.read(view, path)
        previous = ledgers.current(history)
        entry = records.clean({
            "id": entry_id, "name": slot, "env": environment,
            "run": run_id.ref, "previous": previous.get("run") if previous else None,
            "certificate": cert, "artifacts": moves.artifacts(runs, run_id, view.commit_id),
            "who": identity, "at": now(), "reason": why})
        state["entry"] = entry
        known = {e["id"] for e in history}
        return {path: records.append(view.read(path), TABLE, [entry], known)}

    commit = runs.store.commit(build, f"deploy {run_id.ref} to {environment} as {slot}: {why}",
                               {"Contexta-Run": run_id.ref, "Contexta-Deployment": slot})
    return {"project": run_id.project, **state["entry"], "commit": commit}
