"""A first policy file, written from what a run recorded: ``contexta-git policy init``.

One ``[metrics.<name>]`` table per metric with a finite value, holding one bound set
to the value recorded now: ``min`` for names where higher is better, ``max`` for
loss-, error- and cost-like names. So the run it came from passes the gate with the
file as written, and a person then tightens or loosens each bound. Comments say what
was recorded and which other keys a table takes. Written with tomlkit, the TOML
library for files that people edit; the result reads back with ``policy.load_policy``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from contexta_git.core.records import RunData
from contexta_git.errors import InvalidValue

#: name parts that mark a metric where lower is better
LOWER_IS_BETTER = frozenset({
    "loss", "error", "errors", "err", "mse", "rmse", "mae", "mape", "smape", "msle", "rmsle", "nll",
    "logloss", "perplexity", "ppl", "wer", "cer", "ter", "fpr", "fnr", "far", "frr", "eer",
    "brier", "latency", "duration", "time", "seconds", "ms", "cost", "regret", "distance",
    "divergence", "kl", "drift", "size", "memory", "bytes",
})
_PARTS = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])")

HEADER = """\
Quality policy scaffolded from {ref} by `contexta-git policy init`.
Each bound is the value {ref} recorded, so that run passes as the file stands:
tighten or loosen them, then check a run with
    contexta-git gate RUN --policy {output}

One [metrics.<name>] table per metric; each key below is one check:
  min = 0.9               the value must be >= 0.9 (higher is better)
  max = 0.3               the value must be <= 0.3 (lower is better)
  range = [0.0, 0.3]      min and max at once (instead of them)
  stage = "evaluate"      the latest value of that stage (no stage: of any stage)
  severity = "warn"       report the check but do not fail the gate (default "fail")
Change checks compare the value with a baseline run's (baseline below, or --baseline):
  min_abs_change = 0.0    value - baseline >= 0.0
  min_rel_change = 0.01   (value - baseline) / |baseline| >= 0.01, i.e. 1 % better
  max_drop = 0.02         baseline - value <= 0.02
A missing metric or a NaN fails whatever the severity."""


def lower_is_better(metric: str) -> bool:
    """Whether ``metric`` reads as a loss, error, cost or size (a max bound fits it)."""
    parts = [p for p in _PARTS.split(metric.lower()) if p]
    return any(p in LOWER_IS_BETTER or p.endswith(("loss", "error")) for p in parts)


def scaffold(run: RunData, output: str = "quality.toml") -> str:
    """The policy file's text for ``run`` (``output`` is named in its comments).
    InvalidValue when the run has no finite metric value to bound."""
    import tomlkit

    latest = run.latest_metrics()
    if not any(_finite(v) for v in latest.values()):
        raise InvalidValue(f"{run.ref} has no finite metric value to scaffold a policy from")
    doc = tomlkit.document()
    for line in HEADER.format(ref=run.ref, output=output).splitlines():
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc.add(tomlkit.comment(f'baseline = "run:{run.project}.<name>"   # the run change checks compare with'))
    metrics = tomlkit.table(is_super_table=True)
    skipped: list[str] = []
    for key, value in latest.items():
        if _finite(value):
            metrics.add(key, _check_table(key, value, _stages(run, key)))
        else:
            skipped.append(f"{key} = {value}")
    doc.add("metrics", metrics)
    if skipped:
        doc.add(tomlkit.nl())
        doc.add(tomlkit.comment("Not bounded: the recorded value is not a finite number"))
        for line in skipped:
            doc.add(tomlkit.comment(f"  {line}"))
    return tomlkit.dumps(doc)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _stages(run: RunData, key: str) -> list[str | None]:
    return list(dict.fromkeys(m.stage for m in run.metrics if m.key == key))


def _check_table(key: str, value: float, stages: list[str | None]) -> Any:
    import tomlkit

    bound = "max" if lower_is_better(key) else "min"
    direction = "lower" if bound == "max" else "higher"
    named = [s for s in stages if s is not None]
    where = (f"stage {named[0]}" if stages == named and len(named) == 1 else
             f"stages {', '.join(s or '(none)' for s in stages)}" if named else "no stage")
    table = tomlkit.table()
    table.add(tomlkit.comment(f"recorded {value!r} ({where}); {direction} looks better, "
                              f"so a {bound} bound"))
    table.add(bound, value)
    if stages == named and len(named) == 1:
        table.add("stage", named[0])
    elif named:
        table.add(tomlkit.comment(f'stage = "{named[-1]}"   # one stage only; '
                                  "without it, the latest value of any stage"))
    return table
