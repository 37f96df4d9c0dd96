"""The hook's configuration cannot reach outside the repository: every configured path,
as written and on disk (links followed), stays in the working tree and out of .git, and
the run-name template names only its fields. A refused configuration is one line on
stderr, no run, and the commit itself stands."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.errors import InvalidValue
from contexta_git.git.repo import GitStore
from contexta_git.share.hook_config import check_template, render_template, repo_path
from contexta_git.share.hooks import install
from contexta_git.store.runs import Runs

from tests.conftest import git

Setup = Callable[[Path, Path], str]  # (repo, outside folder) -> the [tool.contexta-git] lines


def _outside_file(outside: Path, name: str, text: str) -> Path:
    outside.mkdir(exist_ok=True)
    (outside / name).write_text(text)
    return outside / name


def _absolute_metrics(repo: Path, outside: Path) -> str:
    path = _outside_file(outside, "metrics.json", '{"acc": 0.99}')
    return f'metrics = ["{path}"]\n'


def _climbing_dataset(repo: Path, outside: Path) -> str:
    _outside_file(outside, "big.bin", "x" * 1000)
    depth = len(repo.relative_to(repo.anchor).parts)
    climb = "../" * (depth + 3)  # far more than needed, as in data/../../../../usr/lib
    return f'datasets = ["data/{climb}{outside.relative_to(outside.anchor)}"]\n'


def _linked_params(repo: Path, outside: Path) -> str:
    (repo / "params.yaml").symlink_to(_outside_file(outside, "secret.yaml", "token: abc\n"))
    return 'params = ["params.yaml"]\n'


def _linked_folder_params(repo: Path, outside: Path) -> str:
    _outside_file(outside, "params.yaml", "lr: 0.1\n")
    (repo / "conf").symlink_to(outside)
    return 'params = ["conf/params.yaml"]\n'


def _link_inside_dataset(repo: Path, outside: Path) -> str:
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("a\n1\n")
    (repo / "data" / "leak.bin").symlink_to(_outside_file(outside, "big.bin", "x" * 1000))
    return 'datasets = ["data"]\n'


def _git_config_params(repo: Path, outside: Path) -> str:
    return 'params = [".git/config"]\n'


def _link_into_git(repo: Path, outside: Path) -> str:
    (repo / "p.toml").symlink_to(repo / ".git" / "config")
    return 'params = ["p.toml"]\n'


REFUSED: dict[str, tuple[Setup, str]] = {
    "absolute": (_absolute_metrics, "is absolute"),
    "climbing": (_climbing_dataset, "climbs out of the repository"),
    "file link": (_linked_params, "outside the repository"),
    "folder link": (_linked_folder_params, "outside the repository"),
    "link in dataset": (_link_inside_dataset, "'data/leak.bin' resolves to"),
    ".git": (_git_config_params, "is inside .git"),
    "link into .git": (_link_into_git, "resolves into .git"),
}


def _commit(repo: Path, config: str) -> str:
    (repo / "pyproject.toml").write_text(
        '[tool.contexta-git]\nproject = "conf"\nenvironment = false\n' + config
        + ('metrics = ["metrics.json"]\n' if "metrics =" not in config else ""))
    (repo / "metrics.json").write_text('{"acc": 0.5}')
    git(repo, "add", "-A")
    install(GitStore(repo))
    return git(repo, "commit", "-q", "-m", "train").stderr


def _assert_refused(repo: Path, stderr: str, reason: str) -> None:
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "train"  # the commit stands
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("contexta-git post-commit: [tool.contexta-git] ") or \
        stderr.startswith("contexta-git post-commit: run name template"), stderr
    assert reason in stderr and stderr.rstrip().endswith("(nothing recorded)"), stderr
    assert git(repo, "rev-parse", "-q", "--verify", "refs/heads/contexta/runs",
               check=False).stdout == ""


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_path_leading_outside_the_repository_is_refused(repo: Path, tmp_path: Path,
                                                          case: str) -> None:
    setup, reason = REFUSED[case]
    stderr = _commit(repo, setup(repo, tmp_path / "outside"))
    _assert_refused(repo, stderr, reason)


def test_a_configuration_file_linked_from_outside_is_refused(repo: Path,
                                                             tmp_path: Path) -> None:
    config = _outside_file(tmp_path / "outside", "conf.toml",
                           'project = "conf"\nmetrics = ["metrics.json"]\n')
    (repo / ".contexta-git.toml").symlink_to(config)
    stderr = _commit(repo, "")
    _assert_refused(repo, stderr, "configuration: '.contexta-git.toml' resolves to")


@pytest.mark.parametrize("template", [
    "{branch.__class__}", "{branch.__class__.__mro__}", "{branch[0]}", "{short:>40}",
    "{commit!r}", "{short:{branch}}", "{0}", "{}", "{nope}", "{branch", "x}"])
def test_the_run_name_template_names_only_its_fields(repo: Path, template: str) -> None:
    stderr = _commit(repo, f"name = {template!r}\n".replace("'", '"'))
    _assert_refused(repo, stderr, "use only {branch}, {short}, {commit}")


def test_paths_and_links_inside_the_repository_are_fine(repo: Path) -> None:
    (repo / "data" / "v2").mkdir(parents=True)
    (repo / "data" / "v2" / "train.csv").write_text("a\n1\n")
    (repo / "data" / "current").symlink_to("v2")
    (repo / "data" / "v2" / "same.csv").symlink_to("train.csv")
    stderr = _commit(repo, 'metrics = ["./sub/../metrics.json"]\n'
                           'datasets = ["data/current", "data"]\n'
                           'name = "exp_{branch}.{short}"\n')
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    runs = Runs.open(repo)
    [run_id] = runs.ids("conf")
    assert stderr.strip() == f"contexta-git: recorded {run_id.ref}"
    run = runs.get(run_id)
    assert run.name == f"exp_main.{head[:8]}"
    assert run.latest_metrics() == {"acc": 0.5}
    assert [d.name for d in run.datasets] == ["data/current", "data"]


FIELDS = {"branch": "main", "short": "1a2b3c4d", "commit": "1a2b3c4d" * 5}


def _joined(*pieces: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces)).map("".join)


@given(_joined(*"{}[].!:0x_", "branch", "short", "commit", "__class__", "nope"))
def test_an_accepted_template_renders_as_plain_substitution(template: str) -> None:
    try:
        check_template(template)
    except InvalidValue:
        return
    assert render_template(template, FIELDS) == template.format(**FIELDS)


@given(_joined("a", "b", ".", "..", "/", ".git", "~", "\\"))
def test_an_accepted_path_is_the_same_place_inside_the_repository(value: str) -> None:
    try:
        path = repo_path("datasets", value)
    except InvalidValue:
        return
    top = "/repo/top"
    assert os.path.normpath(os.path.join(top, value)) == f"{top}/{path}"
    assert ".git" not in path.split("/") and ".." not in path.split("/")
