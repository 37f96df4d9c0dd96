"""Framework adapters: one line in a training script records it as a contexta-git run.

Each module imports its framework, so import the one you use:
``contexta_git.integrations.huggingface`` (``ContextaCallback``), ``.lightning``
(``ContextaLogger``), ``.keras``, ``.xgboost`` and ``.lightgbm`` (``ContextaCallback``),
``.sklearn`` (``autolog()``). All of them are thin: ``base.Recorder`` over ``start_run``.
"""

from __future__ import annotations

__all__: list[str] = []
