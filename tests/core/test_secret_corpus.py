"""The planted-secret corpus: every shape of secret through every way in, then every
object of the repository (and every file contexta-git keeps in the git directory) is
scanned for what was planted.

Ways in: ``record --param`` / ``--params-file`` (JSON and YAML) / ``--event``, the
recording API (params, tags, event attributes, dataset sources, an exception), ``run``'s
command line and the metrics file it writes, allow-listed environment variables, the
remote URL, a ``direct_url.json`` of an installed distribution, ``annotate`` and
``quarantine`` messages (they reach commit messages too) and a certificate's client and
model (they reach the tag message).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import contexta_git
from contexta_git.cli.main import cli

from tests.conftest import git
from tests.core import planted

P = planted


def every_object(repo: Path) -> bytes:
    """Every object in the repository, loose or packed, reachable or not."""
    return subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
                          cwd=repo, capture_output=True, check=True).stdout


def contexta_files(repo: Path) -> bytes:
    """Every file contexta-git keeps in the git directory (index, lockfile cache)."""
    folder = repo / ".git" / "contexta"
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def leaks(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    return sorted(mark for mark, value in P.MARKS.items() if value in text)


def cli_ok(repo: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    assert result.exit_code == 0, result.output


def fake_site(folder: Path) -> Path:
    """An import folder holding two distributions pip installed from secret-bearing URLs."""
    site = folder / "site"
    for name, direct in (
        ("fakepkg", {"url": f"https://pkgs.example.com/fakepkg-1.0.tar.gz?token={P.DIRECT_TOKEN}",
                     "archive_info": {"hashes": {"sha256": "ab" * 32}}}),
        ("fakevcs", {"url": f"https://ci:{P.GITHUB}@git.example.com/fakevcs.git?sig={P.AZURE_SIG}",
                     "vcs_info": {"vcs": "git", "commit_id": "cd" * 20}}),
    ):
        info = site / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "RECORD").write_text("")
        (info / "direct_url.json").write_text(json.dumps(direct))
    return site


def plant(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(repo, "remote", "add", "origin",
        f"https://alice:{P.NPM}@git.example.com/team/ml.git?private_token={P.REMOTE_TOKEN}")
    monkeypatch.setenv("OMP_NUM_THREADS", P.STRIPE)  # allow-listed names, secret values
    monkeypatch.setenv("XLA_FLAGS", f"--xla_dump_to=/tmp/x --api_key={P.PASS_VALUE}")
    monkeypatch.setenv("CONDA_DEFAULT_ENV", P.SLACK)
    monkeypatch.setenv("PGPASSWORD", P.PG_PW)  # never captured: not allow-listed
    monkeypatch.syspath_prepend(str(fake_site(tmp_path)))
    text = P.prose()

    # the command line: flags, params files, metrics files, events
    (tmp_path / "params.json").write_text(json.dumps(
        {"pass": P.PASS_VALUE, "DB_PASS": P.DB_PASS_VALUE, "note": text, "lr": 0.1}))
    (tmp_path / "params.yaml").write_text(
        f"db:\n  pass: {P.PASS_VALUE}\n  url: '{P.AZURE}'\nkey_file: '{P.PEM}'\nepochs: 3\n")
    cli_ok(repo, "record", "-p", "p", "-n", "r1", "--metric", "acc=0.9",
           "--params-file", str(tmp_path / "params.json"),
           "--params-file", str(tmp_path / "params.yaml"),
           "--param", f"note=password={P.PW_HEAD},{P.PW_REST}", "--param", f"DB_PASS={P.DB_PASS_VALUE}",
           "--param", f"cfg={json.dumps(text)}", "--event", f"data.note={text}")
    out = tmp_path / "m.json"
    writer = (f"import json; json.dump({{'acc': 0.5, 'api_key': '{P.METRICS_VALUE}'}}, "
              f"open({str(out)!r}, 'w'))")
    result = CliRunner().invoke(cli, [
        "--repo", str(repo), "run", "-p", "p", "-n", "r2", "--metrics-file", str(out),
        "--param", f"hook={P.SLACK}", "--", sys.executable, "-c", writer,
        "--password", f"{P.QUOTED_A} {P.QUOTED_B}", f"--api-key={P.API_HEAD} {P.API_REST}",
        "--db-pass", P.DB_PASS_FLAG, f"PGPASSWORD={P.PG_PW}", P.STRIPE, text])
    assert result.exit_code == 0, result.output  # the run fails; its command did not

    # the recording API
    with contexta_git.start_run("r3", project="p", repo=repo,
                                params={"DB_PASS": P.DB_PASS_VALUE, "cmd": text},
                                tags={"owner": P.GOOGLE}) as run:
        run.log_params({"nested": {"pass": P.PASS_VALUE, "url": P.S3}})
        run.event("fetch", text, attributes={"url": P.S3, "Authorization": P.PYPI})
        run.dataset("train", source=P.AZURE)
        run.dataset("eval", source=P.S3)
        run.log_metric("acc", 0.8)
    with pytest.raises(RuntimeError), contexta_git.start_run("r4", project="p", repo=repo):
        raise RuntimeError(f"could not connect: {text}")

    # after the fact: annotate, quarantine (both reach commit messages), certify
    cli_ok(repo, "annotate", "--started-between", "2000-01-01", "2100-01-01", "--event",
           "data.note", "-m", text)
    cli_ok(repo, "quarantine", "r4", "--reason", f"leaked {text}")
    (tmp_path / "policy.toml").write_text("[metrics.acc]\nmin = 0.5\n")
    cli_ok(repo, "certify", "r1", "--policy", str(tmp_path / "policy.toml"), "--no-sign",
           "--client", f"ACME {P.SLACK}", "--model", f"churn {P.STRIPE}", "--id", "c1")


def test_no_planted_secret_reaches_any_object(repo: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    plant(repo, tmp_path, monkeypatch)
    cli_ok(repo, "runs")  # builds the index under .git/contexta
    objects = every_object(repo)
    assert leaks(objects) == []
    assert leaks(contexta_files(repo)) == []
    text = objects.decode("utf-8", errors="replace")
    # what was planted did arrive, redacted, beside the ordinary values
    assert text.count("[redacted]") > 40
    for kept in ("lr = 0.1", "epochs = 3", "fakepkg", "fakevcs", "git.example.com/team/ml.git",
                 "pkgs.example.com/fakepkg-1.0.tar.gz", "acc", "metrics.invalid", "c1"):
        assert kept in text, kept
    assert "ab" * 32 in text and "cd" * 20 in text  # digests and commit ids are kept


def test_certificate_of_a_redacted_run_verifies(repo: Path, tmp_path: Path) -> None:
    """certificate.toml, certificate.md and the tag message are redacted alike, and verify
    recomputes the evidence from the redacted run: the certificate stays VALID."""
    from tests.release.certs import ssh_key, use_ssh

    use_ssh(repo, ssh_key(tmp_path / "keys"))
    with contexta_git.start_run("c", project="p", repo=repo,
                                params={"db_pass": P.DB_PASS_VALUE}) as run:
        run.dataset("train", version="v1", source=P.AZURE)
        run.log_metric("acc", 0.9)
    (tmp_path / "policy.toml").write_text("[metrics.acc]\nmin = 0.5\n")
    cli_ok(repo, "certify", "c", "--policy", str(tmp_path / "policy.toml"), "--id", "c2",
           "--client", f"ACME {P.SLACK}", "--model", f"churn {P.GOOGLE}")
    result = CliRunner().invoke(cli, ["--repo", str(repo), "verify", "c2"])
    assert result.exit_code == 0, result.output
    assert git(repo, "tag", "-v", "contexta/cert/c2").returncode == 0
    assert leaks(every_object(repo)) == []
