"""A user's secrets never reach any git object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import contexta_git
from contexta_git.cli.main import cli
from contexta_git.core.redact import clean_url, is_secret_key, redact

from tests.conftest import git

TOKEN = "ghp_" + "Zq7" * 12  # shaped like a GitHub token, never a real one
PLAIN = "hunter2-correct-horse"  # a secret with no recognisable shape


def all_objects(repo: Path) -> str:
    """Every object in the repository, loose or packed, reachable or not, as text."""
    import subprocess

    out = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
                         cwd=repo, capture_output=True, check=True).stdout
    return out.decode("utf-8", errors="replace")  # tree objects hold binary ids


def test_fake_token_never_reaches_any_git_object(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "remote", "add", "origin", f"https://alice:{TOKEN}@git.example.com/team/ml.git")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("OMP_NUM_THREADS", TOKEN)  # allow-listed name, secret-shaped value
    with contexta_git.start_run("r1", project="p", repo=repo,
                                params={"api_token": PLAIN, "db_password": PLAIN,
                                        "comment": f"uses {TOKEN}", "lr": 0.1}) as run:
        run.log_params({"hf_key": PLAIN, "nested": {"secretKey": PLAIN}})
        run.event("login", f"logged in with {TOKEN}", attributes={"Authorization": PLAIN,
                                                                    "url": f"https://u:{PLAIN}@h/x"})
    (repo / "params.json").write_text(json.dumps({"aws_secret_access_key": PLAIN, "epochs": 3}))
    result = CliRunner().invoke(cli, ["--repo", str(repo), "record", "-p", "p", "-n", "r2",
                                      "--params-file", str(repo / "params.json"),
                                      "--param", f"token={PLAIN}", "--metric", "acc=1"])
    assert result.exit_code == 0, result.output
    with contexta_git.start_run("r3", project="p", repo=repo,
                                params={"cfg": {"opts": f"--password={PLAIN}"}}) as run:
        run.dataset("train", source=f"https://bob:{PLAIN}@data.example.com/train.csv")
        run.event("note", f"fetched from https://bob:{PLAIN}@data.example.com/x ok")
    code = CliRunner().invoke(cli, ["--repo", str(repo), "run", "-p", "p", "-n", "r4", "--",
                                    "true", "--api-key", PLAIN, "--db",
                                    f"postgresql://admin:{PLAIN}@db/x"]).exit_code
    assert code == 0
    for args in (["quarantine", "r4", "--reason", f"leaked DB_PASSWORD={PLAIN}"],
                 ["annotate", "--started-between", "2000-01-01", "2100-01-01", "--event",
                  "data.note", "-m", f"vendor token: {PLAIN}"]):
        result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
        assert result.exit_code == 0, result.output
    text = all_objects(repo)
    assert "[redacted]" in text and "lr = 0.1" in text and "epochs = 3" in text
    assert TOKEN not in text
    assert PLAIN not in text
    assert "git.example.com/team/ml.git" in text  # the remote is kept, without credentials


@pytest.mark.parametrize("key", ["token", "API_KEY", "apiKey", "db_password", "client_secret",
                                 "Authorization", "aws_secret_access_key", "private_key"])
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["lr", "epochs", "keyboard", "metric_key", "tokenizer",
                                 "author", "monkey", "num_keys"])
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_and_urls() -> None:
    assert redact({"a": {"password": "x"}, "b": [f"{TOKEN}"]}) == {
        "a": {"password": "[redacted]"}, "b": ["[redacted]"]}
    assert clean_url("https://u:p@host:8443/r.git") == "https://host:8443/r.git"
    assert clean_url("git@github.com:team/r.git") == "git@github.com:team/r.git"
