"""Runs on the branch: apply changes to run folders, read runs back, resolve names."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from typing import Any

from contexta_git.core import records, schema
from contexta_git.core.time import now
from contexta_git.errors import (
    AmbiguousRun, CorruptRun, InvalidName, InvalidValue, RunExists, RunNotFound,
)
from contexta_git.git.repo import GitStore, View
from contexta_git.core.chunks import Block
from contexta_git.core.names import FORMAT, RunId, project_path
from contexta_git.store import quarantines, series

FORMAT_LINE = FORMAT.encode() + b"\n"


@dataclass
class RunChange:
    """What one commit does to one run folder.

    ``create``: True means the run must not exist yet, False that it must exist,
    None that either is fine.
    """

    run: RunId
    create: bool | None = None
    header: dict[str, Any] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    environment: bytes | None = None
    lockfile: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # other files of the run folder
    fresh_ids: bool = False  # ids are new random ones: skip reading the file for duplicates
    series: dict[tuple[str, str | None], Block] = field(default_factory=dict)  # (key, stage)
    ledger_only: bool = False  # a run no longer on the branch: only its quarantine ledger

    def add(self, filename: str, entry: dict[str, Any]) -> None:
        self.appends.setdefault(filename, []).append(entry)

    def is_empty(self) -> bool:
        return not (self.header or self.stages or any(self.appends.values())
                    or self.environment or self.lockfile or self.files or self.create
                    or any(block.values for block in self.series.values()))


class Runs:
    """The run-level view of one repository's runs branch."""

    def __init__(self, store: GitStore) -> None:
        self.store = store

    @classmethod
    def open(cls, repo: str | os.PathLike[str] | None = None) -> Runs:
        return cls(GitStore(repo or "."))

    # -- writing -------------------------------------------------------------------
    def apply(self, changes: Sequence[RunChange] | Callable[[View], Sequence[RunChange]],
              message: str, trailers: dict[str, str] | None = None) -> str | None:
        """Apply every change in one commit (all or nothing). ``changes`` may be a function
        of the tip, asked again on every attempt, for changes that depend on the state
        they change (a quarantine). The records are redacted as they become bytes
        (``records.dumps``), the message and trailers by the commit transaction itself."""
        plan = changes if callable(changes) else (lambda view: changes)
        return self.store.commit(lambda view: _build(view, plan(view)), message, trailers)

    # -- reading -------------------------------------------------------------------
    def view(self, at: str | None = None) -> View:
        return self.store.view(at)

    def exists(self, run: RunId, view: View | None = None) -> bool:
        return (view or self.view()).exists(f"{run.path}/{records.RUN}")

    def get(self, run: RunId, at: str | None = None) -> records.RunData:
        """Everything recorded for ``run``, its quarantine ledger included; CorruptRun
        names the file and the problem when its folder cannot be read."""
        view = self.view(at)
        if not view.exists(run.path):
            raise RunNotFound(run.ref, self._suggest(run.name))
        data = read_run(view, run.path)  # checked first: a corrupt folder is named as it is
        if view.exists(quarantines.ledger_path(run)):
            quarantines.check_ledger(view, run)
            files, subfolders = view.folder(run.path, schema.RECORD_FILES)
            data = records.RunData.from_files(quarantines.with_ledger(view, run, files),
                                              run.path, subfolders)
        return data

    def projects(self, view: View | None = None) -> list[str]:
        return sorted((view or self.view()).names("projects"))

    def ids(self, project: str | None = None, view: View | None = None) -> list[RunId]:
        view = view or self.view()
        found: list[RunId] = []
        for name in [project] if project else self.projects(view):
            base = f"projects/{name}/runs"
            for sub in view.names(base):
                for run in view.names(f"{base}/{sub}"):
                    try:
                        found.append(schema.check_folder(f"{base}/{sub}/{run}"))
                    except CorruptRun:  # an unreadable folder is no run to list or suggest
                        continue
        return sorted(found)

    def resolve(self, text: str, project: str | None = None) -> RunId:
        """``run:p.n`` (exactly that), ``p.n`` or a bare name that names exactly one run.

        Every reading is checked, one lookup each (a run's path follows from its
        project and name): ``bert.v2`` may be run ``v2`` of project ``bert`` or a run
        named ``bert.v2``; when both exist the reference is ambiguous, unless ``project``
        was given, which then decides. A run folder's path on the branch (as warnings
        print it) names that folder; a name no run answers to but an unreadable folder
        holds (an invalid name, the wrong shard) raises CorruptRun naming it.
        """
        view = self.view()
        if text.startswith("projects/"):
            return _folder(view, text)
        explicit = text.startswith("run:")
        body = text[4:] if explicit else text
        readings: list[tuple[str, str]] = []
        if "." in body:
            first, _, rest = body.partition(".")
            readings.append((first, rest))
        if not explicit:
            readings += [(project, body)] if project else [(p, body) for p in self.projects(view)]
        found: list[RunId] = []
        for project_name, name in readings:
            try:
                candidate = RunId(project_name, name)
            except InvalidName:
                continue
            if candidate not in found and self.exists(candidate, view):
                found.append(candidate)
        if project and _valid(project, body) and RunId(project, body) in found:
            return RunId(project, body)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousRun(text, [r.ref for r in found])
        for project_name, name in readings:
            for folder in _folders_named(view, project_name, name):
                if (found_problem := problem(view, folder)) is not None:
                    raise CorruptRun(*found_problem)
        raise RunNotFound(text, self._suggest(body, view))

    def _suggest(self, name: str, view: View | None = None) -> list[str]:
        ids = self.ids(view=view)
        by_name = {r.name: r.ref for r in ids} | {r.id: r.ref for r in ids}
        close = difflib.get_close_matches(name, list(by_name), n=3, cutoff=0.6)
        return sorted({by_name[c] for c in close})


def read_run(view: View, folder: str) -> records.RunData:
    """The run in ``folder`` at ``view``; CorruptRun when it cannot be read."""
    files, subfolders = view.folder(folder, schema.RECORD_FILES)
    return records.RunData.from_files(files, folder, subfolders)


def read_records(view: View, folder: str) -> dict[str, Any]:
    """The parsed, checked record files of ``folder`` (schema.parse); CorruptRun else."""
    return schema.parse(folder, *view.folder(folder, schema.PARSED))


def problem(view: View, folder: str) -> schema.RunProblem | None:
    """What makes the run folder ``folder`` unreadable at ``view``, or None."""
    try:
        read_records(view, folder)
    except CorruptRun as exc:
        return schema.RunProblem.of(exc)
    return None


def _folder(view: View, path: str) -> RunId:
    """The run of a folder path (or of a record file's path, as a warning names it);
    RunNotFound when there is no such folder."""
    path = path.rstrip("/")
    parent, _, leaf = path.rpartition("/")
    if path.count("/") == 5 and leaf in schema.RECORD_FILES:
        path = parent
    parts = path.split("/")
    if len(parts) != 5 or parts[2] != "runs" or "" in parts:
        raise InvalidValue(f"{path!r} is not a run folder (projects/<project>/runs/<shard>/<run>)")
    if not view.names(path):
        raise RunNotFound(path)
    return schema.check_folder(path)


def _folders_named(view: View, project: str, name: str) -> list[str]:
    """Folders called ``name`` in any shard of ``project``."""
    if "/" in f"{project}{name}" or {project, name} & {"", ".", ".."}:
        return []
    base = f"projects/{project}/runs"
    return [f"{base}/{sub}/{name}" for sub in view.names(base)
            if view.exists(f"{base}/{sub}/{name}")]


def _valid(project: str, name: str) -> bool:
    try:
        RunId(project, name)
    except InvalidName:
        return False
    return True


def _current(view: View, out: dict[str, bytes | None], folder: str, name: str) -> bytes | None:
    """A file of a run folder as this commit will leave it so far."""
    key = f"{folder}/{name}"
    return out[key] if key in out else view.read(key)


def _ledger(view: View, out: dict[str, bytes | None], run: RunId,
            events: list[dict[str, Any]]) -> dict[str, bytes]:
    marks = quarantines.marks(events)
    if not marks:
        return {}
    path = quarantines.ledger_path(run)
    kept = records.append(out.get(path, view.read(path)), quarantines.TABLE, marks)
    return {path: kept} if kept is not None else {}


def _build(view: View, changes: Iterable[RunChange]) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for change in changes:
        run, path = change.run, change.run.path
        if change.ledger_only:
            out.update(_ledger(view, out, run, change.appends.get(quarantines.EVENTS, [])))
            continue
        exists = view.exists(f"{path}/{records.RUN}")
        if change.create and exists:
            raise RunExists(run.ref)
        if change.create is False and not exists:
            raise RunNotFound(run.ref)
        project_file = f"{project_path(run.project)}/project.toml"
        if not view.exists(project_file) and project_file not in out:
            out[project_file] = records.dumps({"name": run.project, "created_at": now()})
        current = functools.partial(_current, view, out, path)
        if exists:  # CorruptRun: never build on what cannot be read
            schema.check_head(path, {n: current(n) for n in (records.RUN, records.STAGES)})

        if change.header or not exists:
            base = current(records.RUN)
            header = {"project": run.project, "name": run.name, **change.header}
            if base is None:
                header = {"status": "running", "started_at": now(), **header}
            out[f"{path}/{records.RUN}"] = records.merge_header(base, header)
        if change.stages:
            out[f"{path}/{records.STAGES}"] = records.upsert_stages(
                current(records.STAGES), change.stages)
        written = {n: out.get(f"{path}/{n}") for n in (records.RUN, records.STAGES)}
        schema.check_write(path, written, change.appends)  # never write what cannot be read
        for filename, entries in change.appends.items():
            table = records.APPEND[filename]
            known: set[str] | None = set() if change.fresh_ids else None
            new = records.append(current(filename), table, entries, known)
            if new is not None:
                out[f"{path}/{filename}"] = new
        # a quarantine or release is kept beside the run too: it outlives it
        out.update(_ledger(view, out, run, change.appends.get(quarantines.EVENTS, [])))
        flushed = series.flush(path, current(records.SERIES), change.series.values())
        if flushed:
            out.update(flushed)
            if view.read("FORMAT") != FORMAT_LINE:  # the branch now holds series chunks
                out["FORMAT"] = FORMAT_LINE
        if change.environment is not None:
            out[f"{path}/{records.ENVIRONMENT}"] = change.environment
        if change.lockfile is not None:
            out[f"{path}/{records.LOCK}"] = change.lockfile
        for name, data in change.files.items():
            out[f"{path}/{name}"] = data
    return out
