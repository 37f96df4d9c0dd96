"""Verify an in-toto attestation of a certificate offline, and export one.

In order: the file is a DSSE envelope of an in-toto Statement v1 with the test-result
predicate; its one signature verifies over DSSE's pre-authentication encoding with the
verifier's git signing setup and its signer is trusted by the rules of signer.py; the
given model file's sha256 is one of the subjects; and, where the repository holds the
certificate the predicate names, that certificate verifies (verify.py), was signed by
the same signer, and the Statement rebuilt from it equals the one signed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import CERT_TAG_PREFIX, certificate_path
from contexta_git.errors import ContextaError, InvalidName
from contexta_git.git.tags import parse_tag
from contexta_git.release import attestation as attest
from contexta_git.release.certificate import CERT_FILE, locate
from contexta_git.release.signer import check_detached
from contexta_git.release.verify import verify
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class AttestationCheck:
    file: str
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    certificate: str | None = None
    signer: str | None = None
    model_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.ok, "problems": list(self.problems),
                "warnings": list(self.warnings), "certificate": self.certificate,
                "signer": self.signer, "model_sha256": self.model_sha256}


def verify_attestation(runs: Runs | None, path: Path, model: Path | None = None,
                       cwd: Path | None = None) -> AttestationCheck:
    """Check the attestation at ``path`` (and ``model`` against its subjects). Without a
    repository (``runs`` None) the signature and subjects are checked, not the certificate."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContextaError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest = _sha256(model) if model is not None else None
    problems: list[str] = []
    warnings: list[str] = []
    kind, body, signatures, broken = attest.open_envelope(data)
    statement = None if broken else _statement(kind, body, problems)
    if broken:
        problems.append(broken)
    if statement is None:
        return AttestationCheck(str(path), tuple(problems), (), None, None, digest)
    cert_id = _certificate_id(statement)
    tag = _tagger(runs, cert_id) if runs is not None and cert_id else None
    signer = None
    if len(signatures) != 1:
        problems.append(f"the envelope holds {len(signatures)} signatures where one is expected")
    else:
        cwd = cwd or (runs.store.workdir or runs.store.git_dir if runs else Path.cwd())
        verdict = check_detached(cwd, attest.pae(kind, body), signatures[0], tag or "",
                                 problems, warnings)
        signer = verdict.signer if verdict else None
    if digest is not None:
        named = {s.get("digest", {}).get("sha256") for s in statement["subject"]}
        if digest not in named:
            problems.append(f"{model} (sha256 {digest[:16]}...) is not a subject of the attestation")
    _against_certificate(runs, cert_id, statement, signer, problems, warnings)
    return AttestationCheck(str(path), tuple(problems), tuple(warnings), cert_id, signer, digest)


def _sha256(path: Path) -> str:
    if not path.is_file():
        raise ContextaError(f"no such file: {path}")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _statement(kind: str, body: bytes, problems: list[str]) -> dict[str, Any] | None:
    if kind != attest.PAYLOAD_TYPE:
        problems.append(f"payloadType is {kind!r}, not {attest.PAYLOAD_TYPE}")
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        problems.append("the payload is not JSON")
        return None
    if not isinstance(doc, dict) or doc.get("_type") != attest.STATEMENT_TYPE:
        problems.append(f"the payload is not an in-toto Statement ({attest.STATEMENT_TYPE})")
        return None
    if doc.get("predicateType") != attest.PREDICATE_TYPE or not isinstance(doc.get("predicate"), dict):
        problems.append(f"the predicate is not {attest.PREDICATE_TYPE}")
        return None
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or not all(isinstance(s, dict) for s in subjects):
        problems.append("the Statement's subjects are malformed")
        return None
    return doc


def _certificate_id(statement: dict[str, Any]) -> str | None:
    for item in statement["predicate"].get("configuration") or []:
        if isinstance(item, dict) and item.get("name") == "evidence":
            found = (item.get("annotations") or {}).get("certificate")
            return found if isinstance(found, str) else None
    return None


def _tagger(runs: Runs, cert_id: str) -> str | None:
    try:
        ref = locate(cert_id)[0]
    except InvalidName:
        return None
    target = runs.store.ref_target(ref)
    obj = runs.store.read_object(target) if target else None
    return parse_tag(obj[1]).tagger if obj and obj[0] == "tag" else None


def _against_certificate(runs: Runs | None, cert_id: str | None, statement: dict[str, Any],
                         signer: str | None, problems: list[str], warnings: list[str]) -> None:
    if cert_id is None:
        problems.append("the predicate names no certificate")
        return
    if runs is None:
        warnings.append(f"no repository here: the Statement was not compared with certificate "
                        f"{cert_id} (its signature still covers every field)")
        return
    try:
        result = verify(runs, cert_id)
    except (ContextaError, InvalidName) as exc:
        problems.append(f"certificate {cert_id} cannot be checked here: {exc}")
        return
    if not result.ok:
        problems.append(f"certificate {cert_id} does not verify: {result.problems[0]}")
        return
    if signer is not None and result.signer != signer:
        problems.append(f"signed by {signer}, but certificate {cert_id} by {result.signer}")
    fresh = attest.statement(result.certificate)
    for key in ("subject", "predicate"):
        if statement.get(key) != fresh[key]:
            problems.append(f"the {key} differs from what certificate {cert_id} says")


def exported(runs: Runs, name: str, project: str | None = None) -> tuple[str, bytes]:
    """(certificate id, envelope bytes) of a certificate, or of a run's latest certificate
    that has an attestation."""
    store = runs.store
    candidates: list[tuple[str, str]] = []  # (issued_at, cert id)
    try:
        ref, _, cert_id = locate(name)
        if store.ref_target(ref) is not None:
            candidates = [("", cert_id)]
    except InvalidName:
        pass
    if not candidates:
        run_ref = runs.get(runs.resolve(name, project)).ref
        for tag in store.ref_names(CERT_TAG_PREFIX):
            cid = tag.removeprefix(CERT_TAG_PREFIX)
            doc = _document(runs, cid)
            if doc and doc.get("run", {}).get("ref") == run_ref:
                candidates.append((str(doc.get("issued_at", "")), cid))
    for _, cid in sorted(candidates, reverse=True):
        data = _file(runs, cid, attest.ATTESTATION_FILE)
        if data is not None:
            return cid, data
    raise ContextaError(f"no attestation for {name} (certify with --attestation)")


def _file(runs: Runs, cert_id: str, filename: str) -> bytes | None:
    target = runs.store.ref_target(locate(cert_id)[0])
    obj = runs.store.read_object(target) if target else None
    if not obj or obj[0] != "tag":
        return None
    try:
        return runs.store.view(parse_tag(obj[1]).object).read(
            f"{certificate_path(cert_id)}/{filename}")
    except ContextaError:
        return None


def _document(runs: Runs, cert_id: str) -> dict[str, Any] | None:
    try:
        return records.loads(_file(runs, cert_id, CERT_FILE))
    except (ContextaError, InvalidName):
        return None
