"""The recording API: ``with start_run("name", project="p") as run: ...``.

A run is committed when it starts (status ``running``, environment, source), then
its buffered records at every stage end, ``flush()``, at most every
``flush_interval`` seconds while logging, and at the end, when the status becomes
``completed`` or ``failed``. A crash loses at most the unflushed tail; the run
stays ``running`` and is never half-written. Values logged with ``step=`` are points of
step series: each commit writes them as one new chunk file and updates the series'
summaries (store/series.py), never rewriting what earlier commits wrote.

With ``system_metrics=SECONDS`` a background thread samples the machine (record/system.py)
into series under ``system/`` from start to finish; a lock keeps its points and the
caller's records from crossing a commit.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from contexta_git.record import capture, kept
from contexta_git.core import records
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.record.fingerprint import fingerprint
from contexta_git.record.inputs import plain_table, text, whole
from contexta_git.record.system import Sampler
from contexta_git.core.chunks import Block
from contexta_git.core.names import RunId, check_key, check_stage
from contexta_git.core.redact import redact, redact_value
from contexta_git.store.runs import RunChange, Runs, now


P = ParamSpec("P")
R = TypeVar("R")


def new_id() -> str:
    return secrets.token_hex(8)


def _locked(method: Callable[Concatenate[Run, P], R]) -> Callable[Concatenate[Run, P], R]:
    """The method runs holding the run's lock (the system metrics thread writes too)."""
    @functools.wraps(method)
    def locked(self: Run, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


def start_run(name: str, project: str = "default", repo: str | os.PathLike[str] | None = None,
              *, params: Mapping[str, Any] | None = None, tags: Mapping[str, Any] | None = None,
              capture_environment: bool = True, flush_interval: float = 5.0,
              system_metrics: float | None = None) -> Run:
    """A new run, to be used as a context manager (or call ``start()``/``finish()``);
    ``system_metrics``: sample the machine every that many seconds while it runs."""
    return Run(Runs.open(repo), RunId(project, name), params=params, tags=tags,
               capture_environment=capture_environment, flush_interval=flush_interval,
               system_metrics=system_metrics)


class Run:
    def __init__(self, runs: Runs, run: RunId, *, params: Mapping[str, Any] | None = None,
                 tags: Mapping[str, Any] | None = None, capture_environment: bool = True,
                 flush_interval: float = 5.0, system_metrics: float | None = None) -> None:
        self.runs, self.id = runs, run
        self.flush_interval = flush_interval
        self._lock = threading.RLock()
        self._sampler = Sampler(_seconds(system_metrics), self._system) if system_metrics else None
        self._stage: str | None = None
        self._stage_order = 0
        self._started = False
        self._finished = False
        self._pending = RunChange(run, create=True, fresh_ids=True)
        source, change = runs.store.source_and_change()
        patch, files = kept.uncommitted(change) if source.dirty else ({}, {})
        self._pending.files.update(files)
        self._pending.files.update(kept.project_locks(runs.store.workdir))
        self.source_commit = source.commit
        self._pending.header.update({
            "status": "running", "started_at": now(),
            "params": redact(plain_table(params or {}, "param")),
            "tags": redact(plain_table(tags or {}, "tag")),
            "source": {"commit": source.commit, "branch": source.branch, "dirty": source.dirty,
                       "diff_sha256": source.diff_sha256, "remote": source.remote, **patch},
            "recorded_by": f"contexta-git {capture.tool_version()}",
        })
        if capture_environment:
            self._pending.environment = capture.environment_record()
            self._pending.lockfile = capture.lockfile(runs.store.common_dir / "contexta")
        self._last_flush = time.monotonic()

    def remember_wrapping(self, metrics_file: str | None, stage: str | None,
                          artifacts: list[str]) -> None:
        """run.toml's ``[wrapped]``: the metrics file and artifacts a wrapped command
        writes (reproduce reads them again)."""
        self._pending.header["wrapped"] = {"metrics_file": metrics_file, "stage": stage,
                                           "artifacts": artifacts}

    def use_environment(self, python: Path, lockfile: bytes | None) -> None:
        """Record another environment's packages and lockfile (the command runs there)."""
        from importlib import metadata

        from contexta_git.record.venv import site_of

        found = {capture.canonical(d.metadata["Name"] or ""): d.version
                 for d in metadata.distributions(path=[site_of(python)])}
        env = capture.environment(dict(sorted(found.items())))
        env["python"]["executable"] = str(python)
        self._pending.environment = records.dumps(env)
        self._pending.lockfile = lockfile

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> Run:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None and not isinstance(exc, ContextaError):
            self.event("run.failed", f"{kind.__name__ if kind else 'Error'}: {exc}"[:500],
                       level="error")
        self.finish("failed" if exc is not None else "completed")

    def start(self) -> Run:
        with self._lock:
            if self._started:
                return self
            self._started = True
            self._commit(f"record {self.id.ref}")
        if self._sampler is not None:
            self._sampler.start()
        return self

    def finish(self, status: str = "completed") -> None:
        """End the run; a run never started is recorded whole in this one commit."""
        if self._sampler is not None:
            self._sampler.stop()  # outside the lock: its last sample takes the lock
        with self._lock:
            self._finish(status)

    def _finish(self, status: str) -> None:
        if self._finished:
            return
        self._pending.header.update({"status": text(status, "status"), "ended_at": now()})
        if self._started:
            self._commit(f"finish {self.id.ref} ({status})")
        else:
            self._commit(f"record {self.id.ref} ({status})")
            self._started = True
        self._finished = True  # only now: a finish that failed can be tried again

    @_locked
    def flush(self) -> None:
        """Commit what is buffered now."""
        if self._started and not self._pending.is_empty():
            self._commit(f"update {self.id.ref}")

    @_locked
    def _commit(self, message: str) -> None:
        change = self._pending
        self._pending = RunChange(self.id, create=False, fresh_ids=True)
        trailers = {"Contexta-Run": self.id.ref}
        if self.source_commit:
            trailers["Contexta-Source-Commit"] = self.source_commit
        try:
            self.runs.apply([change], _describe(message, change), trailers)
        except BaseException:
            self._pending = change  # keep the records: a later flush may still write them
            raise
        self._last_flush = time.monotonic()

    def _buffered(self) -> None:
        if self._started and time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    # -- records ---------------------------------------------------------------------
    @_locked
    def log_metric(self, key: str, value: float, *, stage: str | None = None,
                   step: int | None = None) -> None:
        """One value; with ``step``, a point of the step series ``key`` (in ``stage``)."""
        if step is None:
            self.log_metrics({key: value}, stage=stage)
            return
        where = (key, self._stage if stage is None else check_stage(stage))
        number, step = records.check_number(key, value), _step(step)
        block = self._pending.series.get(where)
        if block is None:
            block = self._pending.series[where] = Block(check_key(key), where[1])
        block.steps.append(step)
        block.values.append(number)
        block.times.append(time.time_ns() // 1_000_000)
        self._buffered()

    @_locked
    def log_metrics(self, values: Mapping[str, float], *, stage: str | None = None,
                    step: int | None = None) -> None:
        """Several values at once; with ``step``, one point of each of their series.
        Values without a step go to ``metrics.toml``; stepped points to chunk files
        (core/chunks.py), summarised in ``series.toml``."""
        stage = check_stage(stage) if stage is not None else self._stage
        if not isinstance(values, Mapping):
            raise InvalidValue(f"metrics must be a table (a dict), got {type(values).__name__}")
        checked = {check_key(k): records.check_number(k, v) for k, v in values.items()}
        if step is not None:
            step = _step(step)
            for key, value in checked.items():
                self.log_metric(key, value, stage=stage, step=step)
            return
        stamp = now()
        for key, value in checked.items():
            self._pending.add("metrics.toml", {"id": new_id(), "key": key, "value": value,
                                               "stage": stage, "observed_at": stamp})
        self._buffered()

    @_locked
    def log_params(self, params: Mapping[str, Any]) -> None:
        checked = plain_table(params, "param")
        for key in checked:
            check_key(key, "param")
        clean = redact(records.clean(checked))
        self._pending.header.setdefault("params", {}).update(clean)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    @_locked
    def event(self, key: str, message: str = "", *, level: str = "info",
              attributes: Mapping[str, Any] | None = None) -> None:
        check_key(key, "event")
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise InvalidValue(f"event level must be debug, info, warning, error or critical: {level!r}")
        message = text(message, "event message")
        attrs = plain_table(attributes or {}, "event attribute")
        self._pending.add("events.toml", {
            "id": new_id(), "key": key, "level": level, "message": redact_value(message),
            "attributes": redact(records.clean(attrs)),
            "stage": self._stage, "observed_at": now()})
        self._buffered()

    @_locked
    def dataset(self, name: str, *, version: str | None = None,
                path: str | os.PathLike[str] | None = None, source: str | None = None,
                split: str | None = None, rows: int | None = None) -> dict[str, Any]:
        check_key(name, "dataset")
        version, source, split = (text(v, f"dataset {k}") if v is not None else None
                                  for k, v in (("version", version), ("source", source),
                                               ("split", split)))
        entry: dict[str, Any] = {"id": new_id(), "name": name, "version": version,
                                 "source": redact_value(source) if source else None,
                                 "split": split,
                                 "rows": whole(rows, "dataset rows") if rows is not None else None}
        if path is not None:
            entry.update(fingerprint(Path(path)))
        self._pending.add("datasets.toml", entry)
        self._buffered()
        return records.clean(entry)

    @_locked
    def artifact(self, path: str | os.PathLike[str], *, name: str | None = None,
                 kind: str | None = None) -> dict[str, Any]:
        target = Path(path)
        name, kind = (text(v, f"artifact {k}") if v is not None else None
                      for k, v in (("name", name), ("kind", kind)))
        entry = {"id": new_id(), "name": name or target.name, "kind": kind,
                 **fingerprint(target)}
        self._pending.add("artifacts.toml", entry)
        self._buffered()
        return records.clean(entry)

    @_locked
    def add_stage(self, name: str, status: str = "completed") -> None:
        """Declare a stage without timing it (records name it with ``stage=``)."""
        self._pending.stages.append({"name": check_stage(name), "status": text(status, "status"),
                                     "order": self._stage_order})
        self._stage_order += 1

    @contextmanager
    def stage(self, name: str) -> Iterator[Run]:
        """Records under this block belong to stage ``name``; the stage commits at its end."""
        check_stage(name)
        outer, self._stage = self._stage, name
        entry = {"name": name, "status": "running", "started_at": now(),
                 "order": self._stage_order}
        self._stage_order += 1
        with self._lock:
            self._pending.stages.append(entry)
        status = "failed"
        try:
            yield self
            status = "completed"
        finally:
            self._stage = outer
            with self._lock:
                self._pending.stages.append({**entry, "status": status, "ended_at": now()})
            if self._started:
                self.flush()

    @_locked
    def _system(self, values: Mapping[str, float], step: int) -> None:
        """One sample of the system series (no stage: they span the whole run)."""
        stamp = time.time_ns() // 1_000_000
        for key, value in values.items():
            block = self._pending.series.get((key, None))
            if block is None:
                block = self._pending.series[(key, None)] = Block(key, None)
            block.steps.append(step)
            block.values.append(records.check_number(key, value))
            block.times.append(stamp)
        self._buffered()


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.1 <= value <= 86400:
        raise InvalidValue(f"system_metrics must be a number of seconds from 0.1 to 86400, got {value!r}")
    return float(value)


def _step(step: object) -> int:
    number = whole(step, "step")
    if abs(number) >= 2**63:
        raise InvalidValue(f"step is out of range: {number!r}")
    return number


def _describe(message: str, change: RunChange) -> str:
    counts = [f"{len(v)} {k.removesuffix('.toml')}" for k, v in change.appends.items() if v]
    if points := sum(len(block.values) for block in change.series.values()):
        counts.append(f"{points} series points")
    return f"{message}: {', '.join(counts)}" if counts else message
