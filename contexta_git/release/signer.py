"""Who signed a certificate tag, and whether the verifier trusts them.

git decides whether the signature is good (``git verify-tag``'s exit code); this module
decides whether the signer is *trusted*, explicitly for every format, never by a user id
alone (anyone can make a key carrying your name and e-mail):

- SSH: the key must be listed for the signing principal in ``gpg.ssh.allowedSignersFile``
  (git refuses the signature otherwise, so its exit code already says it).
- OpenPGP: the signing key must be valid in the verifier's keyring (gpg's
  ``TRUST_FULLY`` or ``TRUST_ULTIMATE``: the verifier's own key, or a key they or someone
  they trust signed), or its fingerprint must be listed in
  ``git config --add contexta.allowedSigningKey FINGERPRINT``. A key that is merely
  imported (``TRUST_UNDEFINED``, ``TRUST_MARGINAL``) is refused, naming its fingerprint.
- Then, for every format: the signer (principal or user id e-mail) is the tagger or a
  listed certifier (``git config --add contexta.certifier EMAIL``).
"""

from __future__ import annotations

import re
from pathlib import Path

from contexta_git.git.process import config_values
from contexta_git.git.tags import (
    TagObject,
    TagVerdict,
    signature_format,
    verify_detached,
    verify_tag,
)

ALLOWED_KEYS = "contexta.allowedSigningKey"
CERTIFIERS = "contexta.certifier"
TRUSTED = ("FULLY", "ULTIMATE")
_EMAIL = re.compile(r"<([^<>]+)>")
_FINGERPRINT = re.compile(r"[0-9A-F]{40}|[0-9A-F]{64}")


def check_signer(cwd: Path, tag_object: str, tag: TagObject, problems: list[str],
                 warnings: list[str]) -> str | None:
    """Append what is wrong with the tag's signature or signer; return who signed."""
    fmt = signature_format(tag.signature)
    if fmt is None:
        problems.append("the tag is not signed (certified with --no-sign)" if tag.signature is None
                        else "the tag carries a signature of an unknown kind")
        return None
    verdict = verify_tag(cwd, tag_object)
    if not verdict.ok:
        problems.append(f"git verify-tag rejects the signature: {verdict.reason}")
        return None
    if verdict.signer is None:
        problems.append("git verify-tag accepted the signature but named no signer")
        return None
    if fmt == "openpgp" and not _openpgp_trusted(cwd, verdict, problems, warnings):
        return verdict.signer
    _check_certifier(cwd, verdict.signer, tag.tagger, problems)
    return verdict.signer


def check_detached(cwd: Path, payload: bytes, signature: bytes, tagger: str, problems: list[str],
                   warnings: list[str]) -> TagVerdict | None:
    """The same rules for a detached signature of ``payload`` (an attestation's): good by
    the verifier's git setup, a trusted key, the tagger or a listed certifier (with no
    tagger at hand, a client without the repository, the trusted key suffices unless
    certifiers are listed)."""
    verdict = verify_detached(cwd, payload, signature)
    if not verdict.ok or verdict.signer is None:
        problems.append(f"the signature does not verify: {verdict.reason}")
        return None
    if signature_format(signature) == "openpgp" and not _openpgp_trusted(cwd, verdict, problems,
                                                                           warnings):
        return verdict
    if tagger or config_values(cwd, CERTIFIERS):
        _check_certifier(cwd, verdict.signer, tagger, problems)
    return verdict


def allowed_keys(cwd: Path, warnings: list[str] | None = None) -> set[str]:
    """Full fingerprints listed in ``contexta.allowedSigningKey`` (others are named and
    ignored: a short key id can be forged with a made-up key)."""
    keys: set[str] = set()
    for item in config_values(cwd, ALLOWED_KEYS):
        fingerprint = re.sub(r"\s+", "", item).upper().removeprefix("0X")
        if _FINGERPRINT.fullmatch(fingerprint):
            keys.add(fingerprint)
        elif warnings is not None:
            warnings.append(f"{ALLOWED_KEYS} {item!r} is not a full fingerprint and is ignored")
    return keys


def _openpgp_trusted(cwd: Path, verdict: TagVerdict, problems: list[str],
                     warnings: list[str]) -> bool:
    if verdict.signatures != 1 or verdict.key is None:
        problems.append(f"the tag carries {verdict.signatures} OpenPGP signatures where one "
                        "signature by one key is expected")
        return False
    if verdict.trust in TRUSTED:
        return True
    listed = allowed_keys(cwd, warnings)
    if verdict.key in listed or verdict.signing_key in listed:
        return True
    trust = (verdict.trust or "unknown").lower()
    problems.append(
        f"signed by OpenPGP key {verdict.key} ({verdict.signer}), which is not trusted here: "
        f"its validity in your keyring is {trust} and {ALLOWED_KEYS} does not list it; a key "
        "with the right name proves nothing. If you have checked that this key is the "
        f"signer's, run git config --add {ALLOWED_KEYS} {verdict.key} "
        f"(or certify it: gpg --lsign-key {verdict.key})")
    return False


def _check_certifier(cwd: Path, signer: str, tagger: str, problems: list[str]) -> None:
    found = _EMAIL.search(signer)
    email = (found.group(1) if found else signer).lower()
    tagger_email = _EMAIL.search(tagger)
    allowed = {tagger_email.group(1).lower()} if tagger_email else set()
    for item in config_values(cwd, CERTIFIERS):
        match = _EMAIL.search(item)
        allowed.add((match.group(1) if match else item).lower())
    if email not in allowed:
        problems.append(f"signed by {signer}, who is neither the tagger nor a listed certifier "
                        f"(git config --add {CERTIFIERS} EMAIL)")
