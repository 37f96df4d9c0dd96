"""Problems a new user ran into, kept fixed: each test is the user's own command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.store.runs import Runs


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def test_diff_of_runs_sharing_no_params_or_packages(repo: Path) -> None:
    assert invoke(repo, "record", "-p", "p", "-n", "a", "--metric", "acc=0.9", "--param",
                  "lr=0.1", "--no-environment")[0] == 0
    assert invoke(repo, "record", "-p", "p", "-n", "b", "--metric", "acc=0.8",
                  "--param", "depth=3")[0] == 0
    code, out = invoke(repo, "diff", "a", "b", "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert {c["key"] for c in doc["params"]} == {"lr", "depth"}
    assert len(doc["environment"]["added_packages"]) > 10  # b captured packages, a did not
    for extra in ([], ["--all"], ["--md"]):
        code, out = invoke(repo, "diff", "a", "b", *extra)
        assert code == 0 and "acc" in out, out


def test_run_with_an_invalid_metrics_file_ends_failed_with_the_commands_status(repo: Path) -> None:
    out_file = repo / "out.json"
    code, out = invoke(repo, "run", "-p", "p", "-n", "nan", "--metrics-file", str(out_file), "--",
                       sys.executable, "-c",
                       f"open({str(out_file)!r}, 'w').write('{{\"acc\": NaN}}')")
    assert code == 0, out
    assert "Warning: " in out and "metric 'acc' must be finite" in out
    data = Runs.open(repo).get(RunId("p", "nan"))
    assert data.status == "failed" and data.ended_at
    assert any(e.key == "metrics.invalid" for e in data.events)


def test_run_exit_codes_follow_the_shell(repo: Path) -> None:
    code, out = invoke(repo, "run", "-p", "p", "-n", "missing", "--", "no-such-command-xyz")
    assert code == 127
    assert out.startswith("Error: could not start no-such-command-xyz: No such file or directory")
    assert Runs.open(repo).get(RunId("p", "missing")).status == "failed"
    code, _ = invoke(repo, "run", "-p", "p", "-n", "killed", "--", sys.executable, "-c",
                     "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert code == 143
    data = Runs.open(repo).get(RunId("p", "killed"))
    assert data.status == "failed" and data.params["command"].endswith("signal.SIGTERM)'")


def certified(repo: Path, tmp_path: Path) -> Path:
    from tests.release.certs import ssh_key, use_ssh

    use_ssh(repo, ssh_key(tmp_path / "keys"))
    (repo / "model.pt").write_bytes(b"weights")
    import contexta_git

    with contexta_git.start_run("good", project="p", repo=repo) as run:
        run.log_metric("acc", 0.95, stage="evaluate")
        run.artifact(repo / "model.pt", kind="model")
    policy = repo / "quality.toml"
    policy.write_text("[metrics.acc]\nmin = 0.9\n")
    code, out = invoke(repo, "certify", "good", "--policy", str(policy), "--client", "C",
                       "--model", "M", "--id", "c1")
    assert code == 0, out
    return policy


def test_quarantine_revokes_certificates_and_blocks_new_ones(repo: Path, tmp_path: Path,
                                                            branch_state) -> None:
    policy = certified(repo, tmp_path)
    assert invoke(repo, "verify", "c1")[0] == 0
    assert invoke(repo, "verify", "--artifact", str(repo / "model.pt"))[0] == 0
    assert invoke(repo, "quarantine", "good", "--reason", "leaky split")[0] == 0
    code, out = invoke(repo, "verify", "c1")
    assert code == 1 and "was quarantined after certification (leaky split)" in out
    assert invoke(repo, "verify", "--artifact", str(repo / "model.pt"))[0] == 1
    before = branch_state()
    assert invoke(repo, "certify", "good", "--policy", str(policy), "--client", "C",
                  "--model", "M", "--id", "c2") == (
        2, "Error: run:p.good is quarantined (leaky split): a quarantined run cannot be "
           "certified; release it first with contexta-git quarantine --undo\n")
    assert branch_state() == before
    assert invoke(repo, "quarantine", "good", "--reason", "fixed", "--undo")[0] == 0
    assert invoke(repo, "verify", "c1")[0] == 0


def test_quarantine_twice_writes_nothing(repo: Path, branch_state) -> None:
    invoke(repo, "record", "-p", "p", "-n", "r", "--metric", "acc=1", "--no-environment")
    assert invoke(repo, "quarantine", "r", "--reason", "bad")[0] == 0
    before = branch_state()
    assert invoke(repo, "quarantine", "r", "--reason", "again") == (
        0, "nothing to do: every run named is already quarantined\n")
    assert branch_state() == before


def test_small_messages(repo: Path, tmp_path: Path) -> None:
    invoke(repo, "record", "-p", "p", "-n", "r", "--metric", "acc=1", "--no-environment")
    code, out = invoke(repo, "report", "r", "-o", str(tmp_path / "nodir" / "r.md"))
    assert code == 2 and out.startswith(f"Error: cannot write {tmp_path / 'nodir' / 'r.md'}: ")
    assert invoke(repo, "runs", "--started-between", "2020-01-01", "2020-01-02") == (
        0, "No runs match these filters.\n")
    (tmp_path / "q.toml").write_text("[metrics.acc]\nmin = 0.5\n")
    code, out = invoke(repo, "certify", "r", "--policy", str(tmp_path / "q.toml"), "--client",
                       "C", "--model", "M", "--id", "bad id", "--no-sign")
    assert code == 2 and "Error: invalid certificate name 'bad id': must start" in out
    CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path / "keep")])
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path / "keep")])
    assert result.exit_code == 2
    assert result.output == (f"Error: {tmp_path / 'keep' / 'ml-project'} already exists: "
                             "give --keep a new folder\n")


def test_hook_messages_say_what_happened(repo: Path) -> None:
    assert invoke(repo, "hooks", "install")[1].startswith("Installed ")
    assert invoke(repo, "hooks", "install")[1].startswith("Already installed, unchanged: ")
    assert invoke(repo, "hooks", "uninstall", "--hook", "post-commit") == (
        0, "post-commit: removed\n")
    assert invoke(repo, "hooks", "uninstall", "--hook", "pre-push") == (
        0, "pre-push: not installed, nothing to do\n")


def test_record_and_run_take_datasets_and_artifacts(repo: Path) -> None:
    (repo / "train.csv").write_text("x\n1\n")
    (repo / "model.bin").write_bytes(b"w")
    code, out = invoke(repo, "record", "-p", "p", "-n", "r", "--metric", "acc=1",
                       "--dataset", "train@v3=" + str(repo / "train.csv"),
                       "--artifact", str(repo / "model.bin"), "--no-environment")
    assert code == 0, out
    data = Runs.open(repo).get(RunId("p", "r"))
    assert (data.datasets[0].name, data.datasets[0].version) == ("train", "v3")
    assert data.artifacts[0].name == "model.bin" and data.artifacts[0].size == 1
    shown = invoke(repo, "show", "r")[1]
    assert "artifact model.bin" in shown and "dataset train v3" in shown
    out_file = repo / "out.bin"
    code, out = invoke(repo, "run", "-p", "p", "-n", "w", "--dataset", "train=" + str(repo / "train.csv"),
                       "--artifact", str(out_file), "--", sys.executable, "-c",
                       f"open({str(out_file)!r}, 'wb').write(b'model')")
    assert code == 0, out
    data = Runs.open(repo).get(RunId("p", "w"))
    assert data.artifacts[0].size == 5 and data.datasets[0].name == "train"
    assert invoke(repo, "record", "-p", "p", "-n", "x", "--dataset", "nopath") == (
        2, "Error: dataset 'nopath' must look like NAME=PATH or NAME@VERSION=PATH\n")
    assert invoke(repo, "record", "-p", "p", "-n", "x", "--artifact", str(repo / "nope")) == (
        2, f"Error: no such file or folder: {repo / 'nope'}\n")


def test_a_dotted_name_that_reads_two_ways_is_ambiguous(repo: Path, branch_state) -> None:
    for project, name in (("bert", "v2"), ("default", "bert.v2")):
        assert invoke(repo, "record", "-p", project, "-n", name, "--metric", "acc=1",
                      "--no-environment")[0] == 0
    before = branch_state()
    assert invoke(repo, "rm", "bert.v2") == (
        2, "Error: run name 'bert.v2' is ambiguous: run:bert.v2, run:default.bert.v2; "
           "use run:<project>.<name>\n")
    assert branch_state() == before
    runs = Runs.open(repo)
    assert runs.resolve("run:bert.v2") == RunId("bert", "v2")
    assert runs.resolve("bert.v2", project="default") == RunId("default", "bert.v2")
    assert runs.resolve("v2") == RunId("bert", "v2")
