"""Runs brought in from another tracker, written many to a commit and each only once.

An imported run keeps the other tracker's id for it in a tag (``mlflow.run_id``,
``dvclive.digest``): a run whose id is already among the tags of its project is skipped,
so importing again adds only what is new, and an import that stopped midway is finished
by running it again. Names that contexta-git cannot store are made storable (every
other character becomes ``-``); keys likewise (``_``), each renaming noted in an
``import.renamed`` event.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contexta_git.analysis.listing import run_summaries
from contexta_git.core import progress
from contexta_git.core.chunks import Block
from contexta_git.core.names import RunId
from contexta_git.core.time import stamp
from contexta_git.errors import InvalidName
from contexta_git.record.inputs import plain_table
from contexta_git.record.run import new_id
from contexta_git.store.runs import RunChange, Runs

BATCH = 50  # runs per commit


@dataclass
class Imported:
    """One run of another tracker, as it will be recorded."""

    project: str  # already storable (:func:`storable`)
    name: str
    key: tuple[str, str]  # the tag that holds the source's id for the run, and that id
    status: str = "completed"
    started_at: str | None = None
    ended_at: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # single values, no step
    series: list[Block] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # stored key -> the source's
    dropped: dict[str, int] = field(default_factory=dict)  # series key -> points not finite

    def key_of(self, raw: str) -> str:
        """``raw`` as a storable metric, param or tag key (the renaming noted)."""
        clean = re.sub(r"[^A-Za-z0-9_.:/@-]", "_", raw)[:200] or "_"
        clean = clean.replace("..", "_.")
        if not re.match(r"[A-Za-z0-9_]", clean):
            clean = "_" + clean[:199]
        if clean != raw:
            self.renamed[clean] = raw
        return clean

    def add_series(self, raw: str, points: Iterable[tuple[int, float, int]]) -> None:
        """A step series from (step, value, time in ms) points, ordered by step and then
        time (MLflow's order: its latest value is the last); values that are not finite
        numbers are left out and counted."""
        block = Block(self.key_of(raw), None)
        for step, value, ms in sorted(points, key=lambda p: (p[0], p[2])):  # by step, then time
            if isinstance(value, (int, float)) and math.isfinite(value):
                block.steps.append(int(step))
                block.values.append(float(value))
                block.times.append(int(ms))
            else:
                self.dropped[block.key] = self.dropped.get(block.key, 0) + 1
        if block.values:
            self.series.append(block)


@dataclass(frozen=True)
class Outcome:
    written: tuple[str, ...]  # run references, in the order written
    skipped: tuple[str, ...]  # already there (same source id)


def moment(ms: int | float | None) -> str | None:
    """A time in milliseconds since 1970 in the stored format."""
    return None if ms is None else stamp(datetime.fromtimestamp(ms / 1000, UTC))


def storable(text: str, *, project: bool = False) -> str:
    """``text`` as a project or run name: other characters become ``-``."""
    allowed = r"[^A-Za-z0-9_-]" if project else r"[^A-Za-z0-9._-]"
    clean = re.sub(allowed, "-", text).strip("-._").replace("..", "-")
    clean = clean[:64 if project else 128].rstrip(".")
    return clean or "imported"


def write(runs: Runs, found: Iterable[Imported], total: int | None, what: str) -> Outcome:
    """Record every run not yet imported, ``BATCH`` runs a commit; progress reported."""
    known: dict[tuple[str, str, str], str] = {}
    seen_projects: set[tuple[str, str]] = set()
    imported: list[str] = []
    skipped: list[str] = []
    batch: list[RunChange] = []
    taken: set[RunId] = set()
    done = 0
    for run in found:
        if (run.project, run.key[0]) not in seen_projects:
            seen_projects.add((run.project, run.key[0]))
            known.update({(run.project, run.key[0], value): ref
                          for value, ref in already(runs, run.project, run.key[0]).items()})
        there = known.get((run.project, *run.key))
        if there is not None:
            skipped.append(there)
        else:
            change = _change(run, _free_name(runs, run, taken))
            taken.add(change.run)
            batch.append(change)
            imported.append(change.run.ref)
            known[(run.project, *run.key)] = change.run.ref
        done += 1
        if len(batch) >= BATCH:
            _commit(runs, batch, what)
        progress.report(done, total, what)
    _commit(runs, batch, what)
    return Outcome(tuple(imported), tuple(skipped))


def already(runs: Runs, project: str, tag: str) -> dict[str, str]:
    """The source ids ``project``'s runs hold in ``tag``, and those runs' references."""
    if project not in runs.projects():
        return {}
    return {value: summary.ref for summary in run_summaries(runs.view(), project)
            if isinstance(value := summary.tags.get(tag), str)}


def _free_name(runs: Runs, run: Imported, taken: set[RunId]) -> RunId:
    """The run's own name, or with the source's id appended when another run has it."""
    view = runs.view()
    base = storable(run.name)
    for name in (base, f"{base[:110]}-{storable(run.key[1])[:16]}", storable(run.key[1])):
        try:
            candidate = RunId(run.project, name)
        except InvalidName:
            continue
        if candidate not in taken and not runs.exists(candidate, view):
            return candidate
    raise InvalidName("run", base, f"taken, and so is {base}-{run.key[1]}")


def _change(run: Imported, run_id: RunId) -> RunChange:
    change = RunChange(run_id, create=True, fresh_ids=True)
    header: dict[str, Any] = {"status": run.status, "params": plain_table(run.params, "param"),
                              "tags": plain_table({**run.tags, run.key[0]: run.key[1]}, "tag"),
                              "source": {k: v for k, v in run.source.items() if v is not None}}
    header.update({k: v for k, v in (("started_at", run.started_at), ("ended_at", run.ended_at))
                   if v is not None})
    change.header.update(header)
    for key, value in run.metrics.items():
        entry = {"id": new_id(), "key": key, "value": value,
                 "observed_at": run.ended_at or run.started_at}
        change.add("metrics.toml", {k: v for k, v in entry.items() if v is not None})
    for block in run.series:
        change.series[(block.key, None)] = block
    for table, entries in (("datasets.toml", run.datasets), ("artifacts.toml", run.artifacts)):
        for entry in entries:
            change.add(table, {"id": new_id(), **{k: v for k, v in entry.items() if v is not None}})
    notes = [("import.renamed", "keys renamed to be storable", run.renamed),
             ("import.dropped", "points that were not finite numbers left out", run.dropped)]
    for key, message, attributes in notes:
        if attributes:
            change.add("events.toml", {"id": new_id(), "key": key, "level": "warning",
                                       "message": message, "attributes": attributes})
    return change


def _commit(runs: Runs, batch: list[RunChange], what: str) -> None:
    if batch:
        names = batch[0].run.ref if len(batch) == 1 else f"{len(batch)} runs"
        runs.apply(list(batch), f"import {names} from {what}")
        batch.clear()
