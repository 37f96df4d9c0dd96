"""``import mlflow``: an MLflow store's runs, read through MLflow's client, as runs here.

Each experiment becomes a project (its name made storable). A run keeps its name, params,
tags (``mlflow.runName`` the name as MLflow spells it; ``mlflow.experiment`` the
experiment's), status, start and end times and every metric's full history (steps, values and
times, each metric a step series); ``mlflow.source.git.commit``, ``.branch`` and
``.repoURL`` become the run's source; input datasets keep their name, MLflow's digest
(``mlflow:<digest>``), source, context (as the split) and row count; artifacts are
downloaded one at a time and fingerprinted (sha256, size). The MLflow run id is kept in
the tag ``mlflow.run_id``: importing again skips the runs already here.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from contexta_git.record.fingerprint import fingerprint
from contexta_git.share import mlflow_store
from contexta_git.share.imported import Imported, Outcome, already, moment, storable, write
from contexta_git.store.runs import Runs

KEY = "mlflow.run_id"
EXPERIMENT = "mlflow.experiment"  # its name as MLflow spells it (the project's is storable)
SOURCE = {"commit": "mlflow.source.git.commit", "branch": "mlflow.source.git.branch",
          "remote": "mlflow.source.git.repoURL"}


def import_mlflow(runs: Runs, tracking_uri: str | None = None,
                  experiments: tuple[str, ...] = (), *, artifacts: bool = True) -> Outcome:
    """Import the runs of ``experiments`` (default: every active one) of the store."""
    client, uri = mlflow_store.client(tracking_uri)
    from mlflow.exceptions import MlflowException

    try:
        chosen = mlflow_store.experiments(client, uri, experiments)
        found = [(experiment, run) for experiment in chosen
                 for run in mlflow_store.pages(lambda token, e=experiment: client.search_runs(
                     [e.experiment_id], max_results=1000, page_token=token,
                     order_by=["attributes.start_time ASC"]))]  # the oldest keeps a shared name
        there: dict[str, str] = {}  # runs imported before: their histories are not read again
        for project in {storable(e.name, project=True) for e in chosen}:
            there.update(already(runs, project, KEY))
        new = [(e, run) for e, run in found if run.info.run_id not in there]
        converted = (_imported(e, run, _history(client, run), artifacts) for e, run in new)
        outcome = write(runs, converted, len(new), f"MLflow {uri}")
    except MlflowException as exc:
        raise mlflow_store.failure(uri, exc) from exc
    skipped = tuple(there[run.info.run_id] for _, run in found if run.info.run_id in there)
    return Outcome(outcome.written, skipped + outcome.skipped)


History = dict[str, list[tuple[int, float, int]]]  # metric key -> (step, value, time in ms)


def _history(client: Any, run: Any) -> History:
    """Every point of every metric of the run. MLflow's client takes about 50 ms to return
    1,000 points from SQLite on the development machine (an ORM object per point): most
    of an import's time."""
    return {key: [(m.step, m.value, m.timestamp)
                  for m in client.get_metric_history(run.info.run_id, key)]
            for key in run.data.metrics}


def _imported(experiment: Any, run: Any, history: History, artifacts: bool) -> Imported:
    info, data = run.info, run.data
    tags = dict(data.tags)
    found = Imported(storable(experiment.name, project=True),
                     info.run_name or tags.get("mlflow.runName") or info.run_id,
                     (KEY, info.run_id), mlflow_store.STATUS.get(info.status, info.status.lower()),
                     moment(info.start_time), moment(info.end_time))
    found.params = {found.key_of(k): v for k, v in data.params.items()}
    found.tags = {found.key_of(k): v for k, v in tags.items()}
    found.tags[EXPERIMENT] = experiment.name
    found.source = {ours: tags.get(theirs) for ours, theirs in SOURCE.items()}
    for key, points in history.items():
        found.add_series(key, points)
    inputs = getattr(run, "inputs", None)
    found.datasets = [_dataset(found, item) for item in getattr(inputs, "dataset_inputs", None) or []]
    if artifacts:
        found.artifacts = list(_artifacts(info.artifact_uri))
    return found


def _dataset(found: Imported, item: Any) -> dict[str, Any]:
    dataset = item.dataset
    context = {tag.key: tag.value for tag in item.tags or []}.get("mlflow.data.context")
    return {"name": found.key_of(dataset.name), "digest": f"mlflow:{dataset.digest}",
            "source": _loaded(dataset.source).get("uri", dataset.source) or None,
            "split": context, "rows": _loaded(dataset.profile).get("num_rows")}


def _loaded(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _artifacts(base: str) -> Iterator[dict[str, Any]]:
    """Every artifact file under the run's artifact URI, fingerprinted, one download at a
    time (through the repository MLflow picks for the URI: the client's own calls would
    read the run again for each folder)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repository = get_artifact_repository(base)
    folders: list[str | None] = [None]
    with tempfile.TemporaryDirectory() as tmp:
        while folders:
            for item in repository.list_artifacts(folders.pop()):
                if item.is_dir:
                    folders.append(item.path)
                    continue
                local = Path(repository.download_artifacts(item.path, tmp))
                yield {**fingerprint(local), "name": item.path, "path": f"{base}/{item.path}"}
                local.unlink()
