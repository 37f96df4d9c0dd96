"""Record a finished run in one commit, and wrap a training command as a run."""

from __future__ import annotations

import os
import shlex
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexta_git.record import inputs
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.core.names import RunId, check_key
from contexta_git.core.redact import redact_argv
from contexta_git.record.interrupts import Interrupts
from contexta_git.record.run import Run
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class DataFile:
    """A dataset named on the command line: ``NAME[@VERSION]=PATH``."""

    name: str
    path: str
    version: str | None = None

    @classmethod
    def parse(cls, text: str) -> DataFile:
        label, sep, path = text.partition("=")
        name, _, version = label.partition("@")
        if not sep or not path or not name:
            raise InvalidValue(f"dataset {text!r} must look like NAME=PATH or NAME@VERSION=PATH")
        return cls(check_key(name, "dataset"), path, version or None)


def record(runs: Runs, project: str, name: str, *, metrics: Mapping[str, float] | None = None,
           params: Mapping[str, Any] | None = None, events: Mapping[str, str] | None = None,
           stage: str | None = None, capture_environment: bool = True,
           datasets: Sequence[DataFile] = (), artifacts: Sequence[str] = (),
           tags: Mapping[str, Any] | None = None) -> RunId:
    """One completed run holding these values, written in a single commit. Dataset and
    artifact files are fingerprinted (sha256, git blob id) before anything is written."""
    run_id = RunId(project, name)
    # everything is checked as it is buffered; nothing is written before finish()
    run = Run(runs, run_id, params=params, tags=tags, capture_environment=capture_environment)
    if stage is not None:
        run.add_stage(stage)
    if metrics:
        run.log_metrics(metrics, stage=stage)
    for key, message in (events or {}).items():
        run.event(key, message)
    for data in datasets:
        run.dataset(data.name, version=data.version, path=data.path)
    for path in artifacts:
        run.artifact(path)
    run.finish("completed")
    return run_id


@dataclass(frozen=True)
class Wrapped:
    run: RunData
    exit_code: int  # the command's, as a shell reports it (128 + N when killed by signal N)
    seconds: float
    problem: str | None = None  # why the run failed although the command succeeded
    interrupted: str | None = None  # the signal (SIGINT, SIGTERM) contexta-git received

    @property
    def status(self) -> int:
        """The exit status for ``run``: the command's, or 128 + N when interrupted by N."""
        if self.interrupted is not None:
            return 128 + int(signal.Signals[self.interrupted])
        return self.exit_code


class CommandNotStarted(ContextaError):
    """The wrapped command could not be started; exits as a shell would (127 or 126)."""

    def __init__(self, command: str, exc: OSError) -> None:
        self.exit_code = 126 if isinstance(exc, PermissionError) else 127
        super().__init__(f"could not start {command}: {exc.strerror or exc}; "
                         "the run is recorded as failed")


def run_command(runs: Runs, project: str, name: str, command: Sequence[str], *,
                metrics_file: str | None = None, params: Mapping[str, Any] | None = None,
                stage: str | None = None, datasets: Sequence[DataFile] = (),
                artifacts: Sequence[str] = (), tags: Mapping[str, Any] | None = None,
                cwd: Path | None = None, python: Path | None = None,
                lockfile: bytes | None = None, system_metrics: float | None = None) -> Wrapped:
    """Run ``command`` as a recorded run: environment and source first, then its exit
    status, duration and the metrics file it wrote (with ``system_metrics``, the machine
    sampled every that many seconds while it runs). ``python`` (with its ``lockfile``)
    names another environment the command runs in: its ``bin`` folder goes first on
    ``PATH`` and it is the environment recorded. Whatever happens after the run
    started (an unreadable metrics file, SIGINT or SIGTERM, a bug of ours), it ends
    ``completed`` or ``failed`` with the command's exit status, never left ``running``."""
    if not command:
        raise InvalidValue("no command given: put it after --, e.g. contexta-git run ... -- python train.py")
    path = Path(metrics_file) if metrics_file else None
    before = path.stat().st_mtime_ns if path is not None and path.exists() else None
    run = Run(runs, RunId(project, name),
              params={"command": shlex.join(redact_argv(command)), **(params or {})}, tags=tags,
              capture_environment=python is None, system_metrics=system_metrics)
    if python is not None:
        run.use_environment(python, lockfile)
    if metrics_file or artifacts:  # what reproduce needs to read the same files again
        run.remember_wrapping(metrics_file, stage, list(artifacts))
    for data in datasets:  # the data the command will read, fingerprinted before it runs
        run.dataset(data.name, version=data.version, path=data.path)
    with Interrupts() as signals:
        run.start()
        code, seconds = _execute(run, command, signals, cwd, python)
        try:
            problem = _outcome(run, code, seconds, signals, path, before, stage, artifacts)
        except BaseException as exc:  # our own bug: the run still ends, with the status
            run.event("run.error", f"{type(exc).__name__}: {exc}"[:500], level="error")
            run.finish("failed")
            raise
        ok = code == 0 and problem is None and signals.caught is None
        run.finish("completed" if ok else "failed")
    return Wrapped(runs.get(run.id), code, seconds, problem, signals.name)


def _execute(run: Run, command: Sequence[str], signals: Interrupts, cwd: Path | None = None,
             python: Path | None = None) -> tuple[int, float]:
    """Run the command (unless a signal came first); its exit status and duration."""
    if signals.caught is not None:
        return signals.exit_code or 1, 0.0
    env = {**os.environ, "CONTEXTA_GIT_RUN": run.id.ref}
    if python is not None:
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    started = time.monotonic()
    try:
        child = signals.popen(list(command), env, cwd)
    except OSError as exc:
        run.event("run.failed", f"could not start {command[0]}: {exc.strerror or exc}", level="error")
        run.finish("failed")
        raise CommandNotStarted(command[0], exc) from exc
    returncode = child.wait()
    return (128 - returncode if returncode < 0 else returncode), time.monotonic() - started


def _outcome(run: Run, code: int, seconds: float, signals: Interrupts, path: Path | None,
             before: int | None, stage: str | None, artifacts: Sequence[str]) -> str | None:
    """Buffer the exit status first, then what the command wrote; returns the problem
    that fails the run although the command succeeded (an invalid metrics file)."""
    run.event("run.exit", f"exit status {code}", attributes={"exit_code": code, "seconds": seconds},
              level="info" if code == 0 else "error")
    if signals.caught is not None:
        run.event("run.interrupted", f"interrupted by {signals.name}", level="error",
                  attributes={"signal": signals.name})
    problem = None
    if path is not None:
        if path.exists() and path.stat().st_mtime_ns != before:
            try:
                run.log_metrics(inputs.metrics_from(inputs.read_mapping(path), str(path)), stage=stage)
            except ContextaError as exc:
                problem = str(exc)
                run.event("metrics.invalid", problem, level="error")
        else:
            run.event("metrics.missing", f"{path} was not written by the command",
                      level="warning")
    for artifact in artifacts:  # what the command produced
        if Path(artifact).exists():
            run.artifact(artifact)
        else:
            run.event("artifact.missing", f"{artifact} was not written by the command",
                      level="warning")
    return problem
