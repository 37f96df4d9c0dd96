"""The seeds' API under ``contexta_git``: ``Contexta``, its metadata and record stores.

Every ``put_*`` and ``append`` is one commit on the runs branch, so a script that
stops half-way leaves everything it wrote before, and nothing half-written.
Writes are idempotent: a record whose id is already on the branch is skipped, and
``put_*`` of an existing project, run or stage updates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contexta_git import contract
from contexta_git.core import records
from contexta_git.core.time import normalize
from contexta_git.config import UnifiedConfig
from contexta_git.errors import InvalidValue
from contexta_git.git.repo import GitStore
from contexta_git.core.names import RunId, check_key, check_project, check_stage, project_path
from contexta_git.core.redact import redact, redact_value
from contexta_git.store.runs import RunChange, Runs

if TYPE_CHECKING:
    from contexta_git.analysis.annotate import Annotated
    from contexta_git.analysis.audit import ReproducibilityAudit
    from contexta_git.analysis.compare import RunComparison
    from contexta_git.analysis.environments import EnvironmentComparison
    from contexta_git.analysis.listing import RunSummary
    from contexta_git.analysis.report import SnapshotReport
    from contexta_git.compat.snapshot import RunSnapshot


def _after(ref: str, kind: str, run: RunId) -> str:
    """The part of a seed reference that follows its run: ``stage:p.r.train`` -> ``train``."""
    prefix = f"{kind}:{run.id}."
    if not ref.startswith(prefix) or len(ref) == len(prefix):
        raise InvalidValue(f"{kind} reference {ref!r} must start with {prefix!r}")
    return ref[len(prefix):]


def _project(ref: str) -> str:
    if not ref.startswith("project:"):
        raise InvalidValue(f"project reference {ref!r} must start with 'project:'")
    return check_project(ref[len("project:"):])


class _Writer:
    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    def _apply(self, change: RunChange, message: str) -> None:
        self.runs.apply([change], message, {"Contexta-Run": change.run.ref})


class ProjectStore(_Writer):
    def put_project(self, project: contract.Project) -> None:
        name = _project(project.project_ref)
        if project.name != name:
            raise InvalidValue(f"project name {project.name!r} does not match {project.project_ref!r}")
        doc = {"name": name, "description": project.description, "created_at": normalize(project.created_at)}
        path = f"{project_path(name)}/project.toml"
        self.runs.store.commit(
            lambda view: {path: records.merge_header(view.read(path), doc)},
            f"put project {name}")


class RunStore(_Writer):
    def put_run(self, run: contract.Run) -> None:
        rid = RunId.parse(run.run_ref)
        if rid.project != _project(run.project_ref) or rid.name != run.name:
            raise InvalidValue(f"run {run.run_ref!r} does not match its project_ref and name")
        header = {"status": run.status, "started_at": normalize(run.started_at),
                  "ended_at": normalize(run.ended_at),
                  "params": redact(run.params), "tags": redact(run.tags)}
        self._apply(RunChange(rid, header=records.clean(header)), f"put {rid.ref}")


class StageStore(_Writer):
    def put_stage_execution(self, stage: contract.StageExecution) -> None:
        rid = RunId.parse(stage.run_ref)
        name = check_stage(_after(stage.stage_execution_ref, "stage", rid))
        if name != stage.stage_name:
            raise InvalidValue(f"stage {stage.stage_execution_ref!r} is not named {stage.stage_name!r}")
        entry = {"name": name, "status": stage.status, "started_at": normalize(stage.started_at),
                 "ended_at": normalize(stage.ended_at), "order": stage.order_index}
        self._apply(RunChange(rid, create=False, stages=[entry]), f"put stage {name} of {rid.ref}")


class EnvironmentStore(_Writer):
    def put_environment_snapshot(self, snap: contract.EnvironmentSnapshot) -> None:
        rid = RunId.parse(snap.run_ref)
        _after(snap.environment_snapshot_ref, "environment", rid)
        env = {"python": {"version": snap.python_version}, "platform": snap.platform,
               "variables": redact(dict(snap.environment_variables)),
               "packages": dict(snap.packages), "origin": "declared"}
        change = RunChange(rid, create=False, environment=records.dumps(env),
                           header={"environment_captured_at": normalize(snap.captured_at)})
        self._apply(change, f"put environment of {rid.ref}")


class MetadataStore:
    def __init__(self, runs: Runs) -> None:
        self.projects = ProjectStore(runs)
        self.runs = RunStore(runs)
        self.stages = StageStore(runs)
        self.environments = EnvironmentStore(runs)

    def close(self) -> None:
        """Nothing is buffered: every put is already a commit."""


class RecordStore(_Writer):
    def append(self, record: contract.MetricRecord | contract.StructuredEventRecord) -> None:
        env = record.envelope
        rid = RunId.parse(env.run_ref)
        entry: dict[str, Any] = {"id": _after(env.record_ref, "record", rid),
                                 "observed_at": normalize(env.observed_at)}
        if env.stage_execution_ref:
            entry["stage"] = check_stage(_after(env.stage_execution_ref, "stage", rid))
        if isinstance(record, contract.MetricRecord):
            m = record.payload
            entry |= {"key": check_key(m.metric_key), "value": records.check_number(
                m.metric_key, m.value), "step": m.step, "unit": m.unit,
                "scope": m.aggregation_scope}
            filename = "metrics.toml"
        elif isinstance(record, contract.StructuredEventRecord):
            p = record.payload
            entry |= {"key": check_key(p.event_key, "event"), "level": p.level,
                      "message": redact_value(p.message), "attributes": redact(dict(p.attributes))}
            filename = "events.toml"
        else:
            raise InvalidValue(f"cannot append a {type(record).__name__}")
        change = RunChange(rid, create=False, appends={filename: [records.clean(entry)]})
        self._apply(change, f"append {filename.removesuffix('s.toml')} {entry['key']} to {rid.ref}")

    def close(self) -> None:
        """Nothing is buffered: every append is already a commit."""


class Contexta:
    """One project's runs in one git repository (the seeds' entry point)."""

    def __init__(self, config: UnifiedConfig | None = None) -> None:
        self.config = config or UnifiedConfig()
        self.project = check_project(self.config.project_name)
        self.runs = Runs(GitStore.init(self.config.workspace.root_path))
        self.metadata_store = MetadataStore(self.runs)
        self.record_store = RecordStore(self.runs)

    def close(self) -> None:
        self.metadata_store.close()

    # -- reading and comparing: each delegates to the module of the same name -------------
    def list_runs(self, project: str | None = None, **filters: Any) -> list[RunSummary]:
        """Summaries of the runs of ``project`` (default: this one), oldest first."""
        from contexta_git.analysis.listing import list_runs

        return list_runs(self.runs, project or self.project, **filters)

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
