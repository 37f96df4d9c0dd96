"""Upstream Contexta's read-only analyses over the runs branch: diagnostics, lineage,
provenance, trends, alerts, multi-run comparison and its plain-text reports.

Result types and field names are upstream's (UPSTREAM.md sections 1.2-1.4, 5). Where
upstream has a known defect this module does what users need instead (the README's
"Upstream Contexta API" section lists each): deployments are lineage edges, a metric
trend and a step series read the recorded steps, and the multi-run table's best run
honours ``higher_is_better``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import operator
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from contexta_git.compat.snapshot import (
    EvidenceLink, ProvenanceView, RunSnapshot, get_run_snapshot, snapshot_of,
)
from contexta_git.core.names import RunId
from contexta_git.core.time import sort_key
from contexta_git.errors import InvalidValue
from contexta_git.store import series
from contexta_git.store.runs import Runs

#: upstream's DiagnosticsPolicy.expected_terminal_stage_names
EXPECTED_STAGES = ("evaluate", "package")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "lt": operator.lt, "gte": operator.ge, "lte": operator.le,
    "eq": operator.eq, "ne": operator.ne}
DIRECTIONS = ("both", "inbound", "outbound", "upstream", "downstream")


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


# -- diagnostics ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DiagnosticsIssue(_Dict):
    severity: str
    code: str
    summary: str
    details: dict[str, Any]
    subject_ref: str
    evidence_links: tuple[EvidenceLink, ...] = ()


@dataclass(frozen=True)
class DiagnosticsResult(_Dict):
    run_id: str
    issues: tuple[DiagnosticsIssue, ...]
    completeness_notes: tuple[str, ...]
    evidence_links: tuple[EvidenceLink, ...] = ()


def diagnose_snapshot(snap: RunSnapshot,
                      expected_stages: Sequence[str] = EXPECTED_STAGES) -> DiagnosticsResult:
    """Upstream's issue codes, severities and order: degraded_record (warning),
    incomplete_stage (warning), missing_stage_metrics (info), failed_batch (error),
    incomplete_batch (warning), failed_deployment (error), missing_expected_stage (info).
    A degraded record's own severity is in ``details["severity"]``."""
    run = snap.run_id
    issues: list[DiagnosticsIssue] = []
    for r in snap.records:
        if r.degradation_marker != "none":
            issues.append(DiagnosticsIssue(
                "warning", "degraded_record", f"degraded record detected for {r.key}",
                {"record_type": r.record_type, "degradation_marker": r.degradation_marker,
                 "stage_id": r.stage_id, "severity": r.payload.get("severity"),
                 "category": r.payload.get("category")}, r.record_id,
                (EvidenceLink("record", r.record_id, r.key),)))
    measured = {r.stage_id for r in snap.records if r.record_type == "metric"}
    for s in snap.stages:
        link = (EvidenceLink("stage", s.stage_id, s.name),)
        if s.status != "completed":
            issues.append(DiagnosticsIssue("warning", "incomplete_stage",
                                           f"stage {s.name} is not completed",
                                           {"status": s.status, "run_id": run}, s.stage_id, link))
        elif s.stage_id not in measured:
            issues.append(DiagnosticsIssue("info", "missing_stage_metrics",
                                           f"completed stage {s.name} has no metric records",
                                           {"stage_name": s.name, "run_id": run}, s.stage_id, link))
    for b in snap.batches:
        link = (EvidenceLink("batch", b.batch_id, b.name),)
        if b.status == "failed":
            issues.append(DiagnosticsIssue("error", "failed_batch", f"batch {b.name} failed",
                                           {"batch_id": b.batch_id, "stage_id": b.stage_id,
                                            "run_id": run}, b.batch_id, link))
        elif b.status not in ("completed", "open"):
            issues.append(DiagnosticsIssue("warning", "incomplete_batch",
                                           f"batch {b.name} ended with status {b.status}",
                                           {"batch_id": b.batch_id, "status": b.status,
                                            "run_id": run}, b.batch_id, link))
    for d in snap.deployments:
        if d.status == "failed":
            issues.append(DiagnosticsIssue(
                "error", "failed_deployment", f"deployment {d.name} failed",
                {"deployment_id": d.deployment_id, "run_id": run}, d.deployment_id,
                (EvidenceLink("deployment", d.deployment_id, d.name),)))
    present = {s.name for s in snap.stages}
    for name in expected_stages:
        if name not in present:
            issues.append(DiagnosticsIssue(
                "info", "missing_expected_stage", f"expected terminal stage {name} is missing",
                {"expected_stage_name": name, "run_id": run}, run,
                (EvidenceLink("run", run, snap.run.name),)))
    links = tuple(dict.fromkeys([*snap.evidence_links, *(x for i in issues for x in i.evidence_links)]))
    return DiagnosticsResult(run, tuple(issues), snap.completeness_notes, links)


def diagnose_run(runs: Runs, ref: str, project: str | None = None,
                 expected_stages: Sequence[str] = EXPECTED_STAGES) -> DiagnosticsResult:
    return diagnose_snapshot(get_run_snapshot(runs, ref, project), expected_stages)


# -- lineage and provenance -----------------------------------------------------------------
@dataclass(frozen=True)
class LineageEdge(_Dict):
    relation_ref: str
    source_ref: str
    target_ref: str
    relation_type: str
    recorded_at: str | None
    direction: str
    depth: int
    provenance: ProvenanceView | None = None
    evidence_links: tuple[EvidenceLink, ...] = ()


@dataclass(frozen=True)
class LineageTraversal(_Dict):
    root_ref: str
    edges: tuple[LineageEdge, ...]
    visited_refs: tuple[str, ...]
    completeness_notes: tuple[str, ...] = ()
    evidence_links: tuple[EvidenceLink, ...] = ()


def _all_relations(runs: Runs, project: str | None) -> list[tuple[dict[str, Any], ProvenanceView | None]]:
    """Every relation on the branch (of one project, or all), with its latest provenance,
    plus one ``deployed_from`` edge per deployment (deployment -> run)."""
    from contexta_git.analysis.aliases import deployments

    found: list[tuple[dict[str, Any], ProvenanceView | None]] = []
    for rid in runs.ids(project):
        snap = snapshot_of(runs.get(rid))
        by_relation = {}
        for row in sorted(snap.run.rows("provenance.toml"), key=lambda p: str(p.get("asserted_at"))):
            by_relation[row["relation"]] = ProvenanceView(
                snap.run_id, row["id"], row["relation"], row.get("assertion_mode"),
                row.get("asserted_at"), row.get("formation_context"), row.get("policy"),
                row.get("evidence_bundle"))
        found += [(row, by_relation.get(row["id"])) for row in snap.run.rows("relations.toml")]
    for entry in deployments(runs, project):
        if entry.get("run"):
            found.append(({"id": f"relation:deployment.{entry['project']}.{entry['id']}",
                           "type": "deployed_from",
                           "source": f"deployment:{entry['project']}.{entry['name']}",
                           "target": entry["run"], "recorded_at": entry.get("at")}, None))
    return found


def traverse_lineage(runs: Runs, subject: str, *, direction: str | None = None,
                     max_depth: int | None = None, project: str | None = None) -> LineageTraversal:
    """Breadth-first over recorded relations from ``subject`` (any reference):
    ``outbound``/``downstream`` follow edges from source to target, ``inbound``/``upstream``
    the reverse, ``both`` (the default) either way; ``max_depth`` defaults to 2."""
    way = direction or "both"
    if way not in DIRECTIONS:
        raise InvalidValue(f"direction {way!r} must be one of {', '.join(DIRECTIONS)}")
    depth_limit = 2 if max_depth is None else max_depth
    if depth_limit < 0:
        raise InvalidValue(f"max_depth must be >= 0, got {depth_limit}")
    if subject.startswith("run:") or ":" not in subject:
        subject = runs.resolve(subject, project).ref
    relations = _all_relations(runs, None)
    visited = [subject]
    edges: list[LineageEdge] = []
    seen: set[str] = set()
    queue = deque([(subject, 0)])
    while queue:
        node, depth = queue.popleft()
        if depth >= depth_limit:
            continue
        for row, prov in relations:
            outbound = row["source"] == node and way in ("both", "outbound", "downstream")
            inbound = row["target"] == node and way in ("both", "inbound", "upstream")
            if not (outbound or inbound) or row["id"] in seen:
                continue
            seen.add(row["id"])
            other = row["target"] if outbound else row["source"]
            edges.append(LineageEdge(row["id"], row["source"], row["target"], row["type"],
                                     row.get("recorded_at"), "outbound" if outbound else "inbound",
                                     depth + 1, prov,
                                     (EvidenceLink("relation", row["id"], row["type"]),)))
            if other not in visited:
                visited.append(other)
                queue.append((other, depth + 1))
    notes = () if edges else ("lineage_root_has_no_relations",)
    return LineageTraversal(subject, tuple(edges), tuple(visited), notes,
                            tuple(x for e in edges for x in e.evidence_links))


def get_artifact_origin(runs: Runs, artifact_ref: str) -> RunSnapshot | None:
    """The snapshot of the run that recorded ``artifact_ref``; None when none did."""
    if not artifact_ref.startswith("artifact:"):
        raise InvalidValue(f"artifact reference {artifact_ref!r} must start with 'artifact:'")
    run = RunId.parse(artifact_ref.partition(":")[2].rpartition(".")[0]) if artifact_ref.count(
        ".") >= 2 else None
    if run is None or not runs.exists(run):
        return None
    snap = get_run_snapshot(runs, run.ref)
    return snap if any(a.artifact_ref == artifact_ref for a in snap.artifacts) else None


# -- comparison of many runs -----------------------------------------------------------------
@dataclass(frozen=True)
class MultiRunMetricRow(_Dict):
    metric_key: str
    stage_name: str | None
    values: tuple[float | None, ...]
    best_run_id: str | None


@dataclass(frozen=True)
class ArtifactKindCountRow(_Dict):
    artifact_kind: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class MultiRunComparison(_Dict):
    run_ids: tuple[str, ...]
    run_names: tuple[str, ...]
    metric_table: tuple[MultiRunMetricRow, ...]
    artifact_kind_counts: tuple[ArtifactKindCountRow, ...]
    completeness_notes: tuple[str, ...]
    summary: str
    evidence_links: tuple[EvidenceLink, ...] = ()


def compare_multiple_runs(runs: Runs, refs: Sequence[str], project: str | None = None, *,
                          higher_is_better: bool = True) -> MultiRunComparison:
    """One row per (stage, metric key) over ``refs`` (at least two distinct runs), each
    value the run's latest; ``best_run_id`` by ``higher_is_better`` (upstream: always max)."""
    ids = list(dict.fromkeys(runs.resolve(r, project).ref for r in refs))
    if len(ids) < 2:
        raise InvalidValue("compare_multiple_runs needs at least two distinct runs")
    snaps = [get_run_snapshot(runs, r) for r in ids]
    keys: list[tuple[str | None, str]] = []
    latest = [_stage_latest(snap) for snap in snaps]
    for table in latest:
        for stage, found in table.items():
            keys += [(stage, k) for k in found if (stage, k) not in keys]
    rows = []
    for stage, key in keys:
        values = tuple(table.get(stage, {}).get(key) for table in latest)
        present = [(v if higher_is_better else -v, -i) for i, v in enumerate(values)
                   if v is not None]
        best = ids[-max(present)[1]] if present else None  # ties: the first run
        rows.append(MultiRunMetricRow(key, stage, values, best))
    kinds = sorted({a.kind or "unknown" for s in snaps for a in s.artifacts})
    counts = tuple(ArtifactKindCountRow(k, tuple(sum((a.kind or "unknown") == k for a in s.artifacts)
                                                  for s in snaps)) for k in kinds)
    notes = tuple(f"{s.run_id}:{n}" for s in snaps for n in s.completeness_notes
                  if n.startswith("missing_stage_records"))
    return MultiRunComparison(tuple(ids), tuple(s.run.name for s in snaps), tuple(rows), counts,
                              notes, f"Compared {len(ids)} runs: {len(rows)} metric rows, "
                              f"{len(kinds)} artifact kinds.",
                              tuple(EvidenceLink("run", s.run_id, s.run.name) for s in snaps))


def _stage_latest(snap: RunSnapshot) -> dict[str | None, dict[str, float]]:
    """Latest value per stage (None: recorded outside any stage) and key."""
    out: dict[str | None, dict[str, float]] = {}
    latest: dict[tuple[str | None, str], tuple[Any, float]] = {}
    for r in snap.records:
        if r.record_type == "metric" and r.value is not None:
            when = sort_key(r.observed_at)
            prior = latest.get((r.stage, r.key))
            if prior is None or when >= prior[0]:
                latest[(r.stage, r.key)] = (when, r.value)
    for (stage, key), (_when, value) in latest.items():
        out.setdefault(stage, {})[key] = value
    return out


# -- trends ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrendPoint(_Dict):
    run_id: str
    run_name: str
    value: float
    captured_at: str | None
    stage_name: str | None


@dataclass(frozen=True)
class MetricTrend(_Dict):
    metric_key: str
    project_name: str | None
    points: tuple[TrendPoint, ...]
    notes: tuple[str, ...] = ()

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(p.value for p in self.points)


@dataclass(frozen=True)
class StepPoint(_Dict):
    step: int
    value: float
    observed_at: str | None


@dataclass(frozen=True)
class StepSeries(_Dict):
    run_id: str
    metric_key: str
    stage_id: str | None
    points: tuple[StepPoint, ...]
    notes: tuple[str, ...] = ()
    unit: str | None = None


@dataclass(frozen=True)
class StageDurationPoint(_Dict):
    run_id: str
    run_name: str
    stage_name: str
    duration_seconds: float
    started_at: str | None


@dataclass(frozen=True)
class DurationTrend(_Dict):
    stage_name: str
    project_name: str | None
    points: tuple[StageDurationPoint, ...]


@dataclass(frozen=True)
class ArtifactSizePoint(_Dict):
    run_id: str
    run_name: str
    artifact_kind: str
    size_bytes: int
    artifact_ref: str
    created_at: str | None


@dataclass(frozen=True)
class ArtifactSizeTrend(_Dict):
    artifact_kind: str
    project_name: str | None
    points: tuple[ArtifactSizePoint, ...]


def _window(runs: Runs, project: str | None, limit: int | None) -> list[RunSnapshot]:
    """The last ``limit`` runs (default 20) of ``project``, oldest first."""
    from contexta_git.analysis.listing import list_runs

    listed = list_runs(runs, project, quarantined=None)
    chosen = listed[-(limit or 20):]
    return [get_run_snapshot(runs, r.ref) for r in chosen]


def get_metric_trend(runs: Runs, metric_key: str, *, project: str | None = None,
                     stage_name: str | None = None, limit: int | None = None) -> MetricTrend:
    """One point per run (its latest value of ``metric_key``, of ``stage_name`` or of any
    stage) over the last ``limit`` runs (default 20), oldest first."""
    points: list[TrendPoint] = []
    notes: list[str] = []
    for snap in _window(runs, project, limit):
        found = [r for r in snap.records if r.record_type == "metric" and r.key == metric_key
                 and (stage_name is None or r.stage == stage_name)]
        if not found:
            notes.append(f"missing_metric_for_run:{metric_key}:{snap.run_id}")
            continue
        last = max(found, key=lambda r: sort_key(r.observed_at))
        points.append(TrendPoint(snap.run_id, snap.run.name, float(last.value or 0.0),
                                 last.observed_at, last.stage))
    return MetricTrend(metric_key, project, tuple(points), tuple(notes))


def get_step_series(runs: Runs, ref: str, metric_key: str, *, stage_name: str | None = None,
                    project: str | None = None) -> StepSeries:
    """Every recorded point of ``metric_key`` in one run, with its recorded step (a value
    logged without a step gets its position)."""
    run = runs.resolve(ref, project)
    points: list[StepPoint] = []
    try:
        for block in series.points(runs.view(), run, metric_key, stage_name):
            times = block.times or [0] * len(block.steps)
            points += [StepPoint(step, value, _ms(t) if block.times else None)
                       for step, value, t in zip(block.steps, block.values, times, strict=True)]
    except InvalidValue:
        data = runs.get(run)
        rows = sorted((m for m in data.metrics if m.key == metric_key
                       and (stage_name is None or m.stage == stage_name)),
                      key=lambda m: sort_key(m.observed_at))
        points = [StepPoint(i, m.value, m.observed_at) for i, m in enumerate(rows)]
    notes = () if points else (f"missing_metric:{metric_key}",)
    stage_id = f"stage:{run.id}.{stage_name}" if stage_name else None
    return StepSeries(run.ref, metric_key, stage_id, tuple(points), notes)


def _ms(value: int) -> str:
    from datetime import UTC

    return datetime.fromtimestamp(value / 1000, UTC).isoformat().replace("+00:00", "Z")


def get_stage_duration_trend(runs: Runs, stage_name: str, *, project: str | None = None,
                             limit: int | None = None) -> DurationTrend:
    points = []
    for snap in _window(runs, project, limit):
        for s in snap.stages:
            if s.name == stage_name and s.started_at and s.ended_at:
                seconds = (sort_key(s.ended_at) - sort_key(s.started_at)).total_seconds()
                points.append(StageDurationPoint(snap.run_id, snap.run.name, s.name, seconds,
                                                 s.started_at))
    return DurationTrend(stage_name, project, tuple(points))


def get_artifact_size_trend(runs: Runs, artifact_kind: str, *, project: str | None = None,
                            limit: int | None = None) -> ArtifactSizeTrend:
    points = [ArtifactSizePoint(snap.run_id, snap.run.name, artifact_kind, a.size_bytes,
                                a.artifact_ref, a.created_at)
              for snap in _window(runs, project, limit) for a in snap.artifacts
              if a.kind == artifact_kind and a.size_bytes is not None]
    return ArtifactSizeTrend(artifact_kind, project, tuple(points))


# -- alerts ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlertRule(_Dict):
    metric_key: str
    operator: str
    threshold: float
    stage_name: str | None = None
    severity: str = "warning"
    name: str | None = None

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise InvalidValue(f"alert operator {self.operator!r} must be one of "
                               f"{', '.join(OPERATORS)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)):
            raise InvalidValue(f"alert threshold for {self.metric_key!r} must be a number")

    @property
    def rule_name(self) -> str:
        stage = f"@{self.stage_name}" if self.stage_name else ""
        return self.name or f"{self.metric_key}{stage}:{self.operator}:{self.threshold}"


@dataclass(frozen=True)
class AlertResult(_Dict):
    rule_name: str
    metric_key: str
    run_id: str
    actual_value: float | None
    threshold: float
    operator: str
    triggered: bool
    severity: str
    stage_name: str | None
    completeness_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertReport(_Dict):
    run_ids: tuple[str, ...]
    results: tuple[AlertResult, ...]
    completeness_notes: tuple[str, ...] = ()


def _evaluate(snap: RunSnapshot, rules: Iterable[AlertRule]) -> list[AlertResult]:
    latest = _stage_latest(snap)
    out = []
    for rule in rules:
        if rule.stage_name is not None:
            value = latest.get(rule.stage_name, {}).get(rule.metric_key)
        else:
            found = [r for r in snap.records if r.record_type == "metric"
                     and r.key == rule.metric_key]
            value = max(found, key=lambda r: sort_key(r.observed_at)).value if found else None
        notes = () if value is not None else (f"alert_metric_missing:{rule.metric_key}",)
        out.append(AlertResult(rule.rule_name, rule.metric_key, snap.run_id, value,
                               rule.threshold, rule.operator,
                               value is not None and OPERATORS[rule.operator](value, rule.threshold),
                               rule.severity, rule.stage_name, notes))
    return out


def evaluate_alerts(runs: Runs, ref: str, rules: Sequence[AlertRule],
                    project: str | None = None) -> tuple[AlertResult, ...]:
    return tuple(_evaluate(get_run_snapshot(runs, ref, project), rules))


def evaluate_alerts_fleet(runs: Runs, rules: Sequence[AlertRule], *,
                          project: str | None = None, limit: int | None = None) -> AlertReport:
    snaps = _window(runs, project, limit)
    results = [r for s in snaps for r in _evaluate(s, rules)]
    notes = tuple(dict.fromkeys(n for r in results for n in r.completeness_notes))
    return AlertReport(tuple(s.run_id for s in snaps), tuple(results), notes)


def load_rules(data: Any) -> list[AlertRule]:
    """Alert rules from a parsed TOML or JSON document: ``[[rules]]`` tables (or a list)
    with ``metric_key`` (or ``metric``), ``operator``, ``threshold`` and optional
    ``stage_name``, ``severity``, ``name``."""
    rows = data.get("rules") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise InvalidValue("alert rules: expected a non-empty list of rules ([[rules]] tables)")
    known = {"metric_key", "metric", "operator", "threshold", "stage_name", "stage", "severity",
             "name"}
    out = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise InvalidValue(f"alert rule {number} must be a table")
        if unknown := sorted(set(row) - known):
            raise InvalidValue(f"alert rule {number}: unknown field {unknown[0]!r}")
        key = row.get("metric_key", row.get("metric"))
        if not isinstance(key, str) or "operator" not in row or "threshold" not in row:
            raise InvalidValue(f"alert rule {number} needs metric_key, operator and threshold")
        out.append(AlertRule(key, row["operator"], row["threshold"],
                             row.get("stage_name", row.get("stage")),
                             row.get("severity", "warning"), row.get("name")))
    return out


def load_rules_file(path: str) -> list[AlertRule]:
    """The alert rules of a TOML file (``load_rules``); InvalidValue names the file."""
    import tomllib
    from pathlib import Path

    from contexta_git.core.files import NotUtf8, read_utf8

    try:
        doc = tomllib.loads(read_utf8(Path(path)))
    except (OSError, NotUtf8) as exc:
        raise InvalidValue(f"cannot read alert rules {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValue(f"alert rules {path} are not valid TOML: {exc}") from None
    try:
        return load_rules(doc)
    except InvalidValue as exc:
        raise InvalidValue(f"{path}: {exc}") from None


# -- reports ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSection(_Dict):
    title: str
    body: tuple[str, ...]
    evidence_links: tuple[EvidenceLink, ...] = ()


@dataclass(frozen=True)
class ReportDocument(_Dict):
    title: str
    sections: tuple[ReportSection, ...]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for s in self.sections:
            lines += [f"## {s.title}", "", *s.body, ""]
        return "\n".join(lines)

    def to_html(self) -> str:
        parts = [f"<article><h1>{html.escape(self.title)}</h1>"]
        for s in self.sections:
            parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
            parts += [f"<p>{html.escape(line)}</p>" for line in s.body]
            parts.append("</section>")
        return "".join([*parts, "</article>"])

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["section_title", "body"])
        for s in self.sections:
            writer.writerows([s.title, line] for line in s.body)
        return out.getvalue()


@dataclass(frozen=True)
class SectionDiff(_Dict):
    section_title: str
    left_body: tuple[str, ...] | None
    right_body: tuple[str, ...] | None
    changed: bool


@dataclass(frozen=True)
class ReportComparison(_Dict):
    left_title: str
    right_title: str
    section_diffs: tuple[SectionDiff, ...]
    completeness_notes: tuple[str, ...] = ()


def compare_report_documents(left: ReportDocument, right: ReportDocument) -> ReportComparison:
    a = {s.title: s.body for s in left.sections}
    b = {s.title: s.body for s in right.sections}
    titles = list(a) + [t for t in b if t not in a]
    diffs = tuple(SectionDiff(t, a.get(t), b.get(t), a.get(t) != b.get(t)) for t in titles)
    notes = tuple(f"section_presence_changed:{t}" for t in titles if (t in a) != (t in b))
    return ReportComparison(left.title, right.title, diffs, notes)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _diagnostic_lines(result: DiagnosticsResult) -> tuple[str, ...]:
    return tuple(f"{i.severity}:{i.code}: {i.summary}" for i in result.issues) or ("none",)


def build_run_report(runs: Runs, left: str, right: str, project: str | None = None) -> ReportDocument:
    from contexta_git.analysis.compare import compare_runs

    cmp = compare_runs(runs, left, right, project)
    deltas = tuple(f"{s.stage_name}/{d.metric_key}: left={_num(d.left)}, right={_num(d.right)}, "
                   f"delta={_num(d.delta)}" for s in cmp.stage_comparisons
                   for d in s.metric_deltas if d.changed)
    env = cmp.environment
    return ReportDocument(f"Run Comparison Report: {cmp.left_run} vs {cmp.right_run}", (
        ReportSection("Summary", (f"Compared {cmp.left_run} and {cmp.right_run}: "
                                  f"{len(cmp.stage_comparisons)} stage rows, {len(deltas)} "
                                  "metric deltas.",)),
        ReportSection("Metric Deltas", deltas or ("none",)),
        ReportSection("Parameter Changes", tuple(f"{c.key}: {c.left_value!r} -> {c.right_value!r}"
                                                 for c in cmp.param_changes) or ("none",)),
        ReportSection("Environment", (f"python_version_changed={env.python_version_changed}",
                                      f"changed_packages={len(env.changed_packages)}")),
        ReportSection("Diagnostics", _diagnostic_lines(diagnose_run(runs, cmp.left_run))),
    ))


def build_multi_run_report(runs: Runs, refs: Sequence[str], project: str | None = None) -> ReportDocument:
    cmp = compare_multiple_runs(runs, refs, project)
    table = tuple(f"{row.stage_name or 'run'}/{row.metric_key}: "
                  f"({', '.join(_num(v) for v in row.values)}) best={row.best_run_id}"
                  for row in cmp.metric_table)
    return ReportDocument(f"Multi Run Report: {len(cmp.run_ids)} runs", (
        ReportSection("Summary", (cmp.summary,)),
        ReportSection("Run IDs", cmp.run_ids),
        ReportSection("Metric Table", table or ("none",)),
        ReportSection("Completeness Notes", cmp.completeness_notes or ("none",)),
    ))


def build_project_summary_report(runs: Runs, project: str) -> ReportDocument:
    from contexta_git.analysis.listing import list_runs

    listed = list_runs(runs, project, quarantined=None)
    lines = tuple(f"{r.ref}: status={r.status}, started_at={r.started_at}" for r in listed)
    return ReportDocument(f"Project Summary Report: {project}", (
        ReportSection("Runs", lines or ("none",)),
        ReportSection("Completeness Notes", ("none",) if lines else ("project_has_no_runs",)),
    ))


def build_trend_report(runs: Runs, metric_key: str, *, project: str | None = None,
                       stage_name: str | None = None) -> ReportDocument:
    trend = get_metric_trend(runs, metric_key, project=project, stage_name=stage_name)
    return ReportDocument(f"Trend Report: {metric_key}", (
        ReportSection("Series", tuple(f"{p.run_id}: {_num(p.value)}" for p in trend.points)
                      or ("none",)),
        ReportSection("Notes", trend.notes or ("none",)),
    ))


def build_alert_report(runs: Runs, ref: str, rules: Sequence[AlertRule],
                       project: str | None = None) -> ReportDocument:
    results = evaluate_alerts(runs, ref, rules, project)

    def line(r: AlertResult) -> str:
        return f"{r.rule_name}: actual={_num(r.actual_value)} severity={r.severity}"
    return ReportDocument(f"Alert Report: {runs.resolve(ref, project).ref}", (
        ReportSection("Triggered", tuple(line(r) for r in results if r.triggered) or ("none",)),
        ReportSection("Passed", tuple(line(r) for r in results if not r.triggered) or ("none",)),
    ))

