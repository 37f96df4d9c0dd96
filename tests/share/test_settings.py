"""init --project: [tool.contexta-git] written into pyproject.toml with tomlkit, every
other byte kept; the post-commit hook then records with that configuration; tomlkit
stays off the hot path."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from contexta_git.cli.main import cli
from contexta_git.errors import InvalidValue
from contexta_git.share.settings import repo_path
from contexta_git.store.runs import Runs

from tests.conftest import git

HEADER = "[tool.contexta-git]"

EXISTING = """\
# Project settings: keep this comment.
[build-system]
requires = ["setuptools>=68"]   # trailing comment

[project]
name = "churn-model"
dependencies = [
    "numpy",  # pinned elsewhere
]

[tool.ruff]
line-length = 100

[[tool.pytest.markers]]
name = "slow"
# a comment at the very end, without a blank line before it
"""

WITH_TABLE = """\
# top comment
[project]
name = "churn-model"

# the hook's settings
[tool.contexta-git]
project = "old"   # the project comment
metrics = ["old.json"]  # old metrics
# a comment inside the table
stage = "train"
name = "{branch}-{short}"

[tool.mypy]
strict = true  # keep me
"""


def _init(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--repo", str(repo), "init", *args])


def _span(text: str) -> tuple[int, int]:
    """Where the [tool.contexta-git] table is: its header up to the next header."""
    start = text.index(HEADER)
    ends = [i + 1 for i in range(start, len(text) - 1) if text[i] == "\n" and text[i + 1] == "["]
    return start, ends[0] if ends else len(text)


def test_init_project_keeps_an_existing_pyproject_byte_for_byte(
        repo: Path, branch_state: Callable[[], tuple[str | None, int]]) -> None:
    (repo / "pyproject.toml").write_text(EXISTING)
    out = _init(repo, "-p", "churn", "--metrics", "metrics.json", "--params", "./conf/params.yaml",
                "--datasets", "data/train.csv", "--stage", "evaluate", "--no-environment")
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[1] == (f"Added [tool.contexta-git] to {repo / 'pyproject.toml'}"
                                          ": project churn, metrics metrics.json")
    text = (repo / "pyproject.toml").read_text()
    start, end = _span(text)
    assert text[:start] == EXISTING + "\n" and text[end:] == ""  # a blank line, then the table
    doc, old = tomllib.loads(text), tomllib.loads(EXISTING)
    assert doc["tool"].pop("contexta-git") == {
        "project": "churn", "metrics": ["metrics.json"], "params": ["conf/params.yaml"],
        "datasets": ["data/train.csv"], "stage": "evaluate", "environment": False}
    assert doc == old
    assert branch_state()[0] is not None  # init still creates the runs branch
    assert sorted(p.name for p in repo.iterdir()) == [".git", "pyproject.toml", "train.py"]


def test_init_project_updates_an_existing_table_in_place(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(WITH_TABLE)
    out = _init(repo, "-p", "churn", "--metrics", "metrics.json", "--metrics", "eval.json")
    assert out.exit_code == 0, out.output
    assert "Updated [tool.contexta-git] in" in out.output
    text = (repo / "pyproject.toml").read_text()
    (start, end), (old_start, old_end) = _span(text), _span(WITH_TABLE)
    assert text[:start] == WITH_TABLE[:old_start]
    assert text[end:] == WITH_TABLE[old_end:]
    table = text[start:end]
    assert 'project = "churn"   # the project comment\n' in table
    assert "# a comment inside the table\n" in table
    assert tomllib.loads(text)["tool"]["contexta-git"] == {
        "project": "churn", "metrics": ["metrics.json", "eval.json"], "stage": "train",
        "name": "{branch}-{short}"}  # keys not given stay as they were
    again = _init(repo, "-p", "churn", "--metrics", "metrics.json", "--metrics", "eval.json")
    assert again.exit_code == 0 and "is already up to date" in again.output
    assert (repo / "pyproject.toml").read_text() == text


def test_init_project_creates_pyproject_when_absent(repo: Path) -> None:
    out = _init(repo, "--project", "churn", "--metrics", "metrics.json", "--name", "exp-{short}")
    assert out.exit_code == 0, out.output
    assert f"Created {repo / 'pyproject.toml'} with [tool.contexta-git]" in out.output
    text = (repo / "pyproject.toml").read_text()
    assert text == ('[tool.contexta-git]\nproject = "churn"\nmetrics = ["metrics.json"]\n'
                    'name = "exp-{short}"\n')
    assert oct((repo / "pyproject.toml").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_crlf_file_stays_crlf(repo: Path) -> None:
    (repo / "pyproject.toml").write_bytes(b"# windows\r\n[project]\r\nname = \"x\"\r\n")
    assert _init(repo, "-p", "churn", "--metrics", "m.json").exit_code == 0
    data = (repo / "pyproject.toml").read_bytes()
    assert data.startswith(b"# windows\r\n[project]\r\nname = \"x\"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_hook_commit_records_a_run_with_the_written_configuration(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(EXISTING)
    out = _init(repo, "-p", "churn", "--metrics", "metrics.json", "--params", "params.yaml",
                "--datasets", "data/train.csv", "--stage", "evaluate", "--name", "exp-{short}",
                "--no-environment")
    assert out.exit_code == 0, out.output
    assert CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "install"]).exit_code == 0
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("a,b\n1,2\n")
    (repo / "metrics.json").write_text('{"acc": 0.91}')
    (repo / "params.yaml").write_text("lr: 0.1\n")
    git(repo, "add", "pyproject.toml", "metrics.json", "params.yaml")
    stderr = git(repo, "commit", "-q", "-m", "train").stderr
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    assert stderr.strip() == f"contexta-git: recorded run:churn.exp-{head[:8]}"
    runs = Runs.open(repo)
    run = runs.get(runs.resolve(f"run:churn.exp-{head[:8]}"))
    assert run.latest_metrics("evaluate") == {"acc": 0.91}
    assert run.params == {"lr": 0.1}
    assert [d.name for d in run.datasets] == ["data/train.csv"]
    assert run.environment == {} and run.source["commit"] == head


@pytest.mark.parametrize(("args", "error"), [
    (["-p", "churn", "--metrics", "../outside.json"],
     "Error: metrics path '../outside.json' is outside the repository"),
    (["-p", "churn", "--metrics", "m.json", "--params", "a/../../p.yaml"],
     "Error: params path 'a/../../p.yaml' is outside the repository"),
    (["-p", "churn", "--metrics", "/etc/metrics.json"],
     "Error: metrics path '/etc/metrics.json' is absolute: give it relative to the repository root"),
    (["-p", "churn.v2", "--metrics", "m.json"],
     "Error: invalid project name 'churn.v2': must start with a letter or digit and hold only "
     "letters, digits, '_' and '-'"),
    (["-p", "churn", "--metrics", "m.json", "--stage", "a/b"],
     "Error: invalid stage name 'a/b': must not contain '/', '\\' or '..'"),
    (["-p", "churn", "--metrics", "m.json", "--name", "{user}"],
     "Error: run name template '{user}': use {branch}, {short}, {commit}"),
    (["-p", "churn"], "Error: {pyproject}: [tool.contexta-git] needs metrics: name the metrics "
                      "file (--metrics FILE)"),
])
def test_bad_input_is_one_line_and_writes_nothing(
        repo: Path, branch_state: Callable[[], tuple[str | None, int]], args: list[str],
        error: str) -> None:
    (repo / "pyproject.toml").write_text(EXISTING)
    out = _init(repo, *args)
    assert out.exit_code == 2
    assert out.output == error.replace("{pyproject}", str(repo / "pyproject.toml")) + "\n"
    assert (repo / "pyproject.toml").read_text() == EXISTING
    assert branch_state() == (None, 0)


def test_malformed_pyproject_is_named_and_left_alone(
        repo: Path, branch_state: Callable[[], tuple[str | None, int]]) -> None:
    broken = EXISTING + "[tool.ruff]\nline-length = 120\n"  # a table defined twice
    (repo / "pyproject.toml").write_text(broken)
    out = _init(repo, "-p", "churn", "--metrics", "m.json")
    assert out.exit_code == 2
    assert out.output.startswith(f"Error: {repo / 'pyproject.toml'} is not valid TOML: ")
    assert len(out.output.splitlines()) == 1
    assert (repo / "pyproject.toml").read_text() == broken
    assert branch_state() == (None, 0)


def test_settings_options_without_project_are_a_usage_error(repo: Path) -> None:
    out = _init(repo, "--metrics", "m.json")
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == ("Error: --metrics, --params, --datasets, --name, "
                                           "--stage and --environment configure the hook: "
                                           "give --project too")
    assert not (repo / "pyproject.toml").exists()


def test_a_shadowing_contexta_git_toml_is_named(repo: Path) -> None:
    (repo / ".contexta-git.toml").write_text('project = "other"\nmetrics = ["x.json"]\n')
    out = _init(repo, "-p", "churn", "--metrics", "m.json")
    assert out.exit_code == 0, out.output
    assert out.stderr == (f"Warning: {repo / '.contexta-git.toml'} also configures the hook "
                          "and is read first\n")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab./\\", max_size=12))
def test_accepted_paths_stay_inside_the_repository(path: str) -> None:
    try:
        norm = repo_path(path)
    except InvalidValue:
        return
    root = Path("/repo")
    assert not norm.startswith(("/", "../")) and norm not in ("", ".", "..")
    assert os.path.normpath(root / norm).startswith("/repo/")


def test_recording_and_listing_never_import_tomlkit(tmp_path: Path) -> None:
    script = """
import sys
from contexta_git import start_run
from contexta_git.analysis.listing import list_runs
from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

with start_run("api", project="p", params={"lr": 0.1}) as run:
    run.log_metrics({"acc": 0.9})
runs = Runs.open(".")
record(runs, "p", "oneshot", metrics={"acc": 0.8}, params={"lr": 0.2})
assert len(list_runs(runs, "p")) == 2
cli.main(["record", "-p", "p", "-n", "cli", "--metric", "acc=0.7"], standalone_mode=False)
cli.main(["runs", "--project", "p"], standalone_mode=False)
cli.main(["show", "cli"], standalone_mode=False)
print("tomlkit" in sys.modules)
"""
    git(tmp_path, "init", "-q")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
