"""A user's secrets never reach any git object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

import contexta_git
from contexta_git.cli.main import cli
from contexta_git.core import records
from contexta_git.core.redact import (
    REDACTED, clean_url, is_secret_key, redact, redact_argv, redact_record, redact_text,
)

from tests.conftest import git
from tests.core import planted

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


# -- every shape, every named form, and what must stay ------------------------------------


@pytest.mark.parametrize("name", sorted(planted.SHAPED))
def test_each_shape_is_redacted_inside_text(name: str) -> None:
    out = redact_text(f"got {planted.SHAPED[name]} ok")
    assert REDACTED in out and out.startswith("got ") and out.endswith(" ok")
    for mark, value in planted.MARKS.items():
        assert value not in out, mark


def test_every_named_form_is_redacted_whole() -> None:
    out = redact_text(planted.prose())
    leaked = [mark for mark, value in planted.MARKS.items() if value in out]
    assert leaked == []


@pytest.mark.parametrize(("text", "kept"), [
    ("--password 'a b' --epochs 3", "--epochs 3"),
    ("'--api-key=x y' --lr 0.1", "--lr 0.1"),
    ('cfg {"password": "x", "lr": 0.1}', '"lr": 0.1'),
    ("https://h/x?token=abc&page=2", "&page=2"),
    ("https://h/x?sig=abc#frag", "#frag"),
])
def test_redaction_stops_where_the_secret_ends(text: str, kept: str) -> None:
    out = redact_text(text)
    assert kept in out and REDACTED in out


@pytest.mark.parametrize("text", [
    "tokenizer=bert-base-uncased", "max_tokens: 512", "num_keys=8", "lr=1e-3",
    "learning_rate: 0.0003 weight_decay=0.01", "data at /data/keys/train.csv and ./secrets_of_ml.md",
    "code commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "sha256 fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    "the token expired", "model mask-rcnn-resnet50-fpn-coco-2017-final",
    "Basic statistics computed", "sk-learn-baseline-experiment-number-two",
    "pad_token=<pad> eos_token: </s>", "forward_pass=2 pass_rate=0.5 key_dim=64",
    "https://huggingface.co/bert-base-uncased/resolve/main/config.json?download=true",
    "run:churn.v2 at 2025-04-01T15:00:00.500000Z",
])
def test_ordinary_ml_text_is_kept(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize("key", ["pass", "DB_PASS", "db-pass", "dbPass", "PGPASSWORD",
                                 "private_token", "X-Auth-Token", "wandb_api_key", "NGROK_AUTHTOKEN",
                                 "AccountKey", "hf_token", "access_key"])
def test_more_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["pad_token", "eos_token", "max_tokens", "key_dim", "rng_key",
                                 "forward_pass", "pass_rate", "key_packages", "tokens_per_second",
                                 "sort_key", "private_dataset", "auth_method_count", "passes"])
def test_more_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_argv_values_are_redacted_whole() -> None:
    argv = ["python", "train.py", "--password", "a b", "--api-key=x y", "--db-pass", "z",
            "PGPASSWORD=p", "db.password=q", "--epochs", "3", "--auth", "--verbose"]
    assert redact_argv(argv) == [
        "python", "train.py", "--password", REDACTED, f"--api-key={REDACTED}", "--db-pass",
        REDACTED, f"PGPASSWORD={REDACTED}", f"db.password={REDACTED}", "--epochs", "3",
        "--auth", "--verbose"]


def test_clean_url_drops_secret_query_values() -> None:
    url = clean_url("https://u:p@git.example.com/r.git?private_token=abc&ref=main")
    assert url == f"https://git.example.com/r.git?private_token={REDACTED}&ref=main"
    assert planted.S3_SIG not in clean_url(planted.S3)
    assert planted.AZURE_SIG[:30] not in clean_url(planted.AZURE)


def test_records_dumps_is_the_choke_point() -> None:
    doc = {"params": {"DB_PASS": "a", "key": "b", "lr": 0.1, "use_auth": True},
           "note": planted.prose(), "packages": {"google-auth": "2.0", "keyring": "25"},
           "metrics": [{"key": "acc", "value": 1.0}], "key_packages": {"torch": "2.3"},
           "sha256": "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"}
    text = records.dumps(doc).decode()
    back = records.loads(text.encode())
    assert back["params"] == {"DB_PASS": REDACTED, "key": REDACTED, "lr": 0.1, "use_auth": True}
    assert back["packages"] == doc["packages"] and back["key_packages"] == doc["key_packages"]
    assert back["metrics"] == doc["metrics"] and back["sha256"] == doc["sha256"]
    assert [m for m, v in planted.MARKS.items() if v in text] == []
    assert redact_record(back) == back  # redacting what was redacted changes nothing


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([
    "password", "--db-pass", "token", "=", ":", " ", "'", '"', "?", "&", "x", "abc", "-",
    "https://", "@", "sk_live_", "AIzaSy", "[redacted]", ",", "{", "}", planted.STRIPE,
    "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "\n", "Bearer ", "key"]),
    max_size=14).map("".join))
@example("'password'=password")  # its [redacted] once read as a value ending before "]"
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once
