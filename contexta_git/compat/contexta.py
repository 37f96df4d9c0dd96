"""Upstream Contexta's facade under ``contexta_git``: ``Contexta``.

Writes go through ``metadata_store`` and ``record_store`` (compat/stores.py: one commit
each); every read is a function of the runs branch, offline. Methods keep upstream's
names and result fields; differences are listed in the README ("Upstream Contexta API").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from contexta_git.compat import interpret as ip
from contexta_git.compat.capture import DeploymentScope, RunScope, Session
from contexta_git.compat.snapshot import (
    BatchRecord, DeploymentRecord, ProvenanceView, SampleRecord,
)
from contexta_git.compat.stores import MetadataStore, RecordStore
from contexta_git.config import UnifiedConfig, WorkspaceConfig
from contexta_git.core.names import check_project
from contexta_git.errors import InvalidValue
from contexta_git.git.repo import GitStore
from contexta_git.store.runs import Runs

if TYPE_CHECKING:
    from contexta_git.analysis.annotate import Annotated
    from contexta_git.analysis.audit import ReproducibilityAudit
    from contexta_git.analysis.compare import RunComparison
    from contexta_git.analysis.environments import EnvironmentComparison
    from contexta_git.analysis.listing import RunSummary
    from contexta_git.analysis.report import SnapshotReport
    from contexta_git.compat.snapshot import RunSnapshot


class Contexta:
    """One project's runs in one git repository (upstream's entry point).

    ``Contexta(config=UnifiedConfig(...))``, ``Contexta(workspace=PATH, project_name=P)``
    or ``Contexta.open(...)``; a config given as a mapping may hold ``project_name`` and
    ``workspace`` (a path, or ``{"root_path": PATH}``)."""

    def __init__(self, config: UnifiedConfig | Mapping[str, Any] | None = None, *,
                 workspace: str | os.PathLike[str] | None = None,
                 project_name: str | None = None, profile: str | None = None,
                 sinks: Sequence[Any] | None = None) -> None:
        self.config = _config(config, workspace, project_name)
        self.profile = profile
        self.sinks = tuple(sinks or ())
        self.project = check_project(self.config.project_name)
        self.runs = Runs(GitStore.init(self.config.workspace.root_path))
        self.metadata_store = MetadataStore(self.runs)
        self.record_store = RecordStore(self.runs)
        self.session = Session(self.runs, self.project, self.metadata_store.deployments)

    @classmethod
    def open(cls, config: UnifiedConfig | Mapping[str, Any] | None = None, **options: Any) -> Contexta:
        return cls(config, **options)

    @property
    def workspace(self) -> Path:
        return Path(self.config.workspace.root_path)

    @property
    def project_name(self) -> str:
        return self.project

    def close(self) -> None:
        self.metadata_store.close()

    def __enter__(self) -> Contexta:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- capture (compat/capture.py): through the same recorder as start_run ---------------
    def run(self, name: str, *, run_id: str | None = None, tags: Mapping[str, Any] | None = None,
            metadata: Mapping[str, Any] | None = None, code_revision: str | None = None,
            config_snapshot: Mapping[str, Any] | None = None,
            dataset_ref: str | None = None) -> RunScope:
        return self.session.start_run(name, run_id=run_id, tags=tags, metadata=metadata,
                                      code_revision=code_revision,
                                      config_snapshot=config_snapshot, dataset_ref=dataset_ref)

    def current_run(self) -> RunScope | None:
        return self.session.current

    def current_stage(self) -> str | None:
        return self.session.current.stage_name if self.session.current else None

    def metric(self, key: str, value: Any, *, unit: str | None = None,
               aggregation_scope: str = "step", step: int | None = None,
               tags: Mapping[str, str] | None = None, summary_basis: str | None = None) -> None:
        """A metric of the open run (and stage); ContextaError when no run is open."""
        self.session.open_run().metric(key, value, unit=unit, step=step,
                                       aggregation_scope=aggregation_scope)

    def event(self, key: str, *, message: str = "", level: str = "info",
              attributes: Mapping[str, Any] | None = None,
              tags: Mapping[str, str] | None = None) -> None:
        self.session.open_run().event(key, message=message, level=level, attributes=attributes)

    def register_artifact(self, artifact_kind: str, path: str | os.PathLike[str], *,
                          artifact_ref: str | None = None,
                          attributes: Mapping[str, Any] | None = None,
                          compute_hash: bool = True, allow_missing: bool = False) -> dict[str, Any]:
        return self.session.open_run().register_artifact(
            artifact_kind, path, artifact_ref=artifact_ref, attributes=attributes)

    def deployment(self, name: str, *, deployment_ref: str | None = None,
                   run_ref: str | None = None, artifact_ref: str | None = None,
                   environment_snapshot_ref: str | None = None,
                   metadata: Mapping[str, Any] | None = None) -> DeploymentScope:
        """A deployment of ``run_ref`` (default: the open run), recorded as its block ends."""
        return self.session.deployment(name, run_ref=run_ref, artifact_ref=artifact_ref,
                                       environment_snapshot_ref=environment_snapshot_ref)

    # -- listings ---------------------------------------------------------------------------
    def list_projects(self) -> tuple[str, ...]:
        return tuple(self.runs.projects())

    def list_deployments(self, project_name: str | None = None,
                         run_id: str | None = None) -> tuple[DeploymentRecord, ...]:
        """Every deployment (of ``project_name``, default this project), oldest first;
        ``run_id`` keeps those of one run. Every deployment under one name is listed."""
        from contexta_git.analysis.aliases import deployments

        run = self.runs.resolve(run_id, self.project).ref if run_id else None
        return tuple(DeploymentRecord.of(e) for e in deployments(self.runs, project_name or self.project)
                     if run is None or e.get("run") == run)

    def list_batches(self, run_id: str, stage_id: str | None = None) -> tuple[BatchRecord, ...]:
        snap = self.get_run_snapshot(run_id)
        return tuple(b for b in snap.batches if stage_id is None or _stage_matches(b.stage_id, stage_id))

    def list_samples(self, run_id: str, stage_id: str | None = None,
                     batch_id: str | None = None) -> tuple[SampleRecord, ...]:
        snap = self.get_run_snapshot(run_id)
        return tuple(s for s in snap.samples
                     if (stage_id is None or _stage_matches(s.stage_id, stage_id))
                     and (batch_id is None or s.batch_id == batch_id
                          or (s.batch_id or "").endswith(f".{batch_id}")))

    # -- upstream's analyses (compat/interpret.py) -------------------------------------------
    def diagnose_run(self, run_id: str) -> ip.DiagnosticsResult:
        return ip.diagnose_run(self.runs, run_id, self.project)

    def traverse_lineage(self, subject_ref: str, *, direction: str | None = None,
                         max_depth: int | None = None) -> ip.LineageTraversal:
        return ip.traverse_lineage(self.runs, subject_ref, direction=direction,
                                   max_depth=max_depth, project=self.project)

    def get_provenance(self, run_id: str) -> ProvenanceView | None:
        return self.get_run_snapshot(run_id).provenance

    def get_artifact_origin(self, artifact_ref: str) -> RunSnapshot | None:
        return ip.get_artifact_origin(self.runs, artifact_ref)

    def compare_multiple_runs(self, run_ids: Sequence[str], *,
                              higher_is_better: bool = True) -> ip.MultiRunComparison:
        return ip.compare_multiple_runs(self.runs, run_ids, self.project,
                                        higher_is_better=higher_is_better)

    def compare_report_documents(self, left: ip.ReportDocument,
                                 right: ip.ReportDocument) -> ip.ReportComparison:
        return ip.compare_report_documents(left, right)

    def get_metric_trend(self, metric_key: str, *, project_name: str | None = None,
                         stage_name: str | None = None, query: Any = None,
                         limit: int | None = None) -> ip.MetricTrend:
        return ip.get_metric_trend(self.runs, metric_key, project=project_name or self.project,
                                   stage_name=stage_name, limit=_limit(query, limit))

    def get_step_series(self, run_id: str, metric_key: str, *, stage_id: str | None = None,
                        stage_name: str | None = None) -> ip.StepSeries:
        stage = stage_name or (stage_id.rpartition(".")[2] if stage_id else None)
        return ip.get_step_series(self.runs, run_id, metric_key, stage_name=stage,
                                  project=self.project)

    def get_stage_duration_trend(self, stage_name: str, *, project_name: str | None = None,
                                 query: Any = None, limit: int | None = None) -> ip.DurationTrend:
        return ip.get_stage_duration_trend(self.runs, stage_name,
                                           project=project_name or self.project,
                                           limit=_limit(query, limit))

    def get_artifact_size_trend(self, artifact_kind: str, *, project_name: str | None = None,
                                query: Any = None, limit: int | None = None) -> ip.ArtifactSizeTrend:
        return ip.get_artifact_size_trend(self.runs, artifact_kind,
                                          project=project_name or self.project,
                                          limit=_limit(query, limit))

    def evaluate_alerts(self, run_id: str, rules: Sequence[ip.AlertRule]) -> tuple[ip.AlertResult, ...]:
        return ip.evaluate_alerts(self.runs, run_id, rules, self.project)

    def evaluate_alerts_fleet(self, rules: Sequence[ip.AlertRule], *,
                              project_name: str | None = None, query: Any = None,
                              limit: int | None = None) -> ip.AlertReport:
        return ip.evaluate_alerts_fleet(self.runs, rules, project=project_name or self.project,
                                        limit=_limit(query, limit))

    def build_run_report(self, left: str, right: str) -> ip.ReportDocument:
        return ip.build_run_report(self.runs, left, right, self.project)

    def build_multi_run_report(self, run_ids: Sequence[str]) -> ip.ReportDocument:
        return ip.build_multi_run_report(self.runs, run_ids, self.project)

    def build_project_summary_report(self, project_name: str | None = None) -> ip.ReportDocument:
        return ip.build_project_summary_report(self.runs, project_name or self.project)

    def build_trend_report(self, metric_key: str, *, project_name: str | None = None,
                           stage_name: str | None = None) -> ip.ReportDocument:
        return ip.build_trend_report(self.runs, metric_key, project=project_name or self.project,
                                     stage_name=stage_name)

    def build_alert_report(self, run_id: str, rules: Sequence[ip.AlertRule]) -> ip.ReportDocument:
        return ip.build_alert_report(self.runs, run_id, rules, self.project)

    # -- reading and comparing: each delegates to the module of the same name -------------
    def list_runs(self, project_name: str | None = None, *, status: str | None = None,
                  tags: Mapping[str, Any] | None = None, time_range: Any = None,
                  limit: int | None = None, offset: int = 0, sort_by: str | None = None,
                  sort_desc: bool | None = None, **filters: Any) -> list[RunSummary]:
        """Summaries of the runs of ``project_name`` (default: this one), oldest first.

        Upstream's keywords: ``tags`` (every key must match), ``time_range``
        (``(started_after, started_before)`` or an object with those attributes, compared
        as times, not strings), ``sort_by`` (started_at, ended_at, name, or a metric
        reference), ``sort_desc`` (default: ascending for times and names, descending for a
        metric, whatever filters are given), ``offset`` and ``limit``. Other keywords are
        contexta-git's (``event``, ``metric``, ``quarantined``)."""
        from contexta_git.analysis.listing import list_runs
        from contexta_git.core.time import sort_key

        listed = list(list_runs(self.runs, project_name or self.project, status=status, **filters))
        if tags:
            listed = [r for r in listed if all(r.tags.get(k) == v for k, v in tags.items())]
        if time_range is not None:
            after, before = (time_range if isinstance(time_range, (tuple, list)) else (
                getattr(time_range, "started_after", None), getattr(time_range, "started_before", None)))
            listed = [r for r in listed if r.started_at
                      and (after is None or sort_key(r.started_at) >= sort_key(after))
                      and (before is None or sort_key(r.started_at) <= sort_key(before))]
        if sort_by in ("started_at", "ended_at"):
            listed.sort(key=lambda r: sort_key(getattr(r, sort_by)), reverse=bool(sort_desc))
        elif sort_by == "name":
            listed.sort(key=lambda r: r.name, reverse=bool(sort_desc))
        elif sort_by:
            scored = [r for r in listed if r.metric(sort_by) is not None]
            listed = sorted(scored, key=lambda r: r.metric(sort_by) or 0.0,
                            reverse=sort_desc is not False)
        elif sort_desc:
            listed.reverse()
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidValue("offset and limit must be >= 0")
        return listed[offset:None if limit is None else offset + limit]

    def get_run_snapshot(self, ref: str) -> RunSnapshot:
        from contexta_git.compat.snapshot import get_run_snapshot

        return get_run_snapshot(self.runs, ref, self.project)

    def compare_runs(self, left: str, right: str) -> RunComparison:
        from contexta_git.analysis.compare import compare_runs

        return compare_runs(self.runs, left, right, self.project)

    def compare_environments(self, left: str, right: str) -> EnvironmentComparison:
        from contexta_git.analysis.environments import compare_environments

        return compare_environments(self.runs, left, right, self.project)

    def audit_reproducibility(self, ref: str) -> ReproducibilityAudit:
        from contexta_git.analysis.audit import audit_reproducibility

        return audit_reproducibility(self.runs, ref, self.project)

    def select_best_run(self, refs: list[str] | None, metric: str, *,
                        stage_name: str | None = None, higher_is_better: bool = True,
                        include_quarantined: bool = False) -> str:
        from contexta_git.analysis.select import select_best_run

        return select_best_run(self.runs, refs, metric, stage_name=stage_name,
                               higher_is_better=higher_is_better,
                               include_quarantined=include_quarantined, project=self.project)

    def build_snapshot_report(self, ref: str) -> SnapshotReport:
        from contexta_git.analysis.report import build_snapshot_report

        return build_snapshot_report(self.runs, ref, self.project)

    def annotate(self, event: str, *, started_between: list[str], message: str = "",
                 attributes: dict[str, Any] | None = None, level: str = "warning") -> Annotated:
        from contexta_git.analysis.annotate import annotate

        return annotate(self.runs, event, started_between=started_between, message=message,
                        attributes=attributes, level=level, project=self.project)

    def quarantine(self, refs: list[str], reason: str, *, undo: bool = False) -> Annotated:
        from contexta_git.analysis.quarantine import quarantine

        return quarantine(self.runs, refs, reason, undo=undo, project=self.project)


def _config(config: UnifiedConfig | Mapping[str, Any] | None,
            workspace: str | os.PathLike[str] | None, project_name: str | None) -> UnifiedConfig:
    if isinstance(config, Mapping):
        unknown = sorted(set(config) - {"project_name", "workspace"})
        if unknown:
            raise InvalidValue(f"unknown config key {unknown[0]!r} (known: project_name, workspace)")
        place = config.get("workspace")
        root = place.get("root_path") if isinstance(place, Mapping) else place
        config = UnifiedConfig(config.get("project_name", "default"),
                               WorkspaceConfig(root) if root else WorkspaceConfig())
    found = config or UnifiedConfig()
    if workspace is not None:
        found = UnifiedConfig(found.project_name, WorkspaceConfig(workspace))
    if project_name is not None:
        found = UnifiedConfig(project_name, found.workspace)
    return found


def _stage_matches(stage_id: str, wanted: str) -> bool:
    return stage_id == wanted or stage_id.endswith(f".{wanted}")


def _limit(query: Any, limit: int | None) -> int | None:
    return limit if limit is not None else getattr(query, "limit", None)
