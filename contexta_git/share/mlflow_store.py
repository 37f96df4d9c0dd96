"""An MLflow store opened through MLflow's own client (the optional ``mlflow`` extra).

A tracking URI is a local ``mlruns`` folder (a path or ``file:`` URI), a SQLite database
(``sqlite:///path.db``) or anything else MLflow's client accepts (a tracking server's
URL). MLflow creates a store it is pointed at that does not exist; reading never should,
so a local folder or database must be there already.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from contexta_git.errors import InvalidValue

#: MLflow run status -> contexta-git's, and back
STATUS = {"FINISHED": "completed", "FAILED": "failed", "KILLED": "killed", "RUNNING": "running",
          "SCHEDULED": "scheduled"}
BACK = {ours: theirs for theirs, ours in STATUS.items()}


def tracking_uri(uri: str | None) -> str:
    """The URI to use: the given one, else MLFLOW_TRACKING_URI, else ``./mlruns``; a
    local folder as an absolute ``file:`` URI."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or "mlruns"
    if "://" not in uri and not uri.startswith("file:"):
        return Path(uri).resolve().as_uri()
    return uri


def local_path(uri: str) -> Path | None:
    """The folder or database file a local store lives in (None for a server)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "sqlite" and uri.startswith("sqlite:///"):
        return Path(unquote(uri[len("sqlite:///"):]))  # sqlite:////abs or sqlite:///relative
    return None


def client(uri: str | None, *, must_exist: bool = True) -> tuple[Any, str]:
    """An ``MlflowClient`` for the store and its URI; InvalidValue when MLflow is not
    installed or (``must_exist``) a local store is not there."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InvalidValue("MLflow is not installed: pip install 'contexta-git[mlflow]'") from None
    uri = tracking_uri(uri)
    path = local_path(uri)
    if must_exist and path is not None and not path.exists():
        kind = "database" if uri.startswith("sqlite") else "folder"
        raise InvalidValue(f"no MLflow store at {path}: no such {kind}")
    # MLflow draws a progress bar per artifact download on stderr: the import shows its own
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if uri.startswith("file:"):
        # MLflow 3 refuses its folder store unless asked; reading (or adding to) one that
        # is there is what this is for
        if not os.environ.get("MLFLOW_ALLOW_FILE_STORE"):
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    return MlflowClient(tracking_uri=uri), uri


def failure(uri: str, exc: Exception) -> InvalidValue:
    """An error of MLflow's client, as one line naming the store."""
    text = str(getattr(exc, "message", exc)).strip().splitlines()
    return InvalidValue(f"MLflow store {uri}: {text[0] if text else type(exc).__name__}")


def experiments(mlflow: Any, uri: str, names: tuple[str, ...]) -> list[Any]:
    """The experiments named (InvalidValue naming the first unknown one), or all."""
    if names:
        found = []
        for name in names:
            experiment = mlflow.get_experiment_by_name(name)
            if experiment is None:
                raise InvalidValue(f"no experiment named {name!r} in the MLflow store {uri}")
            found.append(experiment)
        return found
    return list(pages(lambda token: mlflow.search_experiments(page_token=token)))


def pages(fetch: Any) -> Any:
    """Every item of a paged MLflow listing."""
    token = None
    while True:
        page = fetch(token)
        yield from page
        token = page.token
        if not token:
            return
