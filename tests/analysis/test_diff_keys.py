"""diff names changed params by their real keys, whatever characters the keys hold.

DeepDiff's path strings (``root["a'b\\"c"]``) cannot be parsed back reliably, so keys
come from its structured paths; keys with quotes, brackets, dots and ``root[...]``-like
text must come out exactly, with both values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis.environments import changed_keys
from contexta_git.cli.main import cli

KEYS = ["a'b\"c", "x[0]", "a.b", "root['x']", "]", '"', "'", "q\\'r", "[\"k\"]"]


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def test_diff_reports_the_exact_keys_and_values(repo: Path, tmp_path: Path) -> None:
    for name, base in (("left", 1), ("right", 2)):
        params = tmp_path / f"{name}.json"
        params.write_text(json.dumps({**{k: base + i for i, k in enumerate(KEYS)},
                                      "same": 0, "nested": {"deep": [base]}}))
        code, _out, err = invoke(repo, "record", "-p", "p", "-n", name, "--metric", "m=1",
                                 "--params-file", str(params), "--no-environment")
        assert code == 0, err
    code, out, err = invoke(repo, "diff", "left", "right", "--json")
    assert code == 0, err
    rows = {row["key"]: (row["left"], row["right"]) for row in json.loads(out)["params"]}
    expected = {k: (1 + i, 2 + i) for i, k in enumerate(KEYS)} | {"nested.deep": ([1], [2])}
    assert rows == expected


@pytest.mark.parametrize("key", KEYS)
def test_changed_keys_added_removed_changed(key: str) -> None:
    assert changed_keys({key: 1, "k": 1}, {key: 2, "k": 1}) == {key}
    assert changed_keys({"k": 1}, {key: [1], "k": 1}) == {key}
    assert changed_keys({key: {"x": [1, {"y": 2}]}}, {}) == {key}
    assert changed_keys({key: {"x": [1, {"y": 2}]}}, {key: {"x": [1, {"y": 3}]}}) == {key}
