"""Record a finished run in one commit, and wrap a training command as a run."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import inputs, records
from .errors import ContextaError, InvalidValue
from .names import RunId, check_key, check_stage
from .recording import Run
from .records import RunData
from .store import Runs


def record(runs: Runs, project: str, name: str, *, metrics: Mapping[str, float] | None = None,
           params: Mapping[str, Any] | None = None, events: Mapping[str, str] | None = None,
           stage: str | None = None, capture_environment: bool = True) -> RunId:
    """One completed run holding these values, written in a single commit."""
    run_id = RunId(project, name)
    if stage is not None:
        check_stage(stage)
    for key in events or {}:
        check_key(key, "event")
    metrics = {check_key(k): records.check_number(k, v) for k, v in (metrics or {}).items()}
    run = Run(runs, run_id, params=params, capture_environment=capture_environment)
    if stage is not None:
        run.add_stage(stage)
    if metrics:
        run.log_metrics(metrics, stage=stage)
    for key, message in (events or {}).items():
        run.event(key, message)
    run.finish("completed")
    return run_id


@dataclass(frozen=True)
class Wrapped:
    run: RunData
    exit_code: int
    seconds: float


def run_command(runs: Runs, project: str, name: str, command: Sequence[str], *,
                metrics_file: str | None = None, params: Mapping[str, Any] | None = None,
                stage: str | None = None) -> Wrapped:
    """Run ``command`` as a recorded run: environment and source first, then its exit
    status, duration and the metrics file it wrote."""
    if not command:
        raise InvalidValue("no command given: put it after --, e.g. contexta-git run ... -- python train.py")
    if metrics_file and Path(metrics_file).exists():
        before = Path(metrics_file).stat().st_mtime_ns
    else:
        before = None
    run = Run(runs, RunId(project, name), params=params).start()
    env = {**os.environ, "CONTEXTA_GIT_RUN": run.id.ref}
    started = time.monotonic()
    try:
        code = subprocess.run(list(command), env=env).returncode
    except OSError as exc:
        run.event("run.failed", f"could not start {command[0]}: {exc.strerror or exc}", level="error")
        run.finish("failed")
        raise ContextaError(f"could not start {command[0]}: {exc.strerror or exc}") from exc
    seconds = time.monotonic() - started
    if "command" not in (params or {}):
        run.log_params({"command": " ".join(command)})
    run.event("run.exit", f"exit status {code}", attributes={"exit_code": code, "seconds": seconds},
              level="info" if code == 0 else "error")
    if metrics_file:
        path = Path(metrics_file)
        if path.exists() and path.stat().st_mtime_ns != before:
            run.log_metrics(inputs.metrics_from(inputs.read_mapping(path), str(path)), stage=stage)
        else:
            run.event("metrics.missing", f"{metrics_file} was not written by the command",
                      level="warning")
    run.finish("completed" if code == 0 else "failed")
    return Wrapped(runs.get(run.id), code, seconds)
