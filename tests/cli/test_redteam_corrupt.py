"""Red team: one unreadable run never breaks the others.

Each kind of corrupt run is committed by hand onto contexta/runs with git's own plumbing
(hash-object, update-index on a scratch index, write-tree, commit-tree, update-ref), the
way a careless script or a hostile clone would, next to two healthy runs. Then every
read command is run against it: listings (runs, best, annotate, the Python API) skip it
with one warning naming its path; commands about that run (show, diff, audit, gate,
report, card) exit 2 naming the file and the problem; pull refuses it and merges the
rest; rm removes it. Never exit 70, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis.listing import list_runs
from contexta_git.analysis.select import best_run
from contexta_git.cli.main import cli
from contexta_git.core.names import RunId, shard
from contexta_git.errors import CorruptRun
from contexta_git.record.oneshot import record
from contexta_git.store.runs import RunChange, Runs

from tests.conftest import git

BRANCH = "refs/heads/contexta/runs"
VICTIM = RunId("p", "victim").path
POLICY = "[metrics.acc]\nmin = 0.5\n"


def sh(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None
       ) -> str:
    done = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, env=env)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


def hand_commit(repo: Path, changes: dict[str, bytes | None]) -> None:
    """Commit ``changes`` (path -> bytes, None removes) onto contexta/runs with git plumbing."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "redteam-index")}
    tip = sh(repo, "rev-parse", BRANCH)
    sh(repo, "read-tree", BRANCH, env=env)
    for path, data in changes.items():
        if data is None:
            sh(repo, "update-index", "--force-remove", "--", path, env=env)
        else:
            blob = sh(repo, "hash-object", "-w", "--stdin", data=data)
            sh(repo, "update-index", "--add", "--replace", "--cacheinfo",
               f"100644,{blob},{path}", env=env)
    tree = sh(repo, "write-tree", env=env)
    commit = sh(repo, "commit-tree", tree, "-p", tip, "-m", "hand edit")
    sh(repo, "update-ref", BRANCH, commit, tip)


def blob(repo: Path, path: str) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", f"{BRANCH}:{path}"], cwd=repo,
                          capture_output=True, check=True).stdout


def moved(repo: Path, folder: str) -> dict[str, bytes | None]:
    """Move the victim's files to ``folder``."""
    names = sh(repo, "ls-tree", "--name-only", f"{BRANCH}:{VICTIM}").split("\n")
    out: dict[str, bytes | None] = {f"{VICTIM}/{n}": None for n in names}
    out.update({f"{folder}/{n}": blob(repo, f"{VICTIM}/{n}") for n in names})
    return out


def edit(name: str, old: bytes, new: bytes) -> Callable[[Path], dict[str, bytes | None]]:
    def change(repo: Path) -> dict[str, bytes | None]:
        data = blob(repo, f"{VICTIM}/{name}")
        assert old in data
        return {f"{VICTIM}/{name}": data.replace(old, new, 1)}
    return change


def put(name: str, data: bytes | None) -> Callable[[Path], dict[str, bytes | None]]:
    return lambda repo: {f"{VICTIM}/{name}": data}


BAD_NAME = f"projects/p/runs/{shard('bad name!')}/bad name!"
WRONG_SHARD = f"projects/p/runs/{'zz' if shard('victim') != 'zz' else 'yy'}/victim"

#: kind -> (the hand edit, the folder then unreadable, the name to address it by,
#:          the file at fault (None: the folder), a piece of the reason)
KINDS: dict[str, tuple[Callable[[Path], dict[str, bytes | None]], str, str, str | None, str]] = {
    "status-number": (edit("run.toml", b'status = "completed"', b"status = 5"), VICTIM,
                      "victim", "run.toml", "status must be a string, got 5"),
    "metric-text": (edit("metrics.toml", b"value = 0.99", b'value = "high"'), VICTIM, "victim",
                    "metrics.toml", "entry 1: value must be a number, got 'high'"),
    "toml-datetime": (lambda repo: {f"{VICTIM}/run.toml": b'project = "p"\nname = "victim"\n'
                                    b'status = "completed"\nstarted_at = 2025-01-01T00:00:00Z\n'},
                      VICTIM, "victim", "run.toml",
                      "started_at must be an RFC 3339 date-time string, got a TOML date-time"),
    "stage-without-name": (put("stages.toml", b'[[stages]]\nstatus = "completed"\norder = 0\n'),
                           VICTIM, "victim", "stages.toml", "entry 1: no name"),
    "non-utf8": (put("metrics.toml", b'[[metrics]]\nkey = "acc\xff"\n'), VICTIM, "victim",
                 "metrics.toml", "not UTF-8 (byte 0xff"),
    "invalid-toml": (put("run.toml", b"status = \n"), VICTIM, "victim", "run.toml",
                     "not valid TOML"),
    "run-toml-folder": (lambda repo: {f"{VICTIM}/run.toml": None,
                                      f"{VICTIM}/run.toml/inner": b"x = 1\n"},
                        VICTIM, "victim", "run.toml", "is a folder, not a file"),
    "bad-name": (lambda repo: moved(repo, BAD_NAME), BAD_NAME, "bad name!", None,
                 "invalid run name 'bad name!'"),
    "no-run-toml": (put("run.toml", None), VICTIM, "victim", None, "holds no run.toml"),
    "wrong-shard": (lambda repo: moved(repo, WRONG_SHARD), WRONG_SHARD, "victim", None,
                    f"run 'victim' belongs in shard '{shard('victim')}'"),
    "entry-not-table": (put("events.toml", b"events = [1, 2]\n"), VICTIM, "victim",
                        "events.toml", "entry 1 must be a table, got 1"),
    "environment-not-utf8": (put("environment.toml", b"platform = '\xfe'\n"), VICTIM, "victim",
                             "environment.toml", "not UTF-8"),
    "name-mismatch": (edit("run.toml", b'name = "victim"', b'name = "other"'), VICTIM,
                      "victim", "run.toml", "name is 'other' but the folder is 'victim'"),
    "step-not-integer": (edit("metrics.toml", b"value = 0.99", b'value = 0.99\nstep = "x"'),
                         VICTIM, "victim", "metrics.toml", "entry 1: step must be an integer"),
}


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def healthy(repo: Path) -> Runs:
    runs = Runs.open(repo)
    for name, acc in (("good1", 0.8), ("good2", 0.9), ("victim", 0.99)):
        record(runs, "p", name, metrics={"acc": acc}, params={"seed": 1}, stage="evaluate",
               capture_environment=False)
    return runs


def corrupt(repo: Path, kind: str) -> tuple[str, str, str]:
    """Corrupt the victim: (the warning's path, the name to address it by, the reason)."""
    change, folder, address, file, reason = KINDS[kind]
    hand_commit(repo, change(repo))
    return (f"{folder}/{file}" if file else folder), address, reason


def strict(text: str) -> object:
    def refuse(token: str) -> object:
        raise AssertionError(f"not RFC 8259 JSON: bare {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_listings_skip_and_name_the_unreadable_run(repo: Path, kind: str) -> None:
    runs = healthy(repo)
    path, _address, reason = corrupt(repo, kind)
    warning = f"Warning: skipped unreadable run {path}: {reason}"

    code, out, err = invoke(repo, "runs")
    assert code == 0, err
    assert "run:p.good1" in out and "run:p.good2" in out and "victim" not in out
    assert len(err.splitlines()) == 1 and err.startswith(warning), err

    code, out, err = invoke(repo, "runs", "--json")
    assert code == 0 and err.startswith(warning)
    assert sorted(r["ref"] for r in strict(out)) == ["run:p.good1", "run:p.good2"]  # type: ignore[union-attr]

    code, out, err = invoke(repo, "best", "acc")
    assert (code, out) == (0, "run:p.good2\n") and err.startswith(warning), err

    code, out, err = invoke(repo, "annotate", "--started-between", "2000-01-01", "2100-01-01",
                            "--event", "data.checked")
    assert code == 0 and "annotated 2 run(s)" in out and err.startswith(warning), err

    listed = list_runs(runs)
    assert [r.name for r in listed] == ["good1", "good2"]
    assert [(p.path, reason in p.reason) for p in listed.skipped] == [(path, True)]
    assert best_run(runs, None, "acc").skipped == listed.skipped


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_commands_on_the_unreadable_run_exit_2_naming_file_and_problem(
        repo: Path, tmp_path: Path, kind: str) -> None:
    healthy(repo)
    path, address, reason = corrupt(repo, kind)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    error = f"Error: unreadable run {path}: {reason}"
    for args in (["show", address], ["show", address, "--json"], ["diff", address, "good1"],
                 ["diff", "good1", address, "--json"], ["audit", address],
                 ["gate", address, "--policy", str(policy)],
                 ["gate", "good2", "--policy", str(policy), "--baseline", address],
                 ["report", address], ["card", address],
                 ["quarantine", address, "--reason", "bad"]):
        code, out, err = invoke(repo, *args)
        assert code == 2, (args, code, out, err)
        assert out == "" and len(err.splitlines()) == 1 and err.startswith(error), (args, err)
    # the others read normally
    for args in (["show", "good1"], ["diff", "good1", "good2"], ["audit", "good1"],
                 ["gate", "good2", "--policy", str(policy)], ["report", "good1"],
                 ["card", "good2"]):
        code, out, err = invoke(repo, *args)
        assert code == 0, (args, code, out, err)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rm_removes_the_unreadable_run(repo: Path, kind: str) -> None:
    healthy(repo)
    _path, address, _reason = corrupt(repo, kind)
    folder = KINDS[kind][1]
    code, out, err = invoke(repo, "rm", address)
    assert code == 0, err
    assert sh(repo, "ls-tree", "-r", "--name-only", BRANCH, "--", folder) == ""  # git says gone
    code, out, err = invoke(repo, "runs")
    assert code == 0 and err == "" and "run:p.good1" in out


def test_rm_and_show_take_the_path_a_warning_prints(repo: Path) -> None:
    healthy(repo)
    path, _address, reason = corrupt(repo, "metric-text")
    assert invoke(repo, "show", path)[2].startswith(f"Error: unreadable run {path}: {reason}")
    assert invoke(repo, "show", VICTIM.rsplit("/", 1)[0])[0] == 2  # a shard is not a run
    code, out, err = invoke(repo, "rm", path)
    assert code == 0 and "Removed run:p.victim" in out, err
    assert invoke(repo, "runs")[2] == ""


def test_library_raises_corrupt_run_with_fields(repo: Path) -> None:
    runs = healthy(repo)
    corrupt(repo, "metric-text")
    with pytest.raises(CorruptRun) as caught:
        runs.get(runs.resolve("victim"))
    assert (caught.value.folder, caught.value.file, caught.value.exit_code) == (
        VICTIM, "metrics.toml", 2)


def test_control_characters_in_a_folder_name_are_escaped(repo: Path) -> None:
    healthy(repo)
    folder = f"projects/p/runs/{shard('x')}/x\x1b[31m"
    hand_commit(repo, {f"{folder}/run.toml": b'status = "completed"\n'})
    code, _out, err = invoke(repo, "runs")
    assert code == 0 and "\x1b" not in err and "\\x1b[31m" in err


# -- pull: an incoming unreadable run is refused, the rest merged -------------------------
def clone_of(tmp_path: Path, origin: Path, mode: str) -> Path:
    """A second repository pulling from ``origin``: fresh (no runs yet), behind (pulled
    before the corruption: a fast-forward would be possible), or diverged (its own run)."""
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    git(other, "remote", "add", "origin", str(origin))
    if mode in ("behind", "diverged"):
        assert invoke(other, "pull")[0] == 0
    if mode == "diverged":
        record(Runs.open(other), "p", "mine", metrics={"acc": 0.5}, capture_environment=False)
    return other


@pytest.mark.parametrize("mode", ["fresh", "behind", "diverged"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_pull_refuses_unreadable_runs_and_merges_the_rest(repo: Path, tmp_path: Path,
                                                           kind: str, mode: str) -> None:
    healthy(repo)
    other = clone_of(tmp_path, repo, mode)
    path, _address, reason = corrupt(repo, kind)
    record(Runs.open(repo), "p", "later", metrics={"acc": 0.7}, capture_environment=False)

    code, out, err = invoke(other, "pull")
    assert code == 0, err
    assert len(err.splitlines()) == 1 and err.endswith(" (not merged)\n"), err
    assert err.startswith(f"Warning: refused unreadable run {path}: {reason}"), err
    assert out.startswith("Merged:")
    code, out, err = invoke(other, "runs")
    assert code == 0 and err == ""  # nothing unreadable came in
    for name in ("good1", "good2", "later", *(["mine"] if mode == "diverged" else [])):
        assert f"run:p.{name}" in out
    # the remote's tip is merged (pull again: nothing to do) and git finds the result sound
    their_tip, our_tip = sh(repo, "rev-parse", BRANCH), sh(other, "rev-parse", BRANCH)
    sh(other, "merge-base", "--is-ancestor", their_tip, our_tip)
    assert invoke(other, "pull") == (0, "Already up to date\n", "")
    sh(other, "fsck", "--strict", "--no-progress")


def test_pull_json_names_refused_runs_in_strict_json(repo: Path, tmp_path: Path) -> None:
    healthy(repo)
    other = clone_of(tmp_path, repo, "fresh")
    _path, _address, reason = corrupt(repo, "metric-text")
    code, out, _err = invoke(other, "pull", "--json")
    assert code == 0
    refused = strict(out)["refused"]  # type: ignore[index]
    assert refused == [{"folder": VICTIM, "file": "metrics.toml", "reason": reason}]


@pytest.mark.parametrize("kind", ["stage-without-name", "invalid-toml", "metric-text"])
def test_pull_leaves_a_local_unreadable_run_alone(repo: Path, tmp_path: Path, kind: str) -> None:
    healthy(repo)
    other = clone_of(tmp_path, repo, "behind")
    change, _folder, _address, _file, reason = KINDS[kind]
    hand_commit(other, change(other))  # our copy of the victim breaks...
    runs = Runs.open(repo)  # ...while the remote records more for it and a new run
    runs.apply([RunChange(RunId("p", "victim"), create=False, stages=[{"name": "extra"}],
                          appends={"metrics.toml": [{"id": "late", "key": "acc", "value": 1.0}]})],
               "more for the victim")
    record(runs, "p", "later", metrics={"acc": 0.7}, capture_environment=False)
    code, out, err = invoke(other, "pull")
    assert code == 0, err
    assert "not merged: unreadable run" in out and reason in out
    code, out, err = invoke(other, "runs")
    assert code == 0 and "run:p.later" in out and err.startswith("Warning: skipped")


@pytest.mark.parametrize("kind", ["stage-without-name", "status-number", "invalid-toml"])
def test_writing_to_an_unreadable_run_is_refused_by_name(repo: Path, kind: str) -> None:
    runs = healthy(repo)
    path, _address, reason = corrupt(repo, kind)
    before = sh(repo, "rev-parse", BRANCH)
    with pytest.raises(CorruptRun, match=re.escape(reason)) as caught:
        runs.apply([RunChange(RunId("p", "victim"), create=False, stages=[{"name": "more"}])],
                   "more")
    assert caught.value.exit_code == 2 and path in str(caught.value)
    assert sh(repo, "rev-parse", BRANCH) == before
