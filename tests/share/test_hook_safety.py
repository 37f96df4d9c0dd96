"""Hooks never run the repository's code: planted modules that shadow what the hook
imports stay unimported on a real `git commit` and `git push`, whichever way the hook
starts Python; and hooks installed by an older release keep working and say to update."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.git.repo import GitStore
from contexta_git.share.hooks import HOOKS, install, status, template
from contexta_git.store.runs import Runs

from tests.conftest import git

CONFIG = '[tool.contexta-git]\nproject = "safe"\nmetrics = ["metrics.json"]\n' \
         'environment = false\n'
# Modules the hook imports (directly or through its dependencies) and the package itself.
PLANTED = ("tomllib.py", "pygit2.py", "click.py", "typing.py", "contexta_git/__init__.py")
# What the hooks of the previous release ran (module path since moved).
OLD_ENTRY = '-m contexta_git.hook_run "$HOOK"'


def _plant(repo: Path, marker: Path, files: tuple[str, ...] = PLANTED) -> None:
    """Tracked files that append their own name to ``marker`` if Python ever imports them."""
    for name in files:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"with open({str(marker)!r}, 'a') as f:\n    f.write({name!r} + '\\n')\n")
        git(repo, "add", name)


def _remote(repo: Path, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    return remote


def _tip(repo: Path) -> str:
    return git(repo, "rev-parse", "-q", "--verify", "refs/heads/contexta/runs",
               check=False).stdout.strip()


@pytest.mark.parametrize("route", ["install-python", "path"])
@pytest.mark.parametrize("pythonpath", [None, os.pathsep])
def test_planted_modules_never_run_on_commit_or_push(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route: str,
        pythonpath: str | None) -> None:
    marker = tmp_path / "planted-code-ran"
    remote = _remote(repo, tmp_path)
    (repo / "pyproject.toml").write_text(CONFIG)
    (repo / "metrics.json").write_text('{"acc": 0.9}')
    _plant(repo, marker)
    git(repo, "add", "pyproject.toml", "metrics.json")
    install(GitStore(repo), HOOKS, python="" if route == "path" else sys.executable)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if pythonpath is not None:  # an empty entry means the current folder to Python
        monkeypatch.setenv("PYTHONPATH", pythonpath)
    commit = git(repo, "commit", "-q", "-m", "train, with modules named like the hook's")
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"
    [run] = Runs.open(repo).ids("safe")
    assert commit.stderr.strip() == f"contexta-git: recorded {run.ref}"
    push = git(repo, "push", "-q", "origin", "main")
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"
    assert push.stderr == ""
    assert git(remote, "rev-parse", "refs/heads/contexta/runs").stdout.strip() == _tip(repo)


def _dist(folder: Path, name: str, version: str) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_pythonpath_keeps_what_lies_outside_the_working_tree(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run records the user's environment, PYTHONPATH included, except for entries
    that name the repository: empty, relative, or inside the working tree."""
    marker = tmp_path / "planted-code-ran"
    outside = tmp_path / "site-extra"
    _dist(outside, "outside_pkg", "1.0")
    _dist(repo / "vendor", "inside_pkg", "6.6")
    (repo / "pyproject.toml").write_text(CONFIG.replace("false", "true"))
    (repo / "metrics.json").write_text('{"acc": 0.9}')
    _plant(repo, marker, ("tomllib.py", "vendor/tomllib.py"))
    git(repo, "add", "pyproject.toml", "metrics.json", "vendor")
    install(GitStore(repo))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(outside), str(repo), str(repo / "vendor"), "", "vendor", "."]))
    git(repo, "commit", "-q", "-m", "train")
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"
    run = Runs.open(repo).get(Runs.open(repo).ids("safe")[0])
    packages = run.environment["packages"]
    assert packages.get("outside-pkg") == "1.0" and "inside-pkg" not in packages


def _old_hooks(repo: Path) -> None:
    """The scripts the previous release installed: a module path that has since moved."""
    folder = repo / ".git" / "hooks"
    folder.mkdir(parents=True, exist_ok=True)
    for hook in HOOKS:
        text = template(hook, sys.executable)
        assert text.count('-P -m contexta_git hooks run "$HOOK"') == 1
        old = text.replace('-P -m contexta_git hooks run "$HOOK"', OLD_ENTRY)
        (folder / hook).write_text(old)
        (folder / hook).chmod(0o755)


def test_a_hook_from_the_previous_release_still_records_and_says_to_update(
        repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "planted-code-ran"
    remote = _remote(repo, tmp_path)
    (repo / "pyproject.toml").write_text(CONFIG)
    (repo / "metrics.json").write_text('{"acc": 0.9}')
    _plant(repo, marker, ("tomllib.py", "pygit2.py"))
    git(repo, "add", "pyproject.toml", "metrics.json")
    _old_hooks(repo)
    stderr = git(repo, "commit", "-q", "-m", "train").stderr.splitlines()
    [run] = Runs.open(repo).ids("safe")
    update = ("contexta-git: this post-commit hook was installed by an older contexta-git; "
              "run `contexta-git hooks install --hook post-commit` to update it")
    assert stderr == [update, f"contexta-git: recorded {run.ref}"]
    stderr = git(repo, "push", "-q", "origin", "main").stderr.splitlines()
    assert stderr == [update.replace("post-commit", "pre-push")]
    assert git(remote, "rev-parse", "refs/heads/contexta/runs").stdout.strip() == _tip(repo)
    assert not marker.exists(), f"the repository's code ran: {marker.read_text()}"


def test_status_reports_an_outdated_hook_and_install_updates_it(repo: Path) -> None:
    _old_hooks(repo)
    states = status(GitStore(repo))
    assert [(s.installed, s.outdated) for s in states] == [(True, True), (True, True)]
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "status"])
    assert out.output.splitlines()[0].startswith(
        "post-commit: installed, outdated (run contexta-git hooks install --hook post-commit)")
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "install", "--hook",
                                   "post-commit", "--hook", "pre-push"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("Updated ")
    assert [(s.installed, s.outdated) for s in status(GitStore(repo))] == [(True, False)] * 2
    for hook in HOOKS:
        assert (repo / ".git" / "hooks" / hook).read_text() == template(hook, sys.executable)
    out = CliRunner().invoke(cli, ["--repo", str(repo), "hooks", "install"])
    assert out.output.startswith("Already installed, unchanged: ")


def test_the_hook_runs_python_with_a_safe_import_path() -> None:
    for hook in HOOKS:
        text = template(hook, sys.executable)
        invocations = [line.strip() for line in text.splitlines() if "-m contexta_git" in line]
        assert invocations == ['"$INSTALL_PYTHON" -P -m contexta_git hooks run "$HOOK" "$@" '
                               '</dev/null || true']


def test_python_m_contexta_git_is_still_the_command_line(repo: Path) -> None:
    out = subprocess.run([sys.executable, "-P", "-m", "contexta_git", "--version"],
                         cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("contexta-git, version ")
    out = subprocess.run([sys.executable, "-P", "-m", "contexta_git", "hooks", "run", "nope"],
                         cwd=repo, capture_output=True, text=True)
    assert (out.returncode, out.stderr) == (0, "contexta-git nope: unknown hook 'nope' "
                                               "(nothing recorded)\n")
