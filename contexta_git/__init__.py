"""contexta-git: ML training runs recorded in your own git repository.

Heavy modules (pygit2, deepdiff, tomlkit) load only when a name that needs them is
first used, so ``import contexta_git`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "start_run": "record.run",
    "Run": "record.run",
    "Contexta": "compat.contexta",
    "RunId": "core.names",
    "RunData": "core.records",
    "ContextaError": "errors",
    "CorruptRun": "errors",
    "RunProblem": "core.schema",
}

__all__ = ["Contexta", "ContextaError", "CorruptRun", "Run", "RunData", "RunId", "RunProblem",
           "__version__", "start_run"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'contexta_git' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
