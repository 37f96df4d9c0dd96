"""What every framework adapter shares: one run per training, opened on rank 0 only.

An adapter turns its framework's hooks into calls on a :class:`Recorder`: ``open`` when
training starts (with the framework's own configuration as params), ``metrics`` for each
logged step, ``artifact`` for checkpoints and the final model, ``close`` with the status
training ended with. Names and values are made recordable here, so a framework's odd
key (``valid_0 l2``) or value (a tensor, an enum, NaN) never stops the training.

A run an adapter opened that is still open when the interpreter exits (the training
raised, or was interrupted before its end hook) is finished there: ``failed`` when an
uncaught exception is ending the process, else the adapter's own ``exit_status``.
"""

from __future__ import annotations

import atexit
import enum
import functools
import math
import numbers
import os
import re
import secrets
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from contexta_git.core.names import MAX_KEY
from contexta_git.errors import InvalidValue
from contexta_git.record.inputs import plain
from contexta_git.record.run import Run, start_run

_BAD_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.:/@-]")
_OPEN: set[Recorder] = set()
_hooked: list[Any] = []  # the excepthook found before ours, once ours is in place
_uncaught: list[BaseException] = []


def env_rank() -> int:
    """This process's rank as launchers (torchrun, accelerate, MPI wrappers) export it."""
    for name in ("RANK", "LOCAL_RANK"):
        value = os.environ.get(name, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return 0


@functools.lru_cache(maxsize=4096)  # a training logs the same few names at every step
def key(name: object) -> str:
    """A metric or param name the store accepts: odd characters become ``_``."""
    clean = _BAD_KEY_CHARS.sub("_", str(name).strip()) or "_"
    if not re.match(r"[A-Za-z0-9_]", clean):
        clean = "_" + clean
    return clean[:MAX_KEY]


def number(value: Any) -> float | int | None:
    """A metric value as a plain number (tensors and numpy scalars too), or None."""
    if type(value) is float:
        return value
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def flat_params(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A framework's configuration as params: nested tables become dotted keys, values
    TOML cannot hold (objects, None in lists, NaN) become their text, None is left out."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        where = f"{prefix}{key(name)}"
        if isinstance(value, Mapping):
            out.update(flat_params(value, f"{where}."))
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            out[where] = repr(value)
            continue
        try:
            out[where] = plain(value, "param", where)
        except (InvalidValue, RecursionError):
            out[where] = str(value)[:500]
    return out


def default_name(framework: str) -> str:
    return f"{framework}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


class Recorder:
    """One run of one training; every method is a no-op until ``open`` and after ``close``."""

    def __init__(self, framework: str, name: str | None, project: str,
                 repo: str | os.PathLike[str] | None, tags: Mapping[str, Any] | None,
                 params: Mapping[str, Any] | None, *, exit_status: str = "failed",
                 flush_interval: float = 5.0) -> None:
        self.framework, self.project, self.repo = framework, project, repo
        self.name = name
        self.tags = {"framework": framework, **(tags or {})}
        self.extra_params = dict(params or {})
        self.exit_status = exit_status
        self.flush_interval = flush_interval
        self.run: Run | None = None
        self.runs_opened = 0
        self._refused: set[str] = set()
        self._checkpoints: dict[Path, float] = {}

    @property
    def active(self) -> bool:
        return self.run is not None

    def open(self, params: Mapping[str, Any] | None = None, *, tags: Mapping[str, Any] | None = None,
             name: str | None = None) -> Run:
        """Start the run (once): the framework's params, then the ones the user gave. A
        second training with the same adapter is a run of its own, ``NAME-2``."""
        if self.run is not None:
            return self.run
        merged = {**flat_params(params or {}), **flat_params(self.extra_params)}
        run_name = name or self.name or default_name(self.framework)
        if self.runs_opened:
            run_name = f"{run_name}-{self.runs_opened + 1}"
        self.run = start_run(run_name, project=self.project, repo=self.repo, params=merged,
                             tags={**self.tags, **(tags or {})},
                             flush_interval=self.flush_interval).start()
        self.runs_opened += 1
        _watch(self)
        return self.run

    def metrics(self, values: Mapping[str, Any], step: int | None, prefix: str = "") -> None:
        """Numeric values as points at ``step`` (plain metrics without); others are skipped,
        and a NaN or infinite value is named once in a ``metric.skipped`` event."""
        if self.run is None:
            return
        for name, value in values.items():
            got = number(value)
            if got is None:
                continue
            metric = key(f"{prefix}{name}")
            if isinstance(got, float) and not math.isfinite(got):
                if metric not in self._refused:
                    self._refused.add(metric)
                    self.run.event("metric.skipped", f"{metric} was {got!r} at step {step}; NaN "
                                   "and infinite values are not recorded", level="warning")
                continue
            if step is None:
                self.run.log_metrics({metric: got})
            else:
                self.run.log_metric(metric, got, step=step)

    def artifact(self, path: str | os.PathLike[str] | None, kind: str, name: str | None = None) -> None:
        """Fingerprint a checkpoint or model file (or folder) that exists."""
        if self.run is None or not path or not Path(path).exists():
            return
        self.run.artifact(path, kind=kind, name=name)

    def checkpoints(self, folder: str | os.PathLike[str] | None) -> None:
        """Fingerprint the files in ``folder`` that are new or changed since the last look
        (for frameworks whose checkpoint writer the adapter cannot see)."""
        if self.run is None or folder is None or not Path(folder).is_dir():
            return
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            mtime = path.stat().st_mtime
            if self._checkpoints.get(path) != mtime:
                self._checkpoints[path] = mtime
                self.run.artifact(path, kind="checkpoint")

    def event(self, key_: str, message: str, **attributes: Any) -> None:
        if self.run is not None:
            self.run.event(key_, message, attributes=flat_params(attributes))

    def close(self, status: str) -> None:
        run, self.run = self.run, None
        _OPEN.discard(self)
        if run is not None:
            run.finish(status)

    def close_at_exit(self) -> None:
        status = "failed" if _uncaught else self.exit_status
        if self.run is not None:
            reason = "an uncaught exception" if _uncaught else "interpreter exit"
            self.run.event("run.unfinished", f"training did not report its end; the run was "
                           f"ended at {reason}", level="error" if status == "failed" else "warning")
        self.close(status)


def _watch(recorder: Recorder) -> None:
    if not _hooked:
        _hooked.append(sys.excepthook)
        sys.excepthook = _excepthook
        atexit.register(finish_open_runs)
    _OPEN.add(recorder)


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    _uncaught.append(exc)
    _hooked[0](kind, exc, tb)


def finish_open_runs() -> None:
    """End every run an adapter left open (registered with ``atexit``)."""
    for recorder in list(_OPEN):
        try:
            recorder.close_at_exit()
        except Exception as exc:  # exiting: one run's problem must not hide the others'
            warnings.warn(f"contexta-git could not finish the {recorder.framework} run "
                          f"{recorder.name or ''}: {exc}", RuntimeWarning, stacklevel=1)
