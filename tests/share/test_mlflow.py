"""``import mlflow`` and ``export mlflow`` against real MLflow stores (a local mlruns
folder and a SQLite database) written with MLflow's own client.

Skipped where MLflow is not installed, except where CONTEXTA_GIT_REQUIRE_MLFLOW=1 (CI
installs the ``mlflow`` extra and sets it): there a missing MLflow fails."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core import progress
from contexta_git.core.names import RunId
from contexta_git.record.run import start_run
from contexta_git.store import series
from contexta_git.store.runs import Runs

if os.environ.get("CONTEXTA_GIT_REQUIRE_MLFLOW") == "1":
    import mlflow  # a missing MLflow fails here
else:
    mlflow = pytest.importorskip("mlflow", reason="MLflow is not installed (pip install "
                                 "'contexta-git[mlflow]'; CI requires it)")

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param

T0 = 1_700_000_000_000  # ms
LOSS = [(0, 1.0, T0), (1, 0.5, T0 + 10), (1, 0.45, T0 + 20), (5, 0.125, T0 + 30)]


def build_store(uri: str, tmp: Path) -> dict[str, str]:
    """Two experiments: 'vision models' with three runs (two named alike, one failed, one
    killed) and 'other' with one. Returns run ids by role."""
    client = MlflowClient(uri)
    # artifacts in the test's folder (a database store's default is ./mlruns of the cwd)
    vision = client.create_experiment("vision models", (tmp / "artifacts").as_uri())
    other = client.create_experiment("other", (tmp / "artifacts").as_uri())
    ids = {}
    first = client.create_run(vision, start_time=T0, run_name="resnet run", tags={
        "team": "cv", "mlflow.source.git.commit": "a" * 40, "mlflow.source.git.branch": "main",
        "mlflow.source.git.repoURL": "https://example.com/repo.git"})
    ids["first"] = run_id = first.info.run_id
    client.log_batch(run_id, params=[Param("lr", "0.1"), Param("batch size", "32")],
                     metrics=[Metric("loss", v, t, s) for s, v, t in LOSS]
                     + [Metric("acc", 0.9, T0 + 40, 0), Metric("nan metric", math.nan, T0, 0),
                        Metric("nan metric", 2.0, T0 + 1, 1)])
    digest_input = DatasetInput(Dataset("train-set", "d1g3st", "s3", '{"uri": "s3://b/train.csv"}',
                                        profile='{"num_rows": 120}'),
                                [InputTag("mlflow.data.context", "training")])
    client.log_inputs(run_id, [digest_input])
    model = tmp / "model.bin"
    model.write_bytes(b"weights" * 100)
    client.log_artifact(run_id, str(model), "model")
    client.set_terminated(run_id, "FINISHED", T0 + 60_000)
    for role, status in (("failed", "FAILED"), ("killed", "KILLED")):
        run = client.create_run(vision, start_time=T0 + 1, run_name="resnet run")
        client.log_metric(run.info.run_id, "loss", 3.0, T0 + 2, 0)
        client.set_terminated(run.info.run_id, status, T0 + 3)
        ids[role] = run.info.run_id
    run = client.create_run(other, start_time=T0, run_name="solo")
    client.log_param(run.info.run_id, "depth", "4")
    client.set_terminated(run.info.run_id, "FINISHED", T0 + 5)
    ids["solo"] = run.info.run_id
    return ids


@pytest.fixture(scope="module", params=["folder", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[str, dict[str, str]]:
    tmp = tmp_path_factory.mktemp(f"mlflow-{request.param}")
    uri = (tmp / "mlruns").as_uri() if request.param == "folder" else f"sqlite:///{tmp}/mlflow.db"
    if request.param == "folder":
        (tmp / "mlruns").mkdir()
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 asks for it
    return uri, build_store(uri, tmp)


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def _series(runs: Runs, run: RunId, key: str) -> list[tuple[int, float, int]]:
    return [point for block in series.points(runs.view(), run, key)
            for point in zip(block.steps, block.values, block.times, strict=True)]


def test_an_mlflow_store_is_imported_whole(repo: Path, store: tuple[str, dict[str, str]]) -> None:
    uri, ids = store
    code, out = invoke(repo, "import", "mlflow", "--tracking-uri", uri)
    assert code == 0, out
    assert out.splitlines()[-1] == "Imported 4 runs; 0 already there"
    runs = Runs.open(repo)
    assert runs.projects() == ["other", "vision-models"]
    by_source = {runs.get(r).tags["mlflow.run_id"]: runs.get(r) for r in runs.ids()}
    first = by_source[ids["first"]]
    assert (first.project, first.name, first.status) == ("vision-models", "resnet-run", "completed")
    assert first.tags["mlflow.runName"] == "resnet run"
    assert first.tags["mlflow.experiment"] == "vision models"
    assert first.tags["team"] == "cv"
    assert first.params == {"lr": "0.1", "batch_size": "32"}
    assert (first.started_at, first.ended_at) == ("2023-11-14T22:13:20.000000Z",
                                                  "2023-11-14T22:14:20.000000Z")
    assert first.source == {"commit": "a" * 40, "branch": "main",
                            "remote": "https://example.com/repo.git"}
    here = RunId(first.project, first.name)
    assert _series(runs, here, "loss") == LOSS  # every point, the repeated step included
    assert _series(runs, here, "acc") == [(0, 0.9, T0 + 40)]
    assert _series(runs, here, "nan_metric") == [(1, 2.0, T0 + 1)]
    notes = {e.key: e.attributes for e in first.events}
    assert notes["import.dropped"] == {"nan_metric": 1}
    assert notes["import.renamed"] == {"batch_size": "batch size", "nan_metric": "nan metric"}
    (dataset,) = first.datasets
    assert (dataset.name, dataset.digest, dataset.source, dataset.split, dataset.rows) == (
        "train-set", "mlflow:d1g3st", "s3://b/train.csv", "training", 120)
    (artifact,) = first.artifacts
    assert artifact.name == "model/model.bin"
    assert artifact.sha256 == hashlib.sha256(b"weights" * 100).hexdigest()
    assert artifact.size == 700
    statuses = {by_source[ids[r]].name: by_source[ids[r]].status for r in ("failed", "killed")}
    assert sorted(statuses.values()) == ["failed", "killed"]
    assert all(n.startswith("resnet-run-") for n in statuses)  # the name was taken: id appended
    assert by_source[ids["solo"]].params == {"depth": "4"}


def test_importing_again_changes_nothing(repo: Path, store: tuple[str, dict[str, str]],
                                         branch_state: Callable[[], tuple[str | None, int]]) -> None:
    uri, _ = store
    assert invoke(repo, "import", "mlflow", "--tracking-uri", uri, "--experiment", "other")[0] == 0
    before = branch_state()
    code, out = invoke(repo, "import", "mlflow", "--tracking-uri", uri, "--experiment", "other",
                       "--json")
    assert code == 0, out
    assert json.loads(out) == {"imported": [], "skipped": ["run:other.solo"]}
    assert branch_state() == before
    reports: list[tuple[int, int | None, str]] = []
    token = progress.REPORTER.set(lambda done, total, what: reports.append((done, total, what)))
    try:
        from contexta_git.share.import_mlflow import import_mlflow
        outcome = import_mlflow(Runs.open(repo), uri, artifacts=False)
    finally:
        progress.REPORTER.reset(token)
    assert len(outcome.written) == 3 and outcome.skipped == ("run:other.solo",)
    assert [r[:2] for r in reports] == [(1, 3), (2, 3), (3, 3)]  # the runs still to import


@pytest.mark.parametrize(("args", "message"), [
    (["--tracking-uri", "{tmp}/nowhere"], "Error: no MLflow store at {tmp}/nowhere: no such folder"),
    (["--tracking-uri", "sqlite:///{tmp}/none.db"],
     "Error: no MLflow store at {tmp}/none.db: no such database"),
    (["--tracking-uri", "{uri}", "--experiment", "other", "--experiment", "nope"],
     "Error: no experiment named 'nope' in the MLflow store {uri}"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
        repo: Path, tmp_path: Path, store: tuple[str, dict[str, str]], args: list[str], message: str,
        branch_state: Callable[[], tuple[str | None, int]]) -> None:
    values = {"tmp": tmp_path, "uri": store[0]}
    code, out = invoke(repo, "import", "mlflow", *(a.format(**values) for a in args))
    assert (code, out) == (2, message.format(**values) + "\n")
    assert branch_state() == (None, 0)
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "none.db").exists()


def _history(client: Any, run_id: str, key: str) -> list[tuple[int, float, int]]:
    return sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, key))


def test_a_round_trip_keeps_params_histories_and_tags(
        repo: Path, tmp_path: Path, store: tuple[str, dict[str, str]]) -> None:
    uri, ids = store
    assert invoke(repo, "import", "mlflow", "--tracking-uri", uri)[0] == 0
    out_uri = f"sqlite:///{tmp_path}/out.db"
    code, out = invoke(repo, "export", "mlflow", "--tracking-uri", out_uri)
    assert code == 0, out
    assert out.splitlines()[-1] == "Exported 4 runs; 0 already there"
    source, target = MlflowClient(uri), MlflowClient(out_uri)
    for role, run_id in ids.items():
        before = source.get_run(run_id)
        experiment = source.get_experiment(before.info.experiment_id).name
        (after,) = target.search_runs([target.get_experiment_by_name(experiment).experiment_id],
                                      f"tags.`mlflow.runName` = '{before.info.run_name}' and "
                                      f"attributes.status = '{before.info.status}'")
        assert after.data.params == before.data.params, role
        tags = {k: v for k, v in after.data.tags.items() if k != "contexta.run"}
        assert tags == before.data.tags, role
        assert (after.info.start_time, after.info.end_time) == (before.info.start_time,
                                                                before.info.end_time)
        for key in before.data.metrics:
            kept = [p for p in _history(source, run_id, key) if math.isfinite(p[1])]
            assert _history(target, after.info.run_id, key) == kept, (role, key)
    code, out = invoke(repo, "export", "mlflow", "--tracking-uri", out_uri)
    assert out.splitlines()[-1] == "Exported 0 runs; 4 already there"
    code, out = invoke(repo, "export", "mlflow", "--tracking-uri", uri)  # back where they came from
    assert out.splitlines()[-1] == "Exported 0 runs; 4 already there"


def test_a_recorded_run_is_exported_with_its_series_and_values(repo: Path, tmp_path: Path) -> None:
    with start_run("native", project="p", repo=repo, params={"depth": 3, "use_bn": True},
                   tags={"owner": "ana"}, capture_environment=False) as run:
        for step in range(3):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        with run.stage("evaluate"):
            run.log_metrics({"auc": 0.75})
    uri = f"sqlite:///{tmp_path}/out.db"
    assert invoke(repo, "export", "mlflow", "--tracking-uri", uri, "-p", "p")[0] == 0
    client = MlflowClient(uri)
    (exported,) = client.search_runs([client.get_experiment_by_name("p").experiment_id])
    assert exported.info.run_name == "native" and exported.info.status == "FINISHED"
    assert exported.data.params == {"depth": "3", "use_bn": "True"}
    assert exported.data.tags["owner"] == "ana"
    assert exported.data.tags["contexta.run"] == "run:p.native"
    assert [(s, v) for s, v, _ in _history(client, exported.info.run_id, "loss")] == [
        (0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert exported.data.metrics["evaluate/auc"] == 0.75


def test_export_refuses_an_unknown_project_before_writing(repo: Path, tmp_path: Path) -> None:
    code, out = invoke(repo, "export", "mlflow", "--tracking-uri", f"sqlite:///{tmp_path}/o.db",
                       "-p", "nope")
    assert (code, out) == (2, "Error: no project named 'nope' in this repository\n")
    assert not (tmp_path / "o.db").exists()


def test_without_mlflow_the_commands_say_what_to_install(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    code, out = invoke(repo, "import", "mlflow", "--tracking-uri", str(tmp_path))
    assert (code, out) == (2, "Error: MLflow is not installed: pip install 'contexta-git[mlflow]'\n")
