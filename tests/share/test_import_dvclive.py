"""``import dvclive``: a folder in DVCLive's documented layout, written here by hand
(metrics.json, params.yaml, plots/metrics/<key>.tsv), becomes one run, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.store import series
from contexta_git.store.runs import Runs

T0 = 1_700_000_000_000  # ms


def dvclive_folder(root: Path) -> Path:
    folder = root / "dvclive"
    plots = folder / "plots" / "metrics"
    (plots / "train").mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(
        {"train": {"loss": 0.25, "acc": 0.75}, "eval_auc": 0.8, "step": 2}))
    (folder / "params.yaml").write_text("lr: 0.01\nmodel:\n  depth: 3\n  name: mlp\n")
    (plots / "train" / "loss.tsv").write_text(
        "timestamp\tstep\tloss\n" + "".join(f"{T0 + 1000 * i}\t{i}\t{1 / (i + 1)}\n" for i in range(3)))
    (plots / "train" / "acc.tsv").write_text(
        "timestamp\tstep\tacc\n" + "".join(f"{T0 + 1000 * i + 5}\t{i}\t{0.25 * (i + 1)}\n"
                                           for i in range(3)))
    return folder


def _import(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "import", "dvclive", *args])
    return result.exit_code, result.output


def test_a_dvclive_folder_becomes_one_run(repo: Path, tmp_path: Path) -> None:
    folder = dvclive_folder(tmp_path)
    code, out = _import(repo, str(folder), "-p", "p", "-n", "first")
    assert code == 0, out
    assert out.splitlines()[-1] == "Imported 1 runs; 0 already there"
    runs = Runs.open(repo)
    data = runs.get(RunId("p", "first"))
    assert data.status == "completed"
    assert data.params == {"lr": 0.01, "model.depth": 3, "model.name": "mlp"}
    assert data.started_at == "2023-11-14T22:13:20.000000Z"
    assert data.ended_at == "2023-11-14T22:13:22.005000Z"
    assert len(str(data.tags["dvclive.digest"])) == 64
    assert {m.key: m.value for m in data.metrics} == {"eval_auc": 0.8}  # plotted ones are series
    blocks = list(series.points(runs.view(), RunId("p", "first"), "train/loss"))
    assert [s for b in blocks for s in b.steps] == [0, 1, 2]
    assert [v for b in blocks for v in b.values] == [1.0, 0.5, 1 / 3]
    assert [t for b in blocks for t in b.times] == [T0, T0 + 1000, T0 + 2000]
    assert data.series_summaries()["train/acc"].last == 0.75


def test_importing_the_same_folder_again_changes_nothing(
        repo: Path, tmp_path: Path, branch_state: Callable[[], tuple[str | None, int]]) -> None:
    folder = dvclive_folder(tmp_path)
    assert _import(repo, str(folder), "-p", "p")[0] == 0
    before = branch_state()
    code, out = _import(repo, str(folder), "-p", "p", "--json")
    assert code == 0, out
    assert json.loads(out)["imported"] == [] and len(json.loads(out)["skipped"]) == 1
    assert branch_state() == before
    (folder / "plots" / "metrics" / "train" / "loss.tsv").open("a").write(f"{T0 + 3000}\t3\t0.2\n")
    code, out = _import(repo, str(folder), "-p", "p")
    assert code == 0 and out.startswith("Imported run:p.dvclive-")  # changed: a new run
    assert len(Runs.open(repo).ids()) == 2


@pytest.mark.parametrize(("damage", "message"), [
    (lambda f: None, "Error: no DVCLive folder at {missing}: no such folder"),
    (lambda f: (f / "plots/metrics/train/loss.tsv").write_text("step,loss\n0,1\n"),
     "Error: {folder}/plots/metrics/train/loss.tsv is not a DVCLive series: its header must "
     "be timestamp, step and the metric, tab-separated"),
    (lambda f: (f / "plots/metrics/train/acc.tsv").write_text("timestamp\tstep\tacc\n1\t0\tx\n"),
     "Error: {folder}/plots/metrics/train/acc.tsv, line 2: not a timestamp, step and number"),
    (lambda f: (f / "metrics.json").write_text("[1]"), "Error: {folder}/metrics.json must hold a "
     "JSON object"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
        repo: Path, tmp_path: Path, damage: Callable[[Path], object], message: str,
        branch_state: Callable[[], tuple[str | None, int]]) -> None:
    folder = dvclive_folder(tmp_path)
    damage(folder)
    missing = tmp_path / "nowhere"
    target = missing if "no such folder" in message else folder
    code, out = _import(repo, str(target), "-p", "p")
    assert code == 2
    assert out == message.format(folder=folder, missing=missing) + "\n"
    assert branch_state() == (None, 0)


def test_an_empty_folder_is_refused(repo: Path, tmp_path: Path) -> None:
    code, out = _import(repo, str(tmp_path), "-p", "p")
    assert code == 2
    assert out.startswith(f"Error: {tmp_path} holds no metrics.json, params.yaml or plots/metrics")
