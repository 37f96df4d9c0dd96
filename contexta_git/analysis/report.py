"""A document of one run: ``build_snapshot_report``, rendered to Markdown, HTML or JSON.

Sections: summary, params, metrics by stage, datasets, environment, events, source.
Each section is a small table of strings, so every format shows the same facts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from contexta_git.analysis.audit import audit_run
from contexta_git.core import jsonout
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class ReportSection:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class SnapshotReport:
    title: str
    run: str
    sections: tuple[ReportSection, ...]

    def section(self, title: str) -> ReportSection:
        return next(s for s in self.sections if s.title == title)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "run": self.run, "sections": [
            {"title": s.title, "rows": [dict(zip(s.headers, r, strict=True)) for r in s.rows]}
            for s in self.sections]}

    def to_json(self) -> str:
        return jsonout.dumps(self.to_dict()) + "\n"

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for section in self.sections:
            lines += [f"## {section.title}", ""]
            if not section.rows:
                lines += ["_none recorded_", ""]
                continue
            lines.append("| " + " | ".join(section.headers) + " |")
            lines.append("|" + "---|" * len(section.headers))
            lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in section.rows]
            lines.append("")
        return "\n".join(lines)

    def to_html(self) -> str:
        e = html.escape
        parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
                 f"<title>{e(self.title)}</title></head><body>", f"<h1>{e(self.title)}</h1>"]
        for section in self.sections:
            parts.append(f"<h2>{e(section.title)}</h2>")
            if not section.rows:
                parts.append("<p><em>none recorded</em></p>")
                continue
            head = "".join(f"<th>{e(h)}</th>" for h in section.headers)
            body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                           for row in section.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"

    def render(self, fmt: str) -> str:
        return {"md": self.to_markdown, "html": self.to_html, "json": self.to_json}[fmt]()


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return jsonout.dumps(value, indent=None, sort_keys=True)
    return str(value)


def _section(title: str, headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> ReportSection:
    return ReportSection(title, headers, tuple(tuple(_s(c) for c in row) for row in rows))


def report_of(run: RunData) -> SnapshotReport:
    audit = audit_run(run)
    env = run.environment
    summary = [("run", run.ref), ("status", run.status), ("started", run.started_at),
               ("ended", run.ended_at), ("quarantined", "yes" if run.quarantined else "no"),
               ("reproducibility", audit.reproducibility_status)]
    metrics = [(m.stage or "(run)", m.key, m.value, m.step) for m in run.metrics]
    order = {s.name: s.order for s in run.stages}
    metrics.sort(key=lambda r: (order.get(r[0], len(order)), ))
    environment = [("python", env.get("python", {}).get("version")),
                   ("platform", env.get("platform")), ("packages", len(run.packages)),
                   ("lockfile", "pylock.toml" if run.lockfile else "none")]
    environment += [(f"package {k}", v) for k, v in sorted(run.packages.items())]
    return SnapshotReport(f"Run report: {run.ref}", run.ref, (
        _section("Summary", ("field", "value"), summary),
        _section("Params", ("param", "value"), sorted(run.params.items())),
        _section("Metrics by stage", ("stage", "metric", "value", "step"), metrics),
        _section("Datasets", ("name", "version", "digest", "rows"),
                 [(d.name, d.version, d.digest or d.sha256 or d.git_blob, d.rows)
                  for d in run.datasets]),
        _section("Environment", ("field", "value"), environment),
        _section("Events", ("time", "level", "key", "message"),
                 [(e.observed_at, e.level, e.key, e.message) for e in run.events]),
        _section("Source", ("field", "value"), sorted(run.source.items())),
        _section("Reproducibility", ("check", "passed", "reason"),
                 [(c.name, "yes" if c.passed else "no", c.reason) for c in audit.checks]),
    ))


def build_snapshot_report(runs: Runs, ref: str, project: str | None = None) -> SnapshotReport:
    """A report of everything recorded for one run."""
    return report_of(runs.get(runs.resolve(ref, project)))
