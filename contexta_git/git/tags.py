"""Tag objects: their exact bytes, parsing, signing and git's verdict on a signature.

Signed annotated tags go through the user's own git signing configuration.

pygit2 cannot sign, so we do what ``git tag -s`` does: build the exact bytes of
the tag object, sign them with the program git would use (``gpg.format``,
``user.signingKey``, ``gpg.<format>.program``, all read with ``git config`` so
``GIT_CONFIG_GLOBAL`` and includes count), check that a real armored signature
came back, and append it to the tag message. Stock ``git tag -v`` verifies it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexta_git.errors import ContextaError
from contexta_git.git.process import committer_ident, config_value, git

_ARMOR = {"openpgp": b"-----BEGIN PGP SIGNATURE-----", "x509": b"-----BEGIN SIGNED MESSAGE-----",
          "ssh": b"-----BEGIN SSH SIGNATURE-----"}
_PROGRAM = {"openpgp": "gpg", "x509": "gpgsm", "ssh": "ssh-keygen"}
_SIG_RESULTS = {"GOODSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "BADSIG", "ERRSIG"}
_SSH_GOOD = re.compile(r'Good "git" signature for (.+) with \S+ key (\S+)$')


class SigningError(ContextaError):
    """Signing could not produce a signature: nothing was written."""


@dataclass(frozen=True)
class SigningConfig:
    format: str  # openpgp, x509 or ssh
    key: str | None
    program: str


def signing_config(cwd: Path) -> SigningConfig:
    fmt = (config_value(cwd, "gpg.format") or "openpgp").lower()
    if fmt not in _PROGRAM:
        raise SigningError(f"unsupported gpg.format {fmt!r} (use openpgp, x509 or ssh)")
    return SigningConfig(fmt, config_value(cwd, "user.signingKey"),
                         signing_config_for(cwd, fmt).program)


tagger_ident = committer_ident


def tag_bytes(target: str, target_type: str, name: str, tagger: str, message: str) -> bytes:
    """The exact bytes of an unsigned tag object (``git cat-file tag`` prints them)."""
    body = message.rstrip("\n") + "\n"
    return (f"object {target}\ntype {target_type}\ntag {name}\ntagger {tagger}\n\n{body}").encode()


def sign(payload: bytes, cwd: Path, identity: str) -> bytes:
    """An armored detached signature of ``payload`` made the way git makes it."""
    cfg = signing_config(cwd)
    if cfg.format == "ssh":
        armored = _sign_ssh(payload, cfg)
    else:
        armored = _sign_gpg(payload, cfg, cfg.key or identity)
    if not armored.startswith(_ARMOR[cfg.format]) or b"-----END " not in armored:
        raise SigningError(f"{cfg.program} returned no {cfg.format} signature")
    return armored if armored.endswith(b"\n") else armored + b"\n"


def _run(command: list[str], payload: bytes | None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, input=payload, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SigningError(f"cannot run {command[0]}: {exc}") from exc


def _last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = [x for x in result.stderr.decode(errors="replace").splitlines()
             if x.strip() and not x.startswith("[GNUPG:]")]
    return lines[-1].strip() if lines else f"exit status {result.returncode}"


def _sign_gpg(payload: bytes, cfg: SigningConfig, key: str) -> bytes:
    result = _run([cfg.program, "--status-fd=2", "-bsau", key], payload)
    if result.returncode != 0 or b"[GNUPG:] SIG_CREATED " not in result.stderr:
        raise SigningError(f"{cfg.program} could not sign with key {key!r}: {_last_line(result)}")
    return result.stdout


def _sign_ssh(payload: bytes, cfg: SigningConfig) -> bytes:
    if not cfg.key:
        raise SigningError("gpg.format is ssh but user.signingKey is not set")
    with tempfile.TemporaryDirectory(prefix="contexta-sign-") as tmp:
        key = cfg.key
        literal = key.startswith(("key::", "ssh-", "ecdsa-", "sk-"))
        if literal:  # a public key: the private half is in ssh-agent, as git does it
            keyfile = Path(tmp) / "key.pub"
            keyfile.write_text(key.removeprefix("key::") + "\n")
        else:
            keyfile = Path(os.path.expanduser(key))
            if not keyfile.exists():
                raise SigningError(f"user.signingKey {key} does not exist")
        buffer = Path(tmp) / "tag"
        buffer.write_bytes(payload)
        command = [cfg.program, "-Y", "sign", "-n", "git", "-f", str(keyfile)]
        result = _run([*command, *(["-U"] if literal else []), str(buffer)], None)
        sig = buffer.with_name("tag.sig")
        if result.returncode != 0 or not sig.exists():
            raise SigningError(f"{cfg.program} could not sign with {key}: {_last_line(result)}")
        return sig.read_bytes()


_ARMOR_STARTS = (b"-----BEGIN PGP SIGNATURE-----", b"-----BEGIN SSH SIGNATURE-----",
                 b"-----BEGIN SIGNED MESSAGE-----")


@dataclass(frozen=True)
class TagObject:
    object: str
    type: str
    name: str
    tagger: str
    message: bytes
    signature: bytes | None


def parse_tag(raw: bytes) -> TagObject:
    """Split a tag object into its headers, message and trailing signature (if any).

    The signature starts at the *last* line that opens an armor block, as git's
    ``parse_signed_buffer`` has it: that is the block ``git verify-tag`` checks, so its
    kind decides which trust rules apply (an earlier block is message text to git)."""
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, str] = {}
    for line in head.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        fields.setdefault(key, value)
    signature = None
    cut: int | None = None
    for armor in _ARMOR_STARTS:
        found = body.rfind(b"\n" + armor)
        pos = found + 1 if found >= 0 else (0 if body.startswith(armor) else -1)
        if pos >= 0 and (cut is None or pos > cut):
            cut = pos
    if cut is not None:
        body, signature = body[:cut], body[cut:]
    return TagObject(fields.get("object", ""), fields.get("type", ""), fields.get("tag", ""),
                     fields.get("tagger", ""), body, signature)


@dataclass(frozen=True)
class TagVerdict:
    """What ``git verify-tag --raw`` said: its exit code decides, the output names who.

    ``signer`` is the SSH principal or the OpenPGP user id; ``key`` the SSH key's
    fingerprint or the OpenPGP primary key's (``signing_key``: the (sub)key that signed);
    ``trust`` the OpenPGP validity of that key in the verifier's keyring (``ULTIMATE``,
    ``FULLY``, ``MARGINAL``, ``UNDEFINED``, ``NEVER``; None for SSH); ``signatures`` how
    many OpenPGP signatures gpg checked (one result line each: GOODSIG, BADSIG, ...).
    """

    ok: bool
    output: str
    reason: str
    signer: str | None = None
    key: str | None = None
    signing_key: str | None = None
    trust: str | None = None
    signatures: int = 0


def signature_format(signature: bytes | None) -> str | None:
    """openpgp, ssh or x509 from a signature's armor (None: unsigned or unknown)."""
    for fmt, armor in _ARMOR.items():
        if signature is not None and signature.startswith(armor):
            return fmt
    return None


def verify_tag(cwd: Path, tag_object: str) -> TagVerdict:
    """Ask stock git whether the tag object's signature is good (by exit code only)."""
    result = git(["verify-tag", "--raw", tag_object], cwd=cwd)
    output = result.stderr.decode(errors="replace") + result.stdout.decode(errors="replace")
    lines = [x.strip() for x in output.splitlines() if x.strip() and "[GNUPG:]" not in x]
    reason = lines[-1] if lines else f"exit status {result.returncode}"
    status = _gnupg_status(output)
    return TagVerdict(result.returncode == 0, output, reason, **status)


def _gnupg_status(output: str) -> dict[str, Any]:
    """Signer, keys and trust from gpg's status lines (or SSH's "Good" line)."""
    found: dict[str, Any] = {"signatures": 0}
    for line in output.splitlines():
        ssh = _SSH_GOOD.match(line.strip())
        if ssh:
            found.update(signer=ssh.group(1), key=ssh.group(2))
        if not line.startswith("[GNUPG:] "):
            continue
        word, _, rest = line.removeprefix("[GNUPG:] ").strip().partition(" ")
        if word in _SIG_RESULTS:  # exactly one of these per signature gpg checked
            found["signatures"] += 1
        if word == "GOODSIG":
            found["signer"] = rest.partition(" ")[2].strip()
        elif word == "VALIDSIG":
            fields = rest.split()
            found["signing_key"] = fields[0].upper() if fields else None
            found["key"] = fields[-1].upper() if len(fields) >= 10 else found["signing_key"]
        elif word.startswith("TRUST_"):
            found["trust"] = word.removeprefix("TRUST_")
    return found


def verify_detached(cwd: Path, payload: bytes, signature: bytes) -> TagVerdict:
    """Whether ``signature`` (armored, as ``sign`` makes it) is a good signature of
    ``payload`` by a key git's configuration trusts: for SSH, a principal of
    ``gpg.ssh.allowedSignersFile`` (namespace ``git``, as for tags); for OpenPGP, gpg's
    verdict with its status lines (trust is judged by the caller, as for tags)."""
    fmt = signature_format(signature)
    if fmt not in ("ssh", "openpgp"):
        return TagVerdict(False, "", "not an SSH or OpenPGP signature")
    cfg = signing_config_for(cwd, fmt)
    with tempfile.TemporaryDirectory(prefix="contexta-verify-") as tmp:
        sig = Path(tmp) / "payload.sig"
        sig.write_bytes(signature)
        if fmt == "openpgp":
            done = _run([cfg.program, "--status-fd=1", "--verify", str(sig), "-"], payload)
            output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
            status = _gnupg_status(output)
            good = done.returncode == 0 and "signer" in status
            return TagVerdict(good, output, _last_line(done), **status)
        allowed = config_value(cwd, "gpg.ssh.allowedSignersFile")
        if not allowed:
            return TagVerdict(False, "", "gpg.ssh.allowedSignersFile is not set: no SSH key "
                                         "is trusted")
        allowed = os.path.expanduser(allowed)
        found = _run([cfg.program, "-Y", "find-principals", "-f", allowed, "-s", str(sig)], None)
        principals = found.stdout.decode(errors="replace").split()
        if found.returncode != 0 or not principals:
            return TagVerdict(False, "", "no principal of gpg.ssh.allowedSignersFile made this "
                                         "signature")
        for principal in principals:
            done = _run([cfg.program, "-Y", "verify", "-f", allowed, "-I", principal, "-n", "git",
                         "-s", str(sig)], payload)
            output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
            if done.returncode == 0:
                return TagVerdict(True, output, "good", **_gnupg_status(output))
        return TagVerdict(False, output, _last_line(done))


def signing_config_for(cwd: Path, fmt: str) -> SigningConfig:
    """The program git would use to check a signature of format ``fmt``."""
    program = config_value(cwd, f"gpg.{fmt}.program")
    if program is None and fmt == "openpgp":
        program = config_value(cwd, "gpg.program")
    return SigningConfig(fmt, None, program or _PROGRAM[fmt])
