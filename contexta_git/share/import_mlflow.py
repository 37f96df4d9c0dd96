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
from contexta_git.share.imported import Imported, Outcome, moment, storable, write
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
    except MlflowException as exc:
        raise mlflow_store.failure(uri, exc) from exc
    converted = (_imported(client, experiment, run, artifacts) for experiment, run in found)
    return write(runs, converted, len(found), f"MLflow {uri}")


def _imported(client: Any, experiment: Any, run: Any, artifacts: bool) -> Imported:
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
    for key in data.metrics:
        history = client.get_metric_history(info.run_id, key)
        found.add_series(key, ((m.step, m.value, m.timestamp) for m in history))
    inputs = getattr(run, "inputs", None)
    found.datasets = [_dataset(found, item) for item in getattr(inputs, "dataset_inputs", None) or []]
    if artifacts:
        found.artifacts = list(_artifacts(client, info.run_id, info.artifact_uri))
    return found


def _dataset(found: Imported, item: Any) -> dict[str, Any]:
    dataset = item.dataset
    context = {tag.key: tag.value for tag in item.tags or []}.get("mlflow.data.context")
    return {"name": found.key_of(dataset.name, "dataset"), "digest": f"mlflow:{dataset.digest}",
            "source": _loaded(dataset.source).get("uri", dataset.source) or None,
            "split": context, "rows": _loaded(dataset.profile).get("num_rows")}


def _loaded(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _artifacts(client: Any, run_id: str, base: str) -> Iterator[dict[str, Any]]:
    """Every artifact file of the run, fingerprinted, one download at a time."""
    folders: list[str | None] = [None]
    with tempfile.TemporaryDirectory() as tmp:
        while folders:
            for item in client.list_artifacts(run_id, folders.pop()):
                if item.is_dir:
                    folders.append(item.path)
                    continue
                local = Path(client.download_artifacts(run_id, item.path, tmp))
                yield {**fingerprint(local), "name": item.path, "path": f"{base}/{item.path}"}
                local.unlink()
