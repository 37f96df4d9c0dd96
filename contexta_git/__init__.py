"""contexta-git: ML training runs recorded in your own git repository.

Heavy modules (pygit2, deepdiff, tomlkit) load only when a name that needs them is
first used, so ``import contexta_git`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # recording
    "start_run": "record.run", "Run": "record.run", "record": "record.oneshot",
    # the repository and its runs
    "Runs": "store.runs", "RunId": "core.names", "RunData": "core.records",
    # reading and comparing
    "list_runs": "analysis.listing", "compare_runs": "analysis.compare",
    "compare_environments": "analysis.environments", "audit_reproducibility": "analysis.audit",
    "select_best_run": "analysis.select", "annotate": "analysis.annotate",
    "quarantine": "analysis.quarantine",
    # gate and certificates
    "load_policy": "release.policy", "gate": "release.gate", "certify": "release.certify",
    "verify": "release.verify", "verify_artifact": "release.verify", "card": "release.card",
    # deployments and aliases
    "deploy": "release.deploy", "set_alias": "release.alias", "protect_alias": "release.alias",
    "resolve_alias": "analysis.aliases", "alias_history": "analysis.aliases",
    "deployments": "analysis.aliases", "verify_alias": "release.verify_alias",
    # sharing
    "push": "share.sync", "pull": "share.sync",
    # the seeds' API and errors
    "Contexta": "compat.contexta", "ContextaError": "errors", "CorruptRun": "errors",
    "RunProblem": "core.schema",
}

__all__ = [
    "Contexta", "ContextaError", "CorruptRun", "Run", "RunData", "RunId", "RunProblem", "Runs",
    "alias_history", "annotate",
    "audit_reproducibility", "card", "certify", "compare_environments", "compare_runs",
    "deploy", "deployments", "gate",
    "list_runs", "load_policy", "protect_alias", "pull", "push", "quarantine", "record",
    "resolve_alias", "select_best_run", "set_alias",
    "start_run", "verify", "verify_alias", "verify_artifact", "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'contexta_git' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
