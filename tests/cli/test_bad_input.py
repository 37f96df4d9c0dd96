"""Bad input: one clear line, a non-zero exit, the ref unmoved and no new objects reachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli

from tests.conftest import git


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output.strip()


def record(repo: Path, name: str, *extra: str) -> tuple[int, str]:
    return invoke(repo, "record", "--project", "p", "--name", name, "--no-environment", *extra)


@pytest.fixture
def seeded(repo: Path) -> Path:
    code, out = record(repo, "first", "--metric", "acc=0.5")
    assert code == 0, out
    return repo


@pytest.mark.parametrize("name, reason", [
    ("../x", "must not contain '/', '\\' or '..'"),
    ("a/b", "must not contain '/', '\\' or '..'"),
    ("", "must not be empty"),
    ("x" * 300, "longer than 128 characters"),
    ("modèle", "only ASCII letters, digits, '.', '_' and '-' are allowed"),
    (".hidden", "must start with a letter or digit"),
    ("run.lock", "must not end with '.' or '.lock'"),
])
def test_invalid_run_names(seeded: Path, branch_state, name: str, reason: str) -> None:
    before = branch_state()
    code, out = record(seeded, name, "--metric", "acc=1")
    assert code == 2
    assert out.startswith("Error: invalid run name") and reason in out
    assert len(out.splitlines()) == 1
    assert branch_state() == before


def test_duplicate_run_name(seeded: Path, branch_state) -> None:
    before = branch_state()
    assert invoke(seeded, "record", "-p", "p", "-n", "first", "--metric", "acc=1") == (
        2, "Error: run run:p.first already exists; choose another name")
    assert branch_state() == before


@pytest.mark.parametrize("text, message", [
    ("nan", "Error: metric 'acc' must be finite, got 'nan'"),
    ("inf", "Error: metric 'acc' must be finite, got 'inf'"),
    ("-Infinity", "Error: metric 'acc' must be finite, got '-Infinity'"),
    ("high", "Error: metric 'acc' must be a number, got 'high'"),
    ("", "Error: metric 'acc' must be a number, got ''"),
])
def test_bad_metric_values(seeded: Path, branch_state, text: str, message: str) -> None:
    before = branch_state()
    assert record(seeded, "second", "--metric", f"acc={text}") == (2, message)
    assert branch_state() == before


@pytest.mark.parametrize("filename, content, message", [
    ("m.json", '{"acc": 0.9,', "m.json: not valid JSON"),
    ("m.json", '[1, 2]', "m.json: expected a table of names and values at the top"),
    ("m.json", '{"acc": true}', "metric 'acc' must be a number, got True"),
    ("m.json", '{"acc": NaN}', "metric 'acc' must be finite, got nan"),
    ("m.toml", 'acc = ', "m.toml: not valid TOML"),
    ("m.yaml", 'acc: [1, 2', "m.yaml: not valid YAML"),
    ("m.yaml", 'acc: "0.9"', "metric 'acc' must be a number, got '0.9'"),
    ("m.csv", 'acc,0.9', "unknown file type .csv"),
])
def test_malformed_metrics_files(seeded: Path, branch_state, filename: str, content: str,
                                 message: str) -> None:
    (seeded / filename).write_text(content)
    before = branch_state()
    code, out = record(seeded, "second", "--metrics-file", str(seeded / filename))
    assert code == 2 and out.startswith("Error: ") and message in out, out
    assert len(out.splitlines()) == 1
    assert branch_state() == before


def test_missing_metrics_file(seeded: Path, branch_state) -> None:
    before = branch_state()
    code, out = record(seeded, "second", "--metrics-file", str(seeded / "nope.json"))
    assert code == 2 and out.startswith("Error: cannot read") and "nope.json" in out
    assert branch_state() == before


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, out = record(plain, "r", "--metric", "acc=1")
    assert code == 2 and out == f"Error: not a git repository (or any parent up to /): {plain}"
    assert not (plain / ".git").exists()


def test_no_git_identity(repo: Path, branch_state, hermetic_git: Path) -> None:
    (hermetic_git / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    before = branch_state()
    code, out = record(repo, "r", "--metric", "acc=1")
    assert code == 2
    assert out == ("Error: no git identity: set it with git config user.name 'Your Name' "
                   "and git config user.email you@example.com")
    assert branch_state() == before


def test_branch_holding_something_else(repo: Path) -> None:
    git(repo, "branch", "contexta/runs")  # points at the user's own commit
    tip = git(repo, "rev-parse", "contexta/runs").stdout
    code, out = record(repo, "r", "--metric", "acc=1")
    assert code == 2
    assert out.startswith("Error: refs/heads/contexta/runs exists but was not written by contexta-git")
    assert git(repo, "rev-parse", "contexta/runs").stdout == tip


def test_bad_key_value_syntax(seeded: Path, branch_state) -> None:
    before = branch_state()
    assert record(seeded, "second", "--metric", "acc") == (
        2, "Error: metric 'acc' must look like KEY=VALUE")
    assert record(seeded, "second", "--param", "=3") == (
        2, "Error: invalid param name '': must not be empty")
    assert branch_state() == before


def test_bool_metric_through_api_is_refused(repo: Path, branch_state) -> None:
    from contexta_git.errors import ContextaError
    from contexta_git.record.oneshot import record as do_record
    from contexta_git.store.runs import Runs

    with pytest.raises(ContextaError, match="metric 'ok' must be a number, got True"):
        do_record(Runs.open(repo), "p", "r", metrics={"ok": True}, capture_environment=False)
    assert branch_state() == (None, 0)
