"""reproduce: a dirty run's code byte for byte, its environment from its pylock.toml, its
command run again as a new run linked to it, and every gap named."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.record import capture, kept, venv
from contexta_git.record.oneshot import DataFile, run_command
from contexta_git.record.reproduce import reproduce
from contexta_git.store.runs import Runs
from tests.conftest import git
from tests.record.test_installable_lock import _packages, published  # noqa: F401

TRAIN = """import json, pathlib
rows = pathlib.Path("data.csv").read_text().split()
json.dump({"acc": ACC, "rows": len(rows)}, open("metrics.json", "w"))
"""


def _recorded(repo: Path, published: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Runs, Path]:  # noqa: F811
    """A run of train.py recorded with uncommitted edits, in an environment holding tinydep."""
    (repo / "train.py").write_text(TRAIN.replace("ACC", "0.5"))
    (repo / "data.csv").write_text("x\n1\n2\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "train")
    (repo / "train.py").write_text(TRAIN.replace("ACC", "0.75") + "# tuned by hand\n")
    env = venv.create(published / "first")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env), "install", "-q", "tinydep"],
                   check=True)
    lock = capture.lockfile_at([venv.site_of(env)], ".".join(map(str, sys.version_info[:3])))
    monkeypatch.chdir(repo)
    runs = Runs.open(repo)
    done = run_command(runs, "p", "r", ["python", "train.py"], metrics_file="metrics.json",
                       datasets=[DataFile("train", "data.csv")], params={"seed": 1},
                       artifacts=["metrics.json"], cwd=repo, python=env, lockfile=lock)
    assert done.exit_code == 0 and done.run.latest_metrics()["acc"] == 0.75
    return runs, env


def test_a_dirty_run_is_rebuilt_byte_for_byte(repo: Path, published: Path,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    runs, env = _recorded(repo, published, monkeypatch)
    data = runs.get(RunId("p", "r"))
    assert data.source["dirty"] and data.source["patch"] == "stored"
    patch = runs.view().read(f"{RunId('p', 'r').path}/{kept.PATCH_FILE}")
    assert hashlib.sha256(patch).hexdigest() == data.source["diff_sha256"]

    done = reproduce(runs, "r", published / "again")
    assert done.gaps == () and done.patched
    for name in ("train.py", "data.csv"):
        assert (done.code / name).read_bytes() == (repo / name).read_bytes()
    assert git(done.code, "rev-parse", "HEAD").stdout.strip() == data.source["commit"]
    assert _packages(done.python) == _packages(env) == {"tinydep": "1.0"}
    assert done.command == "python train.py" and done.params == {"seed": 1}


def test_reproduce_run_records_a_linked_run_and_diffs_it(repo: Path, published: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    runs, _ = _recorded(repo, published, monkeypatch)
    result = CliRunner().invoke(cli, ["--repo", str(repo), "reproduce", "r", "--dir",
                                      str(published / "again"), "--run"])
    assert result.exit_code == 0, result.output
    assert "Ran it again as run:p.r-repro: exit 0" in result.output
    assert "Everything recorded was reproduced." in result.output
    again = runs.get(RunId("p", "r-repro"))
    assert again.tags["reproduces"] == "run:p.r"
    assert again.latest_metrics() == runs.get(RunId("p", "r")).latest_metrics()
    assert again.packages == {"tinydep": "1.0"}
    first = runs.get(RunId("p", "r"))
    # the same dataset file and the same artifact bytes
    assert [d.sha256 for d in again.datasets] == [d.sha256 for d in first.datasets]
    assert [a.sha256 for a in again.artifacts] == [a.sha256 for a in first.artifacts] != [None]
    # the worktree is clean apart from the applied patch: the new run kept the same patch
    assert again.source["commit"] == runs.get(RunId("p", "r")).source["commit"]
    assert again.source["diff_sha256"] == runs.get(RunId("p", "r")).source["diff_sha256"]


def test_what_cannot_be_reproduced_is_named(repo: Path, published: Path,  # noqa: F811
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "blob.bin").write_bytes(b"\0\1\2")
    git(repo, "add", "blob.bin")
    git(repo, "commit", "-q", "-m", "binary")
    (repo / "blob.bin").write_bytes(b"\0\1\3")
    outside = published / "outside.csv"
    outside.write_text("a\n")
    runs = Runs.open(repo)
    monkeypatch.chdir(repo)
    run_command(runs, "p", "s", [sys.executable, "-c", "pass"],
                datasets=[DataFile("extra", str(outside))])
    outside.write_text("b\n")
    done = reproduce(runs, "s", published / "again")
    gaps = "\n".join(done.gaps)
    assert "binary file blob.bin was changed but not kept" in gaps
    assert f"dataset extra: {outside} differs from the recorded sha256" in gaps
    assert "not installed" in gaps  # this test's own environment has packages no wheel holds
    result = CliRunner().invoke(cli, ["--repo", str(repo), "reproduce", "s", "--dir",
                                      str(published / "third")])
    assert result.exit_code == 1 and "Cannot reproduce" in result.output


def test_a_secret_in_the_change_is_redacted_and_said(repo: Path) -> None:
    (repo / "train.py").write_text("API_KEY = 'ghp_" + "a1" * 18 + "'\n")
    runs = Runs.open(repo)
    run_command(runs, "p", "k", [sys.executable, "-c", "pass"])
    data = runs.get(RunId("p", "k"))
    patch = runs.view().read(f"{RunId('p', 'k').path}/{kept.PATCH_FILE}")
    assert data.source["patch"] == "redacted" and b"ghp_" not in patch


def test_a_folder_in_use_is_refused_and_nothing_is_written(repo: Path, tmp_path: Path) -> None:
    runs = Runs.open(repo)
    run_command(runs, "p", "t", [sys.executable, "-c", "pass"])
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("mine")
    result = CliRunner().invoke(cli, ["--repo", str(repo), "reproduce", "t", "--dir", str(busy)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: {busy} exists and is not an empty folder"
    assert sorted(p.name for p in busy.iterdir()) == ["x"]
    assert git(repo, "worktree", "list").stdout.count("\n") == 1


def test_a_patch_over_the_cap_is_not_kept_and_reproduce_says_so(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kept, "PATCH_CAP", 64)
    (repo / "train.py").write_text("print('a much longer training script than before')\n" * 3)
    runs = Runs.open(repo)
    run_command(runs, "p", "big", [sys.executable, "-c", "pass"])
    data = runs.get(RunId("p", "big"))
    assert data.source["patch"] == "too-large" and data.source["patch_bytes"] > 64
    assert runs.view().read(f"{RunId('p', 'big').path}/{kept.PATCH_FILE}") is None
    done = reproduce(runs, "big", tmp_path / "again")
    assert any("the uncommitted change (over the 64 byte cap) is missing" in g for g in done.gaps)


def test_the_project_lock_files_are_kept(repo: Path) -> None:
    (repo / "uv.lock").write_text("version = 1\n")
    (repo / "requirements.txt").write_text("tinydep==1.0 --hash=sha256:" + "0" * 64 + "\n")
    (repo / "requirements-dev.txt").write_text("pytest\n")  # no hashes: not a lock
    runs = Runs.open(repo)
    run_command(runs, "p", "locked", [sys.executable, "-c", "pass"])
    folder = RunId("p", "locked").path
    assert runs.view().read(f"{folder}/locks/uv.lock") == b"version = 1\n"
    assert runs.view().read(f"{folder}/locks/requirements.txt").startswith(b"tinydep==1.0")
    assert runs.view().read(f"{folder}/locks/requirements-dev.txt") is None
    assert git(repo, "fsck", "--strict").returncode == 0
