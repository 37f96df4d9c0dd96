"""The demo's release steps: gate, certify with a throwaway SSH key, verify.

The key, its allowed-signers file and the policy live next to the demo repository
(never in its working tree); the signing setup is configured in that repository only.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from contexta_git.release.certify import certify
from contexta_git.release.gate import gate
from contexta_git.git.repo import git
from contexta_git.release.policy import load_policy
from contexta_git.store.runs import Runs
from contexta_git.release.verify import verify

POLICY = """\
# Quality policy agreed with the client: one table per metric.
[metrics.accuracy]
min = 0.90
stage = "evaluate"

[metrics.f1]
min = 0.85
stage = "evaluate"

[metrics.loss]
max = 0.5
stage = "train"
severity = "warn"
"""


def setup_signing(repo: Path, folder: Path) -> Path:
    """A fresh ed25519 key, used and trusted by ``repo`` alone; returns the key path."""
    key = folder / "demo-signing-key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "demo", "-f",
                        str(key)], check=True, capture_output=True)
    email = git(["config", "user.email"], cwd=repo, check=True).stdout.decode().strip()
    signers = folder / "allowed_signers"
    signers.write_text(f"{email} {key.with_suffix('.pub').read_text().strip()}\n")
    for name, value in (("gpg.format", "ssh"), ("user.signingKey", str(key)),
                        ("gpg.ssh.allowedSignersFile", str(signers))):
        git(["config", name, value], cwd=repo, check=True)
    return key


def release_steps(repo: Path, run: str, step: int, heading: Callable[[str], None],
                  show: Callable[[object], None]) -> str:
    """Gate, certify and verify ``run``; returns the certificate id."""
    folder = repo.parent
    policy_file = folder / "quality.toml"
    policy_file.write_text(POLICY)
    runs = Runs.open(repo)
    policy = load_policy(policy_file)
    heading(f"== {step}. Gate {run} against {policy_file.name}")
    show(gate(runs, run, policy))
    setup_signing(repo, folder)
    heading(f"== {step + 1}. Certify it, signed with a throwaway SSH key")
    done = certify(runs, run, policy, client="FinanceBank Corp", model="Demo model 1.0",
                   cert_id="demo-1.0")
    show(f"{done.tag.removeprefix('refs/tags/')} -> {done.commit[:12]}: {done.decision}, signed")
    heading(f"== {step + 2}. Verify it offline (git tag -v, then every number)")
    stock = git(["tag", "-v", done.tag.removeprefix("refs/tags/")], cwd=repo)
    show(f"git tag -v exit status {stock.returncode}")
    show(verify(runs, done.id))
    return done.id
