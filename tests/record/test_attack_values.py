"""Attack: a None inside a param is silently dropped (TOML has no null), which changes
the value the user logged: ``[1, None, 3]`` is stored as ``[1, 3]``."""

from __future__ import annotations

from pathlib import Path


import contexta_git
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs


def test_attack_none_in_a_param_list_is_refused_or_kept(repo: Path) -> None:
    try:
        with contexta_git.start_run("r", project="p", repo=repo, capture_environment=False,
                                    params={"milestones": [10, None, 30]}):
            pass
    except InvalidValue:
        return  # refused at the call: nothing silently changed
    runs = Runs.open(repo)
    assert runs.get(runs.resolve("r")).params["milestones"] == [10, None, 30]


def test_a_null_param_is_left_out_and_not_counted(repo: Path) -> None:
    import subprocess
    import sys

    (repo / "params.json").write_text('{"a": null, "b": 2}')
    done = subprocess.run([sys.executable, "-m", "contexta_git", "record", "-p", "p", "-n", "n",
                           "--metric", "acc=1", "--params-file", "params.json",
                           "--no-environment"], cwd=repo, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "1 params" in done.stdout
    runs = Runs.open(repo)
    assert runs.get(runs.resolve("n")).params == {"b": 2}
