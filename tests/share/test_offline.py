"""Clones see the runs (init --remote, the hint in runs) and runs move without a network
(bundle create, pull FILE). Git is the oracle."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git, run_tree


def _runs(repo: Path) -> list[str]:
    return sorted(p.split("/")[-2] for p in run_tree(repo) if p.endswith("/run.toml"))


def _invoke(repo: Path, *args: str) -> tuple[int, str]:
    out = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return out.exit_code, out.output


def _site(path: Path, *names: str) -> Runs:
    git(path.parent, "init", "-q", str(path))
    git(path, "commit", "-q", "--allow-empty", "-m", "init")
    runs = Runs.open(path)
    for name in names:
        record(runs, "p", name, metrics={"acc": 0.5}, capture_environment=False)
    return runs


def test_a_fresh_clone_is_told_to_pull_and_init_remote_fetches_runs(tmp_path: Path,
                                                                     server: str) -> None:
    git(tmp_path, "clone", "-q", server, str(tmp_path / "a"))
    a = Runs.open(tmp_path / "a")
    record(a, "p", "r1", metrics={"acc": 1.0}, capture_environment=False)
    assert _invoke(tmp_path / "a", "push")[0] == 0
    # a full clone has origin's runs as refs/remotes/origin/contexta/runs, not merged yet
    git(tmp_path, "clone", "-q", server, str(tmp_path / "b"))
    code, out = _invoke(tmp_path / "b", "runs")
    assert (code, out) == (0, "No runs here yet, but origin has runs: run contexta-git pull "
                              "origin (or contexta-git init --remote origin to fetch them "
                              "always)\n")
    # a single-branch clone has nothing at all; init --remote fixes its fetch refspecs
    git(tmp_path, "clone", "-q", "--single-branch", server, str(tmp_path / "c"))
    c = tmp_path / "c"
    assert _invoke(c, "runs") == (0, "No runs recorded yet.\n")
    code, out = _invoke(c, "init", "--remote", "origin")
    assert code == 0, out
    assert out.splitlines()[:2] == [
        "git fetch origin now brings contexta/runs "
        "(+refs/heads/contexta/runs:refs/remotes/origin/contexta/runs)",
        "Pulled 1 run from origin"]
    assert _runs(c) == ["r1"]
    record(a, "p", "r2", metrics={"acc": 1.0}, capture_environment=False)
    assert _invoke(tmp_path / "a", "push")[0] == 0
    git(c, "fetch", "-q", "origin")  # plain git now brings the runs branch
    assert git(c, "rev-parse", "refs/remotes/origin/contexta/runs").stdout.strip() == \
        a.store.tip()
    code, out = _invoke(c, "init", "--remote", "origin")
    assert code == 0 and out.startswith("git fetch origin already brings contexta/runs\n")
    assert git(c, "config", "--get-all", "remote.origin.fetch").stdout.count("contexta/runs:") == 1
    code, out = _invoke(c, "init", "--remote", "nowhere")
    assert (code, out) == (2, "Error: no remote named 'nowhere'; add one with git remote add "
                              "nowhere URL\n")
    assert "nowhere" not in git(c, "config", "--list").stdout


def test_a_bundle_moves_runs_and_tags_between_sites_without_a_network(tmp_path: Path) -> None:
    a = _site(tmp_path / "a", "r1", "r2")
    git(tmp_path / "a", "tag", "contexta/cert/c1", "contexta/runs")
    git(tmp_path / "a", "tag", "contexta/alias/p/prod/m1", "contexta/runs")
    first = a.store.tip()
    assert first is not None
    whole = tmp_path / "all.bundle"
    code, out = _invoke(tmp_path / "a", "bundle", "create", str(whole))
    assert code == 0 and out.startswith(f"Wrote {whole}: contexta/runs at {first[:12]} "
                                        "(whole history), 2 tags, ")
    _site(tmp_path / "b", "local")
    code, out = _invoke(tmp_path / "b", "pull", str(whole))
    assert code == 0, out
    assert "2 new runs" in out and "New certificates: contexta/cert/c1" in out
    assert _runs(tmp_path / "b") == ["local", "r1", "r2"]
    for tag in ("contexta/cert/c1", "contexta/alias/p/prod/m1"):
        assert git(tmp_path / "b", "rev-parse", tag).stdout.strip() == first
    # only what is new since the last bundle
    record(a, "p", "r3", metrics={"acc": 0.7}, capture_environment=False)
    since = tmp_path / "since.bundle"
    code, out = _invoke(tmp_path / "a", "bundle", "create", str(since), "--since", first)
    assert code == 0 and f"(since {first[:12]})" in out
    assert since.stat().st_size < whole.stat().st_size
    assert _invoke(tmp_path / "b", "pull", str(since))[0] == 0
    assert _runs(tmp_path / "b") == ["local", "r1", "r2", "r3"]
    assert git(tmp_path / "b", "fsck", "--strict", check=False).returncode == 0


def test_bundle_bad_input_writes_nothing(tmp_path: Path) -> None:
    _site(tmp_path / "a", "r1")
    target = tmp_path / "x.bundle"
    code, out = _invoke(tmp_path / "a", "bundle", "create", str(target), "--since", "nope")
    assert (code, out) == (2, "Error: --since 'nope' names no commit in this repository\n")
    code, out = _invoke(tmp_path / "a", "bundle", "create", str(target), "--since",
                        "contexta/runs")
    assert code == 2 and "nothing to bundle" in out
    assert not target.exists()
    empty = _site(tmp_path / "empty")
    code, out = _invoke(tmp_path / "empty", "bundle", "create", str(target))
    assert (code, out) == (2, "Error: no runs recorded yet: contexta/runs does not exist\n")
    assert not target.exists()
    # a file that is not a bundle, and a bundle whose history this site lacks
    junk = tmp_path / "junk.bundle"
    junk.write_text("not a bundle\n")
    code, out = _invoke(tmp_path / "empty", "pull", str(junk))
    assert code == 2 and out.startswith(f"Error: {junk} is not a bundle this repository can "
                                        "read: ")
    a = Runs.open(tmp_path / "a")
    first = a.store.tip()
    assert first is not None
    record(a, "p", "r2", metrics={"acc": 0.7}, capture_environment=False)
    assert _invoke(tmp_path / "a", "bundle", "create", str(target), "--since", first)[0] == 0
    code, out = _invoke(tmp_path / "empty", "pull", str(target))
    assert (code, out) == (2, f"Error: {target} holds only runs newer than commits this "
                              "repository lacks (made with --since): pull the earlier bundle "
                              "first\n")
    assert empty.store.tip() is None
