"""in-toto attestations of certificates: a Statement v1 in a signed DSSE envelope.

``certify --attestation`` writes ``certificates/<id>/attestation.intoto.json`` in the
certificate's own commit. The Statement (https://in-toto.io/Statement/v1):

- ``subject``: each artifact of the run, named by its path, with its ``sha256``; and the
  runs-branch commit the certificate was computed from (``gitCommit``);
- ``predicateType`` https://in-toto.io/attestation/test-result/v0.1, ``predicate``: one
  test per gate check (``accuracy@evaluate min 0.9``) in ``passedTests``, ``warnedTests``
  or ``failedTests``; ``result`` is ``pass`` only when every check passed (a WARN
  decision reads ``fail`` there, as the predicate wants warned tests to make it false);
  ``configuration``: the policy (sha256 of the policy table as certificate.toml writes
  it) and the runs-branch commit as the evidence, annotated with the certificate id,
  run, model, client and decision.

The envelope (DSSE v1): ``payloadType`` ``application/vnd.in-toto+json``, ``payload``
the Statement's JSON in base64, one signature whose ``sig`` is the base64 of the armored
signature that git's signing setup makes (``ssh-keygen -Y sign -n git`` or ``gpg -bsa``)
over DSSE's pre-authentication encoding ``DSSEv1 <len> <type> <len> <payload>``, and
``keyid`` the signer's key fingerprint when known. Everything in the Statement is derived
from the certificate, so verify rebuilds it from the signed certificate and compares.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from contexta_git.core import records

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ATTESTATION_FILE = "attestation.intoto.json"


def check_name(check: dict[str, Any]) -> str:
    stage = f"@{check['stage']}" if check.get("stage") else ""
    return f"{check['metric']}{stage} {check['kind']} {check['bound']:g}"


def policy_digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(records.dumps(doc["policy"])).hexdigest()


def statement(doc: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement of a certificate document (certificate.toml's table)."""
    runs_commit = doc["run"]["runs_commit"]
    subjects = [{"name": a["path"] or a["name"], "digest": {"sha256": a["sha256"]}}
                for a in doc["artifacts"] if a.get("sha256")]
    subjects.append({"name": f"contexta/runs@{runs_commit}", "digest": {"gitCommit": runs_commit}})
    tests: dict[str, list[str]] = {"PASS": [], "WARN": [], "FAIL": []}
    for check in doc["checks"]:
        tests.setdefault(check["status"], []).append(check_name(check))
    predicate = {
        "result": "pass" if doc["checks"] and not tests["WARN"] and not tests["FAIL"] else "fail",
        "configuration": [
            {"name": "policy", "digest": {"sha256": policy_digest(doc)},
             "annotations": {"certificate": doc["id"]}},
            {"name": "evidence",
             "digest": {"gitCommit": runs_commit},
             "annotations": {"certificate": doc["id"], "run": doc["run"]["ref"],
                             "model": doc["model"], "client": doc["client"],
                             "decision": doc["decision"]}},
        ],
        "passedTests": tests["PASS"], "warnedTests": tests["WARN"], "failedTests": tests["FAIL"],
    }
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def payload(doc: dict[str, Any]) -> bytes:
    """The Statement's bytes as signed: JSON with sorted keys, no spaces."""
    return json.dumps(statement(doc), sort_keys=True, separators=(",", ":")).encode()


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def envelope(body: bytes, signature: bytes, keyid: str = "") -> bytes:
    doc = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(body).decode(),
           "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode()}]}
    return (json.dumps(doc, indent=2) + "\n").encode()


def open_envelope(data: bytes) -> tuple[str, bytes, list[bytes], str | None]:
    """(payload type, payload bytes, signatures) of an envelope, or a problem as the
    fourth item (then the others are empty)."""
    try:
        doc = json.loads(data)
        kind = doc["payloadType"]
        body = base64.b64decode(doc["payload"], validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in doc["signatures"]]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        return "", b"", [], f"not a DSSE envelope: {type(exc).__name__} {exc}"
    if not isinstance(kind, str):
        return "", b"", [], "not a DSSE envelope: payloadType is not a string"
    return kind, body, sigs, None
