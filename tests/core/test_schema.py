"""The read model's one check (core/schema.py), fuzzed: whatever a run folder holds, reading
it either raises CorruptRun (exit 2, named) or gives a run every reader can use."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contexta_git.analysis.audit import audit_run
from contexta_git.analysis.compare import diff_runs
from contexta_git.analysis.listing import _summary
from contexta_git.analysis.report import report_of
from contexta_git.cli.views import run_dict
from contexta_git.core import jsonout, schema
from contexta_git.core.names import RunId
from contexta_git.core.records import RunData
from contexta_git.errors import CorruptRun
from contexta_git.release.gate import evaluate
from contexta_git.release.policy import parse_policy

FOLDER = RunId("p", "r").path
KEYS = st.sampled_from(["id", "key", "value", "name", "stage", "step", "status", "order",
                        "message", "level", "attributes", "observed_at", "rows", "size",
                        "version", "started_at", "ended_at", "params", "tags", "source",
                        "commit", "dirty", "python", "platform", "packages", "project"])
SCALARS = st.one_of(st.text(max_size=8), st.integers(-2**63, 2**63 - 1), st.floats(),
                    st.booleans(), st.datetimes(timezones=st.just(dt.UTC)),
                    st.sampled_from(["2025-01-01T00:00:00Z", "acc", "r", "p", "completed"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=8)
TABLE = st.dictionaries(KEYS, VALUES, max_size=8)
TEXT = st.text(max_size=6)
TIME = st.sampled_from(["2025-01-01T00:00:00Z", "2025-01-01T09:00:00+02:00", "2025-01-01"])
PLAUSIBLE: dict[str, dict[str, st.SearchStrategy[Any]]] = {  # per file: a near-valid table
    "run.toml": {"project": st.just("p"), "name": st.just("r"), "status": TEXT,
                 "started_at": TIME, "ended_at": TIME, "params": TABLE, "tags": TABLE,
                 "notes": TEXT, "source": st.fixed_dictionaries(
                     {}, optional={"commit": TEXT, "dirty": st.booleans()})},
    "stages": {"name": TEXT, "status": TEXT, "order": st.integers(0, 3)},
    "metrics": {"id": TEXT, "key": st.sampled_from(["acc", "loss"]),
                "value": st.one_of(st.floats(), st.integers(-5, 5)), "stage": TEXT,
                "step": st.integers(0, 9)},
    "events": {"id": TEXT, "key": st.sampled_from(["contexta.quarantine", "contexta.release",
                                                   "note"]), "message": TEXT,
               "attributes": st.dictionaries(st.just("releases"), st.lists(TEXT, max_size=2))},
    "datasets": {"id": TEXT, "name": TEXT, "version": st.one_of(TEXT, st.integers()),
                 "rows": st.integers(0, 9), "sha256": TEXT},
    "artifacts": {"id": TEXT, "name": TEXT, "path": TEXT, "size": st.integers(0, 9)},
    "environment.toml": {"python": st.fixed_dictionaries({"version": TEXT}),
                         "platform": TEXT, "packages": st.dictionaries(TEXT, TEXT, max_size=3)},
}
REQUIRED = {"stages": ("name",), "metrics": ("id", "key", "value"), "events": ("id", "key"),
            "datasets": ("id", "name"), "artifacts": ("id", "name")}
FILES = {"run.toml": None, "stages.toml": "stages", "metrics.toml": "metrics",
         "events.toml": "events", "datasets.toml": "datasets", "artifacts.toml": "artifacts",
         "environment.toml": None}


@st.composite
def tables(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A near-valid table of ``kind``; now and then one field holds any TOML value."""
    fields = PLAUSIBLE[kind]
    required = {k: v for k, v in fields.items() if k in REQUIRED.get(kind, ())}
    optional = {k: v for k, v in fields.items() if k not in required}
    row = draw(st.fixed_dictionaries(required, optional=optional))
    if draw(st.integers(0, 15)) == 0:
        row[draw(st.sampled_from(sorted(fields)))] = draw(VALUES)
    if draw(st.integers(0, 30)) == 0 and row:
        del row[draw(st.sampled_from(sorted(row)))]
    return row


@st.composite
def folders(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name, table in FILES.items():
        if name != "run.toml" and draw(st.booleans()):
            continue
        if draw(st.integers(0, 30)) == 0:
            files[name] = draw(st.binary(max_size=20))
            continue
        if table:
            rows = st.lists(tables(table), max_size=3)
            doc: dict[str, Any] = {table: draw(rows if draw(st.integers(0, 19)) else VALUES)}
        else:
            doc = draw(tables(name))
        files[name] = tomli_w.dumps(doc).encode()
    return files


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(folders())
def test_any_folder_is_corrupt_or_readable_by_every_reader(files: dict[str, bytes]) -> None:
    try:
        data = RunData.from_files(files, FOLDER)
    except CorruptRun as exc:
        assert exc.folder == FOLDER and exc.exit_code == 2 and "\n" not in str(exc)
        return
    docs = schema.parse(FOLDER, files)
    summary = _summary(FOLDER, docs)
    json.loads(jsonout.dumps([run_dict(data), summary.to_dict()]),
               parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))
    for fmt in ("md", "html", "json"):
        report_of(data).render(fmt)
    audit_run(data)
    diff_runs(data, data).to_markdown()
    evaluate(parse_policy("[metrics.acc]\nmin = 0.5\n"), data)
    data.quarantine_reason  # noqa: B018 - reading it must not fail


def test_a_healthy_folder_reads() -> None:
    files = {"run.toml": b'project = "p"\nname = "r"\nstatus = "completed"\n'
                         b'started_at = "2025-01-01T00:00:00Z"\n',
             "metrics.toml": b'[[metrics]]\nid = "a"\nkey = "acc"\nvalue = 0.5\n'}
    assert RunData.from_files(files, FOLDER).latest_metrics() == {"acc": 0.5}
    assert RunData.from_files({"run.toml": b""}, FOLDER).name == "r"  # filled from the folder
