"""``export mlflow``: runs written into an MLflow store, for teams that want its UI too.

Each project becomes an experiment of the same name (created when missing; a run
imported from MLflow goes back to its experiment, ``mlflow.experiment``). A run keeps
its name (MLflow's own spelling, ``mlflow.runName``, for an imported one), start and end
times and status; params become MLflow params (text, as MLflow holds them); tags become
tags, the source ``mlflow.source.git.commit``, ``.branch`` and ``.repoURL``; every step
series is logged point by point with its steps and times (a series of a stage as
``<stage>/<key>``), single values at step 0 (or their own step) at the time they were
recorded. Keys an import had to rename (``import.renamed``) get their own spelling back.
The tag ``contexta.run`` names the run here: exporting again skips runs already in the
experiment, and so does a run imported from it (its ``mlflow.run_id`` is there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from contexta_git.core import progress
from contexta_git.core.records import RunData
from contexta_git.core.time import parse
from contexta_git.errors import InvalidValue
from contexta_git.share import mlflow_store
from contexta_git.share.imported import Outcome
from contexta_git.share.import_mlflow import EXPERIMENT, KEY, SOURCE
from contexta_git.store.runs import Runs
from contexta_git.store.series import every_point

TAG = "contexta.run"
LEFT_OUT = {KEY, EXPERIMENT}  # the import's: a run id of another store means nothing here
BATCH = 1000  # MLflow's limit on values per log_batch call (params: 100)


def export_mlflow(runs: Runs, tracking_uri: str | None = None,
                  projects: tuple[str, ...] = ()) -> Outcome:
    """Write every run of ``projects`` (default: all) not yet in the store."""
    view = runs.view()
    known = runs.projects(view)
    for project in projects:
        if project not in known:
            raise InvalidValue(f"no project named {project!r} in this repository")
    ids = [run for project in projects or tuple(known) for run in runs.ids(project, view)]
    client, uri = mlflow_store.client(tracking_uri, must_exist=False)
    from mlflow.exceptions import MlflowException

    exported: list[str] = []
    skipped: list[str] = []
    there: dict[str, tuple[str, set[str]]] = {}
    try:
        for done, run_id in enumerate(ids, 1):
            data = runs.get(run_id, view.commit_id)
            name = str(data.tags.get(EXPERIMENT) or run_id.project)
            if name not in there:
                there[name] = _experiment(client, name)
            experiment, present = there[name]
            if run_id.ref in present or data.tags.get(KEY) in present:
                skipped.append(run_id.ref)
            else:
                spelled = _spelling(data)
                _write(client, experiment, data, _points(view, run_id, spelled), spelled)
                present.add(run_id.ref)
                exported.append(run_id.ref)
            progress.report(done, len(ids), "runs")
    except MlflowException as exc:
        raise mlflow_store.failure(uri, exc) from exc
    return Outcome(tuple(exported), tuple(skipped))


def _experiment(client: Any, project: str) -> tuple[str, set[str]]:
    """The experiment's id and what it holds already (``contexta.run`` tags, run ids)."""
    experiment = client.get_experiment_by_name(project)
    if experiment is None:
        return client.create_experiment(project), set()
    present: set[str] = set()
    for run in mlflow_store.pages(lambda token: client.search_runs(
            [experiment.experiment_id], max_results=1000, page_token=token)):
        present.add(run.info.run_id)
        if TAG in run.data.tags:
            present.add(run.data.tags[TAG])
    return experiment.experiment_id, present


def _spelling(data: RunData) -> dict[str, str]:
    """Keys an import renamed to store them -> the source's own (``import.renamed``)."""
    found: dict[str, str] = {}
    for event in data.events:
        if event.key == "import.renamed":
            found.update({k: v for k, v in event.attributes.items() if isinstance(v, str)})
    return found


def _points(view: Any, run_id: Any, spelled: dict[str, str]) -> Iterator[tuple[str, float, int, int]]:
    for block in every_point(view, run_id):
        own = spelled.get(block.key, block.key)
        key = _name(own if block.stage is None else f"{block.stage}/{own}")
        for step, value, ms in zip(block.steps, block.values, block.times, strict=True):
            yield key, value, ms, step


def _write(client: Any, experiment: str, data: RunData,
           points: Iterator[tuple[str, float, int, int]], spelled: dict[str, str]) -> None:
    from mlflow.entities import Metric, Param

    tags = {spelled.get(k, k): _text(v) for k, v in data.tags.items() if k not in LEFT_OUT}
    tags.update({theirs: data.source[ours] for ours, theirs in SOURCE.items()
                 if data.source.get(ours)})
    tags[TAG] = data.ref
    if data.status not in mlflow_store.BACK:  # MLflow has no such status: ended, and noted
        tags["contexta.status"] = data.status
    run = client.create_run(experiment, start_time=_ms(data.started_at), tags=tags,
                            run_name=str(data.tags.get("mlflow.runName") or data.name))
    run_id = run.info.run_id
    params = [Param(spelled.get(k, k), _text(v)) for k, v in data.params.items()]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start:start + 100])
    metrics = [Metric(_name(m.key if m.stage is None else f"{m.stage}/{m.key}"), m.value,
                      _ms(m.observed_at) or 0, m.step or 0)
               for m in data.metrics if m.step is None]
    metrics += [Metric(key, value, ms, step) for key, value, ms, step in points]
    for start in range(0, len(metrics), BATCH):
        client.log_batch(run_id, metrics=metrics[start:start + BATCH])
    status = mlflow_store.BACK.get(data.status, "FINISHED")
    if status == "SCHEDULED":
        client.update_run(run_id, status=status)
    elif status != "RUNNING":
        client.set_terminated(run_id, status, _ms(data.ended_at))


def _name(key: str) -> str:
    """A metric key as MLflow allows it (letters, digits, ``_-. /``)."""
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", key)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else (
        str(value) if isinstance(value, (bool, int, float)) else
        json.dumps(value, sort_keys=True, default=str))


def _ms(moment: str | None) -> int | None:
    return None if not moment else round(parse(moment).timestamp() * 1000)
