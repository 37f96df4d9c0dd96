"""Params, metrics and policy files as people write them: YAML 1.2, and text that is
not UTF-8 (exit 2 naming the file, nothing written)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.errors import InvalidValue
from contexta_git.record.inputs import read_mapping
from contexta_git.store.runs import Runs


@pytest.mark.parametrize(("text", "value"), [
    ("1e-3", 0.001), ("9e-1", 0.9), ("-2.5E+2", -250.0), ("no", "no"), ("yes", "yes"),
    ("on", "on"), ("off", "off"), ("y", "y"), ("0o17", 15), ("0x1F", 31), ("010", 10),
    ("1_000", "1_000"), (".inf", math.inf), ("-.Inf", -math.inf), ("true", True),
    ("False", False), ("~", None), ("null", None), ("2025-01-01", "2025-01-01"),
    ("'1e-3'", "1e-3"), ("12:30", "12:30"),
])
def test_yaml_follows_the_1_2_core_schema(tmp_path: Path, text: str, value: object) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(f"v: {text}\n")
    assert read_mapping(path) == {"v": value}
    assert type(read_mapping(path)["v"]) is type(value)


def test_yaml_nan_and_merge_keys(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text("base: &b {lr: 1e-3, depth: 3}\nmodel:\n  <<: *b\n  depth: 6\nx: .NaN\n")
    data = read_mapping(path)
    assert data["model"] == {"lr": 0.001, "depth": 6}
    assert math.isnan(data["x"])


def test_yaml_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("acc: 0.5\nacc: 0.9\n")
    with pytest.raises(InvalidValue, match=r"m.yaml: not valid YAML: duplicate key 'acc'"):
        read_mapping(path)


def test_yaml_1_2_through_the_cli(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("auc: 9e-1\nloss: 1e-3\n")
    (tmp_path / "p.yaml").write_text("lr: 1e-3\nshuffle: no\nmode: on\nbits: 0o17\n")
    result = CliRunner().invoke(cli, ["--repo", str(repo), "record", "-p", "p", "-n", "y",
                                      "--metrics-file", str(tmp_path / "m.yaml"),
                                      "--params-file", str(tmp_path / "p.yaml")])
    assert result.exit_code == 0, result.output
    run = Runs.open(repo).get(RunId("p", "y"))
    assert run.latest_metrics() == {"auc": 0.9, "loss": 0.001}
    assert run.params == {"lr": 0.001, "shuffle": "no", "mode": "on", "bits": 15}


@pytest.mark.parametrize(("option", "name", "content"), [
    ("--metrics-file", "m.yaml", b"acc: 0.9 # \xff\n"),
    ("--metrics-file", "m.json", b'{"acc": 0.9, "x": "\xfe"}'),
    ("--params-file", "p.toml", b'lr = "\xff"\n'),
    ("--params-file", "p.yaml", b"\xc3\x28: 1\n"),
])
def test_files_that_are_not_utf8(repo: Path, tmp_path: Path, branch_state, option: str,
                                 name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = branch_state()
    result = CliRunner().invoke(cli, ["--repo", str(repo), "record", "-p", "p", "-n", "u",
                                      "--metric", "loss=1", option, str(path)])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith(f"Error: {path}: not UTF-8 text: byte 0x") and "\n" not in line
    assert branch_state() == before


def test_policy_that_is_not_utf8(repo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--repo", str(repo), "record", "-p", "p", "-n", "g",
                               "--metric", "acc=1"]).exit_code == 0
    policy = tmp_path / "q.toml"
    policy.write_bytes(b"[metrics.acc]\nmin = 0.5 # \xff\n")
    result = runner.invoke(cli, ["--repo", str(repo), "gate", "g", "--policy", str(policy)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"Error: invalid policy {policy}: not UTF-8 text: "
                                     "byte 0xff at offset 26 cannot be decoded")


def test_run_whose_command_writes_a_non_utf8_metrics_file(repo: Path, tmp_path: Path) -> None:
    """The command's status is kept and the run ends failed, naming the file."""
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, [
        "--repo", str(repo), "run", "-p", "p", "-n", "w", "--metrics-file", str(out), "--",
        "sh", "-c", f"printf '\\377' > {out}"])
    assert result.exit_code == 0, result.output
    run = Runs.open(repo).get(RunId("p", "w"))
    assert run.status == "failed"
    assert [e.message for e in run.events if e.key == "metrics.invalid"] == [
        f"{out}: not UTF-8 text: byte 0xff at offset 0 cannot be decoded"]
