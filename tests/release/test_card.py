"""The model card: front matter Hugging Face reads, and every section."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contexta_git.release.card import card
from contexta_git.release.certify import certify
from contexta_git.errors import RunNotFound
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs

from tests.release.certs import ssh_key, use_ssh
from tests.release.test_gate import SEED_POLICY, invoke, seed_run, write


def test_card_with_policy_and_certificate(repo: Path, tmp_path: Path) -> None:
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    runs = seed_run(repo)
    certify(runs, "fraud", parse_policy(SEED_POLICY), client="Bank", model="FraudShield v2.1",
            cert_id="fs")
    code, text, err = invoke(repo, "card", "fraud", "--policy", str(write(tmp_path, SEED_POLICY)),
                             "--certificate", "fs", "--intended-use", "Fraud screening.")
    assert code == 0, err
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    result = front["model-index"][0]
    assert result["name"] == "FraudShield v2.1"
    metrics = {m["type"]: m["value"] for m in result["results"][0]["metrics"]}
    assert metrics["auc"] == 0.961 and len(metrics) == 5
    assert "# Model card: FraudShield v2.1" in text
    assert "## Intended use\n\nFraud screening." in text
    assert "## Limitations\n\nNot stated." in text
    assert "| auc | evaluate | 0.961 | min 0.93 | PASS |" in text
    assert "Gate decision: **PASS**" in text
    assert "- `contexta/cert/fs` (valid)" in text
    for section in ("## Data", "## Environment", "## Certificate"):
        assert section in text


def test_card_without_extras_and_bad_certificate(repo: Path) -> None:
    runs = seed_run(repo)
    text = card(runs, "fraud")
    assert "No certificate referenced." in text and "| recall | evaluate | 0.928 |  |  |" in text
    code, _, err = invoke(repo, "card", "fraud", "--certificate", "nope")
    assert code == 2 and err.startswith("Error: no certificate 'nope'")
    with pytest.raises(RunNotFound):
        card(Runs.open(repo), "missing")
