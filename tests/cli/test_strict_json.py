"""Every JSON output is strict RFC 8259 JSON, whatever the record holds (NaN, infinities).

Params accept ``nan`` and ``inf`` (TOML has them, and ``inf`` is a real setting); a
hand-made record can hold a NaN metric. JSON has neither: every output maps them to the
strings "NaN", "Infinity" and "-Infinity", and each output is parsed here by a parser
that refuses the bare tokens Python's json module would otherwise write.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core import jsonout

from contexta_git.core.names import RunId

from tests.cli.test_redteam_corrupt import hand_commit
from tests.conftest import git

PARAMS = ("--param", "lr=nan", "--param", "clip=inf", "--param", "floor=-inf",
          "--param", "grid=[nan, 1.5]", "--param", "seed=7")


def strict(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise AssertionError(f"not RFC 8259 JSON: bare {token}")
    return json.loads(text, parse_constant=refuse)


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.stdout, result.stderr


def json_commands() -> set[str]:
    """Every command (and subcommand) that can print JSON: a --json flag or --format json."""
    found: set[str] = set()

    def walk(command: click.Command, name: str) -> None:
        if isinstance(command, click.Group):
            for sub, child in command.commands.items():
                walk(child, f"{name} {sub}".strip())
            return
        for param in command.params:
            choices = getattr(param.type, "choices", ())
            if "--json" in getattr(param, "opts", ()) or (
                    "--format" in getattr(param, "opts", ()) and "json" in choices):
                found.add(name)
    walk(cli, "")
    return found


@pytest.fixture
def world(repo: Path, tmp_path: Path) -> dict[str, str]:
    """Runs with non-finite params, one with a NaN metric (by hand), a policy, an
    unsigned certificate, an artifact and a clone to pull into."""
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    for name, extra in (("a", ["--artifact", str(model)]), ("b", ["--param", "lr=0.1"])):
        code, _out, err = invoke(repo, "record", "-p", "p", "-n", name, "--metric", "acc=0.9",
                                "--no-environment", *PARAMS, *extra)
        assert code == 0, err
    code, _out, err = invoke(repo, "record", "-p", "p", "-n", "c", "--metric", "acc=0.5",
                             "--no-environment")
    assert code == 0, err
    metrics = RunId("p", "c").path + "/metrics.toml"
    hand_commit(repo, {metrics: b'[[metrics]]\nid = "m1"\nkey = "acc"\nvalue = nan\n'})
    policy = tmp_path / "policy.toml"
    policy.write_text("[metrics.acc]\nmin = 0.5\n")
    clone = tmp_path / "clone"
    clone.mkdir()
    git(clone, "init", "-q")
    git(clone, "remote", "add", "origin", str(repo))
    dvclive = tmp_path / "dvclive"
    (dvclive / "plots" / "metrics").mkdir(parents=True)
    (dvclive / "plots" / "metrics" / "loss.tsv").write_text("timestamp\tstep\tloss\n1\t0\t0.5\n")
    return {"policy": str(policy), "model": str(model), "clone": str(clone),
            "dvclive": str(dvclive)}


def test_every_json_output_is_strict(repo: Path, world: dict[str, str]) -> None:
    policy = world["policy"]
    rules = str(Path(policy).with_name("rules.toml"))
    Path(rules).write_text('[[rules]]\nmetric_key = "acc"\noperator = "lt"\nthreshold = 0.6\n')
    calls: dict[str, list[tuple[str, ...]]] = {
        "runs": [("runs", "--json"), ("runs", "--json", "--sort", "acc"),
                 ("runs", "--format", "json", "--include-quarantined")],
        "show": [("show", "a", "--json"), ("show", "c", "--json")],
        "diff": [("diff", "a", "b", "--json"), ("diff", "a", "c", "--json", "--all")],
        "compare": [("compare", "a", "b", "c", "--json", "--all")],
        "audit": [("audit", "a", "--json")],
        "record": [("record", "-p", "p", "-n", "d", "--metric", "acc=1", "--no-environment",
                    "--json", *PARAMS)],
        "gate": [("gate", "a", "--policy", policy, "--format", "json"),
                 ("gate", "c", "--policy", policy, "--format", "json")],
        "report": [("report", "a", "--format", "json"), ("report", "c", "--format", "json")],
        "certify": [("certify", "a", "--policy", policy, "--client", "C", "--model", "M",
                     "--id", "cert-a", "--no-sign", "--json")],
        "alias set": [("alias", "set", "p@champion", "a", "--reason", "r", "--json")],
        "alias resolve": [("alias", "resolve", "p@champion", "--json")],
        "alias history": [("alias", "history", "p@champion", "--json"),
                          ("alias", "history", "p@champion", "--at", "2001-01-01", "--json")],
        "deploy": [("deploy", "a", "--env", "prod", "--reason", "r", "--json")],
        "deployments": [("deployments", "--json")],
        "verify": [("verify", "cert-a", "--json"), ("verify", "--all", "--json"),
                   ("verify", "--artifact", world["model"], "--json"),
                   ("verify", "--alias", "p@champion", "--json")],
        "hooks status": [("hooks", "status", "--json")],
        "diagnose": [("diagnose", "c", "--json")],
        "lineage": [("lineage", "a", "--json")],
        "trend": [("trend", "acc", "-p", "p", "--json")],
        "alerts": [("alerts", "c", "--rules", rules, "--json")],
        "import dvclive": [("import", "dvclive", world["dvclive"], "-p", "p", "--json")],
    }
    mlflow_store = Path(world["model"]).parent / "mlruns"
    if importlib.util.find_spec("mlflow") is not None:  # CI installs it
        calls["export mlflow"] = [("export", "mlflow", "--tracking-uri", str(mlflow_store),
                                   "--json")]
        calls["import mlflow"] = [("import", "mlflow", "--tracking-uri", str(mlflow_store),
                                   "--no-artifacts", "--json")]
    outputs: dict[str, list[Any]] = {}
    for command, runs in calls.items():
        for args in runs:
            code, out, err = invoke(repo, *args)
            assert code in (0, 1), (args, code, err)
            outputs.setdefault(command, []).append(strict(out))
    code, out, err = invoke(Path(world["clone"]), "pull", "--json")
    assert code == 0, err
    outputs["pull"] = [strict(out)]
    untested = set() if "import mlflow" in calls else {"import mlflow", "export mlflow"}
    assert set(outputs) == json_commands() - untested  # a new JSON output is tested here

    shown = outputs["show"][0]
    assert shown["params"] == {"lr": "NaN", "clip": "Infinity", "floor": "-Infinity",
                               "grid": ["NaN", 1.5], "seed": 7}
    assert outputs["show"][1]["metrics"] == {"acc": "NaN"}
    assert outputs["record"][0]["params"]["clip"] == "Infinity"
    changes = {row["key"]: row for row in outputs["diff"][0]["params"]}
    assert set(changes) == {"lr"}  # b overrides lr; grid = [nan, 1.5] on both sides is no change
    assert changes["lr"] == {"key": "lr", "left": "NaN", "right": 0.1}
    assert [m["right"] for s in outputs["diff"][1]["stages"] for m in s["metrics"]] == ["NaN"]
    lr = [r for r in outputs["compare"][0]["rows"] if r["key"] == "lr"][0]
    assert lr["values"][0] == "NaN" and lr["changed"]
    gate_c = outputs["gate"][1]
    assert gate_c["decision"] == "FAIL" and gate_c["checks"][0]["value"] == "NaN"


def test_the_encoder_maps_non_finite_numbers() -> None:
    value = {"a": math.nan, "b": [math.inf, -math.inf], "c": (1, 2.5), "d": None}
    assert json.loads(jsonout.dumps(value)) == {"a": "NaN", "b": ["Infinity", "-Infinity"],
                                                "c": [1, 2.5], "d": None}


def test_listing_sorts_and_best_ignore_a_nan_metric(repo: Path, world: dict[str, str]) -> None:
    assert invoke(repo, "best", "acc")[1] == "run:p.a\n"  # c's NaN never wins, a is earlier
    assert invoke(repo, "best", "acc", "--min")[1] == "run:p.a\n"
    code, out, _err = invoke(repo, "runs", "--sort", "acc", "--json")
    assert code == 0
    assert [r["name"] for r in strict(out)] == ["b", "a", "c"]  # NaN sorts as missing: last
    code, out, _err = invoke(repo, "runs", "--sort", "-acc", "--json")
    assert [r["name"] for r in strict(out)] == ["b", "a", "c"]
