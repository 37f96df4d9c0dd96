"""Real signing keys and signing setups for certificate tests (no mocks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import git

EMAIL = "test@example.com"


def ssh_key(folder: Path, name: str = "id_ed25519") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", EMAIL, "-f", str(key)],
                   check=True, capture_output=True)
    return key


def use_ssh(repo: Path, key: Path, principal: str = EMAIL, allowed: Path | None = None) -> Path:
    """Sign with ``key``; allow ``allowed`` (default: ``key``) as ``principal``."""
    signers = repo.parent / f"allowed_signers_{repo.name}"
    public = (allowed or key).with_suffix(".pub").read_text().strip()
    signers.write_text(f"{principal} {public}\n")
    git(repo, "config", "gpg.format", "ssh")
    git(repo, "config", "user.signingKey", str(key))
    git(repo, "config", "gpg.ssh.allowedSignersFile", str(signers))
    return signers


def gpg_home(folder: Path) -> Path | None:
    """A temporary GNUPGHOME with one ed25519 signing key for EMAIL (None without gpg)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    try:
        made = subprocess.run(
            ["gpg", "--homedir", str(folder), "--batch", "--pinentry-mode", "loopback",
             "--passphrase", "", "--quick-gen-key", f"Test User <{EMAIL}>", "ed25519", "sign",
             "never"], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return folder if made.returncode == 0 else None


def stop_agent(home: Path) -> None:
    """End the gpg-agent this test's GNUPGHOME started (only that one)."""
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True,
                   check=False)


def gpg(home: Path, *args: str, input: bytes | None = None) -> bytes:
    """Run gpg on ``home`` in batch mode; fail the test with its stderr."""
    done = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--yes", *args],
                          input=input, capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"gpg {' '.join(args)} failed: {done.stderr.decode()}")
    return done.stdout


def gpg_fingerprint(home: Path) -> str:
    """The primary key fingerprint of the one key in ``home``."""
    listing = gpg(home, "--with-colons", "--list-keys", EMAIL).decode()
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def gpg_import_public(into: Path, source: Path) -> None:
    """Import ``source``'s public key into ``into`` without signing or trusting it."""
    gpg(into, "--import", input=gpg(source, "--export", "--armor", EMAIL))
