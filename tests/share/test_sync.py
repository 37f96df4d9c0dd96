"""push/pull of runs through a real git server (git daemon on 127.0.0.1), git as oracle."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.analysis.listing import list_runs
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.store.runs import RunChange, Runs
from contexta_git.share.sync import PushRejected, pull, push

from tests.conftest import git, run_tree


def _clone(url: str, path: Path) -> Runs:
    git(path.parent, "clone", "-q", url, str(path))
    return Runs.open(path)


def _rec(runs: Runs, name: str, value: float) -> None:
    record(runs, "p", name, metrics={"acc": value}, capture_environment=False)


def _add_metric(runs: Runs, name: str, key: str, value: float, rid: str) -> None:
    change = RunChange(RunId("p", name), create=False)
    change.add("metrics.toml", {"id": rid, "key": key, "value": value})
    runs.apply([change], f"log {key}")


def _state(runs: Runs) -> dict[str, tuple[tuple[str, float], ...]]:
    out = {}
    for run_id in runs.ids("p"):
        data = runs.get(run_id)
        out[run_id.name] = tuple(sorted((m.id, m.value) for m in data.metrics))
    return out


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_clones_merge_to_the_same_union(tmp_path: Path, server: str, first: str) -> None:
    a = _clone(server, tmp_path / "a")
    b = _clone(server, tmp_path / "b")
    _rec(a, "shared", 0.5)
    push(a)
    assert pull(b).how == "fast-forward"
    # concurrently: different runs on each side, and new records on the shared run
    jobs = [threading.Thread(target=fn) for fn in (
        lambda: (_rec(a, "only-a", 0.1), _add_metric(a, "shared", "loss", 0.3, "ida")),
        lambda: (_rec(b, "only-b", 0.2), _add_metric(b, "shared", "loss", 0.4, "idb")),
    )]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    one, two = (a, b) if first == "a" else (b, a)
    push(one)
    with pytest.raises(PushRejected, match="refused contexta/runs"):
        push(two, retry=False)
    result = push(two)  # the remote moved: pulled, merged, pushed again
    assert result.pulled and result.pulled[0].how == "merge"
    assert result.pulled[0].added == (f"run:p.only-{first}",)
    assert result.pulled[0].merged == ("run:p.shared",)
    assert pull(one).how == "fast-forward"
    server_runs = Runs.open(tmp_path / "served" / "server.git")
    assert _state(a) == _state(b) == _state(server_runs)
    state = _state(a)
    assert set(state) == {"shared", "only-a", "only-b"}
    assert {rid for rid, _ in state["shared"]} >= {"ida", "idb"} and len(state["shared"]) == 3
    tip = git(tmp_path / "a", "rev-parse", "contexta/runs").stdout.strip()
    parents = git(tmp_path / "a", "log", "-1", "--format=%P", tip).stdout.split()
    assert len(parents) == 2  # a real merge commit
    assert git(tmp_path / "a", "cat-file", "-p", tip).stdout.count("parent ") == 2
    for path in (tmp_path / "a", tmp_path / "b", tmp_path / "served" / "server.git"):
        git(path, "fsck", "--strict")
        assert git(path, "rev-parse", "refs/heads/contexta/runs").stdout.strip() == tip
    assert git(tmp_path / "a", "rev-parse", "HEAD").stdout == \
        git(tmp_path / "a", "rev-parse", "origin/main").stdout  # user's branch untouched


def test_runs_created_independently_merge_without_common_history(tmp_path: Path,
                                                                server: str) -> None:
    a = _clone(server, tmp_path / "a")
    b = _clone(server, tmp_path / "b")
    _rec(a, "x", 1.0)
    _rec(b, "y", 2.0)
    push(a)
    result = pull(b)
    assert result.how == "merge" and result.added == ("run:p.x",)
    push(b)
    pull(a)
    assert set(_state(a)) == set(_state(b)) == {"x", "y"}
    git(tmp_path / "a", "fsck", "--strict")
    assert git(tmp_path / "b", "rev-parse", "refs/remotes/origin/contexta/runs").returncode == 0


def test_rm_on_one_side_and_change_on_other_keeps_the_run(tmp_path: Path, server: str) -> None:
    from contexta_git.store.rm import rm

    a = _clone(server, tmp_path / "a")
    b = _clone(server, tmp_path / "b")
    _rec(a, "r", 1.0)
    _rec(a, "gone", 1.0)
    push(a)
    pull(b)
    rm(a, ["r", "gone"])
    _add_metric(b, "r", "late", 9.0, "late-id")
    push(a)
    result = pull(b)
    assert result.kept == ("run:p.r",)
    assert any("kept run:p.r" in n for n in result.notes)
    assert set(_state(b)) == {"r"}  # "gone" was removed and unchanged on b: removed
    assert ("late-id", 9.0) in _state(b)["r"]
    assert len(_state(b)["r"]) == 2
    push(b)
    assert pull(a).how == "fast-forward"
    assert set(_state(a)) == {"r"}
    assert f"projects/p/runs/{RunId('p', 'r').path.split('/')[3]}/r/run.toml" in run_tree(
        tmp_path / "a")


def test_cli_push_pull_and_certificate_tags_never_move(tmp_path: Path, server: str) -> None:
    a = _clone(server, tmp_path / "a")
    _clone(server, tmp_path / "b")
    _rec(a, "r", 1.0)
    git(tmp_path / "a", "tag", "contexta/cert/c1", "contexta/runs")
    runner = CliRunner()
    out = runner.invoke(cli, ["--repo", str(tmp_path / "a"), "push"])
    assert out.exit_code == 0, out.output
    assert "contexta/cert/c1" in out.output
    out = runner.invoke(cli, ["--repo", str(tmp_path / "b"), "pull"])
    assert out.exit_code == 0, out.output
    assert "1 new run" in out.output
    out = runner.invoke(cli, ["--repo", str(tmp_path / "b"), "runs", "--json"])
    assert '"run:p.r"' in out.output
    assert git(tmp_path / "b", "rev-parse", "contexta/cert/c1").stdout == \
        git(tmp_path / "a", "rev-parse", "contexta/cert/c1").stdout
    # a different local tag of the same name is never overwritten by a pull, nor pushed over
    git(tmp_path / "b", "tag", "-f", "contexta/cert/c1", "main")
    before = git(tmp_path / "b", "rev-parse", "contexta/cert/c1").stdout
    out = runner.invoke(cli, ["--repo", str(tmp_path / "b"), "pull"])
    aside = "refs/contexta/remote-tags/origin/contexta/cert/c1"
    assert out.exit_code == 2 and out.output == (
        "Error: certificate contexta/cert/c1 here differs from origin's, and certificates are "
        "never moved; one of them may be forged. Check both before changing anything, without "
        "importing theirs: contexta-git verify contexta/cert/c1 (yours); git fetch --no-tags "
        f"origin +refs/tags/contexta/cert/c1:{aside} && contexta-git verify {aside} (theirs). "
        "Keep the one that verifies; never import a tag that does not\n")
    assert git(tmp_path / "b", "rev-parse", "contexta/cert/c1").stdout == before
    out = runner.invoke(cli, ["--repo", str(tmp_path / "b"), "push"])
    assert out.exit_code == 2
    assert "certificate tags are never moved" in out.output
    out = runner.invoke(cli, ["--repo", str(tmp_path / "b"), "pull", "nowhere"])
    assert out.exit_code == 2
    assert out.output == ("Error: no remote named 'nowhere'; "
                          "add one with git remote add nowhere URL\n")


def test_new_user_hook_commit_push_and_teammate_pulls_and_shows(tmp_path: Path,
                                                                server: str) -> None:
    from contexta_git.git.repo import GitStore
    from contexta_git.share.hooks import install

    mine = tmp_path / "mine"
    _clone(server, mine)
    _clone(server, tmp_path / "theirs")
    install(GitStore(mine), ["post-commit", "pre-push"])
    (mine / "pyproject.toml").write_text('[tool.contexta-git]\nproject = "churn"\n'
                                         'metrics = ["metrics.json"]\n')
    (mine / "metrics.json").write_text('{"acc": 0.91}')
    git(mine, "add", ".")
    git(mine, "commit", "-q", "-m", "train")
    short = git(mine, "rev-parse", "--short=8", "HEAD").stdout.strip()
    git(mine, "push", "-q", "origin", "main")  # the pre-push hook pushes the runs too
    runner = CliRunner()
    out = runner.invoke(cli, ["--repo", str(tmp_path / "theirs"), "pull"])
    assert out.exit_code == 0 and out.output == "Fast-forward: 1 new run, 0 merged\n"
    out = runner.invoke(cli, ["--repo", str(tmp_path / "theirs"), "show", f"main-{short}"])
    assert out.exit_code == 0, out.output
    assert f"run:churn.main-{short}" in out.output and "0.91" in out.output


def test_same_name_recorded_separately_on_two_clones_keeps_both(tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    (seed / "x").write_text("x\n")
    git(seed, "add", "x")
    git(seed, "commit", "-q", "-m", "init")
    git(seed, "push", "-q", "origin", "HEAD")
    a = _clone(str(bare), tmp_path / "a")
    b = _clone(str(bare), tmp_path / "b")
    record(a, "p", "exp1", metrics={"auc": 0.9}, params={"lr": 0.1}, capture_environment=False)
    push(a)
    record(b, "p", "exp1", metrics={"auc": 0.2}, params={"lr": 0.5, "bs": 8},
           capture_environment=False)
    result = pull(b)
    assert result.added == ("run:p.exp1",)  # a's run started first: it keeps the name
    (renamed,) = [r.ref for r in b.ids("p") if r.name != "exp1"]
    assert renamed.startswith("run:p.exp1-") and len(renamed) == len("run:p.exp1-") + 8
    assert result.notes[0] == ("run:p.exp1 was recorded separately on both sides: the other side's run "
                    f"started first and keeps the name; this side's run is kept as {renamed}")
    first = b.get(RunId("p", "exp1"))
    moved = b.get(RunId.parse(renamed))
    assert (moved.params, moved.latest_metrics()) == ({"lr": 0.5, "bs": 8}, {"auc": 0.2})
    assert (first.params, first.latest_metrics()) == ({"lr": 0.1}, {"auc": 0.9})
    push(b)
    pull(a)  # a fast-forwards to the merge: both clones hold the same two runs
    assert {r.ref for r in a.ids("p")} == {r.ref for r in b.ids("p")} == {"run:p.exp1", renamed}
    git(tmp_path / "a", "fsck", "--strict")


def test_a_release_from_one_clone_does_not_cancel_the_others_quarantine(tmp_path: Path) -> None:
    from contexta_git.analysis.quarantine import quarantine

    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    a = _clone(str(bare), tmp_path / "a")
    git(tmp_path / "a", "commit", "-q", "--allow-empty", "-m", "init")
    git(tmp_path / "a", "push", "-q", "origin", "HEAD")
    _rec(a, "base", 0.9)
    push(a)
    b = _clone(str(bare), tmp_path / "b")
    pull(b)
    quarantine(a, ["base"], "bad data")
    quarantine(b, ["base"], "wrong split")
    quarantine(b, ["base"], "wrong split was a false alarm", undo=True)
    assert not b.get(RunId("p", "base")).quarantined
    push(b)
    pull(a)
    assert a.get(RunId("p", "base")).quarantine_reason == "bad data"
    push(a)
    pull(b)
    assert b.get(RunId("p", "base")).quarantine_reason == "bad data"
    assert [s.name for s in list_runs(b, "p")] == []  # listing agrees: it is left out
