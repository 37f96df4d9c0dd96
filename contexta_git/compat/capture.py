"""Upstream Contexta's capture API: ``with ctx.run(name) as run:`` and its stages,
metrics, events, artifacts and deployments.

Upstream appends these to a local JSON-lines cache its queries never read; here they
go through the same recorder as ``start_run`` (record/run.py), so what a script captures
is on the runs branch and every query, compare and gate sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from contexta_git import contract
from contexta_git.compat.stores import DeploymentStore
from contexta_git.core.names import RunId
from contexta_git.core.time import now
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.record.run import Run as Recorder
from contexta_git.store.runs import Runs


def kebab(name: str) -> str:
    """Upstream's run id from a name: lower case, runs of other characters become ``-``."""
    found = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    if not found:
        raise InvalidValue(f"run name {name!r} has no letters or digits")
    return found


class RunScope:
    """One captured run (upstream's RunScope). Use it as a context manager: the run is
    recorded as it starts, and closes ``completed``, or ``failed`` on an exception."""

    def __init__(self, session: Session, recorder: Recorder) -> None:
        self.session, self.recorder = session, recorder
        self.stage_name: str | None = None

    @property
    def ref(self) -> str:
        return self.recorder.id.ref

    run_ref = ref

    def __enter__(self) -> RunScope:
        self.recorder.start()
        self.session.current = self
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.recorder.__exit__(kind, exc, tb)
        finally:
            self.session.current = None

    def close(self, status: str = "completed") -> None:
        self.recorder.finish(status)
        self.session.current = None

    @contextmanager
    def stage(self, name: str) -> Iterator[RunScope]:
        """Records inside the block belong to stage ``name``; it closes completed, or
        failed on an exception."""
        outer, self.stage_name = self.stage_name, name
        try:
            with self.recorder.stage(name):
                yield self
        finally:
            self.stage_name = outer

    def metric(self, key: str, value: Any, *, unit: str | None = None,
               aggregation_scope: str = "step", step: int | None = None,
               tags: Mapping[str, str] | None = None, summary_basis: str | None = None) -> None:
        """One value (in the open stage, if any); ``step`` makes it a point of a series."""
        self.recorder.log_metric(key, value, step=step)

    def event(self, key: str, *, message: str = "", level: str = "info",
              attributes: Mapping[str, Any] | None = None,
              tags: Mapping[str, str] | None = None) -> None:
        self.recorder.event(key, message, level=level, attributes=attributes)

    def register_artifact(self, artifact_kind: str, path: str | os.PathLike[str], *,
                          artifact_ref: str | None = None,
                          attributes: Mapping[str, Any] | None = None,
                          compute_hash: bool = True, allow_missing: bool = False) -> dict[str, Any]:
        """The file at ``path``, fingerprinted (sha256, size); a missing file is an error."""
        if not Path(path).exists():
            raise InvalidValue(f"artifact {str(path)!r} does not exist")
        name = artifact_ref.rpartition(".")[2] if artifact_ref else None
        return self.recorder.artifact(path, name=name, kind=artifact_kind)

    def flush(self) -> None:
        self.recorder.flush()


class DeploymentScope:
    """One deployment being made: recorded in the deployment ledger as the block ends,
    ``completed``, or ``failed`` on an exception."""

    def __init__(self, store: DeploymentStore, project: str, name: str, run_ref: str | None,
                 artifact_ref: str | None, environment_snapshot_ref: str | None) -> None:
        self.store, self.project, self.name = store, project, name
        self.run_ref, self.artifact_ref = run_ref, artifact_ref
        self.environment_snapshot_ref = environment_snapshot_ref
        self.started_at = now()
        self.ref = f"deployment:{project}.{name}"

    def __enter__(self) -> DeploymentScope:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close("failed" if exc is not None else "completed")

    def close(self, status: str = "completed") -> None:
        self.store.put_deployment_execution(contract.DeploymentExecution(
            deployment_execution_ref=self.ref, project_ref=f"project:{self.project}",
            deployment_name=self.name, status=status, started_at=self.started_at,
            ended_at=now(), run_ref=self.run_ref, artifact_ref=self.artifact_ref,
            environment_snapshot_ref=self.environment_snapshot_ref))


class Session:
    """What ``Contexta.run``, ``metric``, ``event`` and ``deployment`` share: the open run."""

    def __init__(self, runs: Runs, project: str, deployments: DeploymentStore) -> None:
        self.runs, self.project, self.deployments = runs, project, deployments
        self.current: RunScope | None = None

    def start_run(self, name: str, *, run_id: str | None = None,
                  tags: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
                  code_revision: str | None = None,
                  config_snapshot: Mapping[str, Any] | None = None,
                  dataset_ref: str | None = None) -> RunScope:
        """A new run named ``kebab(run_id or name)``. ``config_snapshot`` becomes its params
        (with ``metadata`` under ``metadata``); ``tags`` and ``code_revision`` its tags;
        ``dataset_ref`` a dataset entry. The environment is captured as ``start_run`` does."""
        params = dict(config_snapshot or {})
        if metadata:
            params["metadata"] = dict(metadata)
        labels = dict(tags or {})
        if code_revision:
            labels["code_revision"] = code_revision
        recorder = Recorder(self.runs, RunId(self.project, kebab(run_id or name)),
                            params=params, tags=labels)
        if dataset_ref:
            recorder.dataset(dataset_ref.rpartition(":")[2] or dataset_ref, version=None)
        return RunScope(self, recorder)

    def open_run(self) -> RunScope:
        if self.current is None:
            raise ContextaError("no run is open: use `with ctx.run(name) as run:` first")
        return self.current

    def deployment(self, name: str, *, run_ref: str | None = None,
                   artifact_ref: str | None = None,
                   environment_snapshot_ref: str | None = None) -> DeploymentScope:
        run = run_ref or (self.current.ref if self.current else None)
        return DeploymentScope(self.deployments, self.project, kebab(name), run, artifact_ref,
                               environment_snapshot_ref)
