"""Verify certificates offline: git decides the signature, then what git does not check.

In order: the ref is an annotated tag; it is signed, ``git verify-tag`` exits 0 (never
judged by grepping its output) and the signer is trusted (signer.py: SSH allowed
signers, OpenPGP key validity or an allow-list of fingerprints, then the tagger or a
listed certifier); the tag's own name equals its ref; it tags the very commit that
added ``certificates/<id>/``; every number in the certificate equals the run as
recorded at that commit; the stored policy recomputes to the same checks and decision;
``certificate.md`` matches ``certificate.toml``; the run was never quarantined
(revocation.py reads the whole history, so rm, re-recording or a merge cannot hide it).
A valid certificate *delivers* only when its decision allows delivery (not FAIL).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contexta_git.core import records
from contexta_git.core.redact import redact_record
from contexta_git.core.names import CERT_TAG_PREFIX, RunId, certificate_path
from contexta_git.errors import ContextaError, InvalidName
from contexta_git.git.repo import GitStore
from contexta_git.git.tags import parse_tag
from contexta_git.release.certificate import (
    CARD_FILE,
    CERT_FILE,
    EVIDENCE_KEYS,
    evidence,
    locate,
    markdown,
)
from contexta_git.release.gate import evaluate
from contexta_git.release.policy import Policy
from contexta_git.release.revocation import quarantine_reason
from contexta_git.release.signer import check_signer
from contexta_git.store.runs import Runs

DELIVERABLE = ("PASS", "WARN")
#: what certificate.toml must hold, and of which type, before anything is recomputed
_SHAPE = {"id": str, "decision": str, "run": dict, "policy": dict, "environment": dict,
          "datasets": list, "metrics": list, "artifacts": list, "checks": list}


class CertificateNotFound(ContextaError):
    def __init__(self, cert: str, ref: str) -> None:
        self.cert = cert
        super().__init__(f"no certificate {cert!r} (no tag {ref})")


@dataclass(frozen=True)
class Verification:
    id: str
    tag: str
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    signer: str | None = None
    commit: str | None = None
    certificate: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Authentic and intact: every check passed (the decision may still be FAIL)."""
        return not self.problems

    @property
    def decision(self) -> str | None:
        found = self.certificate.get("decision")
        return found if isinstance(found, str) else None

    @property
    def deliverable(self) -> bool:
        """Valid, and its decision allows delivery: what exit 0 of ``verify`` means."""
        return self.ok and self.decision in DELIVERABLE

    def to_dict(self) -> dict[str, Any]:
        run = self.certificate.get("run")
        return {"id": self.id, "tag": self.tag, "valid": self.ok,
                "deliverable": self.deliverable, "decision": self.decision,
                "problems": list(self.problems), "warnings": list(self.warnings),
                "signer": self.signer, "commit": self.commit,
                "run": run.get("ref") if isinstance(run, dict) else None}


def verify(runs: Runs, cert: str) -> Verification:
    """Check one certificate (its id, ``contexta/cert/<id>``, the full ref, or a remote's
    tag fetched aside to ``refs/contexta/remote-tags/<remote>/contexta/cert/<id>``)."""
    store = runs.store
    try:
        ref, name, cert_id = locate(cert)
    except InvalidName as exc:
        return _malformed(store, cert, exc)
    target = store.ref_target(ref)
    if target is None:
        return _unsealed(store, cert, ref, name, cert_id)
    problems: list[str] = []
    warnings: list[str] = []
    short = ref.removeprefix("refs/tags/")

    def done(signer: str | None = None, commit: str | None = None,
             doc: dict[str, Any] | None = None) -> Verification:
        return Verification(cert_id, short, tuple(problems), tuple(warnings), signer, commit,
                            doc or {})

    obj = store.read_object(target)
    if obj is None or obj[0] != "tag":
        problems.append(f"{short} is not an annotated tag (it points at a {obj[0] if obj else 'missing'} "
                        "object): the certificate is not sealed")
        return done()
    tag = parse_tag(obj[1])
    if not (tag.object and tag.type and tag.name):
        problems.append(f"the tag object of {short} is malformed (no object, type or tag line)")
        return done()
    signer = check_signer(store.workdir or store.git_dir, target, tag, problems, warnings)
    if tag.name != name:
        problems.append(f"tag object is named {tag.name} but sits at {short}: the tag was renamed")
    commit = tag.object
    doc = _certificate_at(store, commit, cert_id, problems)
    if doc is None:
        return done(signer, commit)
    _check_evidence(runs, commit, doc, problems, warnings)
    return done(signer, commit, doc)


def verify_all(runs: Runs) -> list[Verification]:
    """Every tag under ``refs/tags/contexta/cert/``: a foreign or malformed one is one
    problem of its own and never stops the others from being checked."""
    found = []
    for ref in runs.store.ref_names(CERT_TAG_PREFIX):
        try:
            found.append(verify(runs, ref))
        except ContextaError as exc:
            short = ref.removeprefix("refs/tags/")
            found.append(Verification(ref.removeprefix(CERT_TAG_PREFIX), short,
                                      (f"{short} cannot be checked: {exc}",)))
    return found


def _malformed(store: GitStore, cert: str, exc: InvalidName) -> Verification:
    """A tag under the prefix whose name is no certificate id (say, a nested one)."""
    ref = cert if cert.startswith("refs/") else CERT_TAG_PREFIX + cert.removeprefix(
        CERT_TAG_PREFIX.removeprefix("refs/tags/"))
    if ref not in store.ref_names(ref):
        raise exc  # nothing by that name: the user typed a bad id
    short = ref.removeprefix("refs/tags/")
    return Verification(ref.removeprefix(CERT_TAG_PREFIX), short,
                        (f"{short} is not a certificate tag: {exc.reason} in a certificate id",))


def _unsealed(store: GitStore, cert: str, ref: str, name: str, cert_id: str) -> Verification:
    """No tag: a symbolic ref, a certificate committed by an interrupted certify, or none."""
    if ref in store.ref_names(ref):
        return Verification(cert_id, name, (f"{ref} is a symbolic ref, not a certificate tag",))
    if ref.startswith(CERT_TAG_PREFIX) and store.view().exists(certificate_path(cert_id)):
        return Verification(cert_id, name, (
            f"{certificate_path(cert_id)}/ is on the runs branch but was never sealed by its "
            f"tag (certify was interrupted): run the same certify command with --id {cert_id} "
            "again to finish it",))
    raise CertificateNotFound(cert, ref)


@dataclass(frozen=True)
class ArtifactCheck:
    path: str
    sha256: str
    certified_by: tuple[str, ...]  # ids of valid certificates naming this digest
    rejected_by: tuple[str, ...]  # ids of certificates naming it that do not verify

    @property
    def ok(self) -> bool:
        return bool(self.certified_by)


def verify_artifact(runs: Runs, path: str | Path) -> ArtifactCheck:
    """Whether a file's sha256 is an artifact of a run with a valid certificate."""
    target = Path(path)
    if not target.is_file():
        raise ContextaError(f"no such file: {path}")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    good: list[str] = []
    bad: list[str] = []
    for result in verify_all(runs):
        artifacts = result.certificate.get("artifacts", [])
        named = {a.get("sha256") for a in artifacts if isinstance(a, dict)}
        if digest in named:
            (good if result.deliverable else bad).append(result.id)
    return ArtifactCheck(str(path), digest, tuple(good), tuple(bad))


def _certificate_at(store: GitStore, commit: str, cert_id: str,
                    problems: list[str]) -> dict[str, Any] | None:
    path = f"{certificate_path(cert_id)}/{CERT_FILE}"
    obj = store.read_object(commit)
    if obj is None or obj[0] != "commit":
        problems.append(f"the tag points at {commit[:12]}, which is not a commit")
        return None
    try:
        view = store.view(commit)
    except ContextaError:
        problems.append(f"the tag points at {commit[:12]}, which is not a commit of the runs "
                        "branch")
        return None
    raw = view.read(path)
    if raw is None:
        problems.append(f"commit {commit[:12]} does not hold {path}")
        return None
    try:
        doc = records.loads(raw, path)
    except ContextaError as exc:
        problems.append(str(exc))
        return None
    wrong = sorted(k for k, kind in _SHAPE.items() if not isinstance(doc.get(k), kind))
    if wrong or not isinstance(doc["run"].get("ref"), str):
        problems.append(f"{CERT_FILE} is malformed: {', '.join(wrong) or 'run.ref'} missing or "
                        "of the wrong type")
        return None
    parents = store.parents(commit)
    parent = parents[0] if parents else None
    if parent is None or len(parents) > 1 or store.view(parent).exists(path):
        problems.append(f"the tag points at {commit[:12]}, not at the commit that issued "
                        "the certificate: the tag was moved")
    elif doc["run"].get("runs_commit") != parent:
        problems.append(f"the certificate names runs commit {doc['run'].get('runs_commit')}"
                        f" but was issued on {parent}")
    if doc.get("id") != cert_id:
        problems.append(f"the certificate's id {doc.get('id')!r} is not {cert_id!r}")
    card = view.read(f"{certificate_path(cert_id)}/{CARD_FILE}")
    try:
        rendered = markdown(doc).encode()
    except (KeyError, TypeError, ValueError, AttributeError):
        rendered = None
    if card != rendered:
        problems.append(f"{CARD_FILE} does not match {CERT_FILE}")
    return doc


def _check_evidence(runs: Runs, commit: str, doc: dict[str, Any], problems: list[str],
                    warnings: list[str]) -> None:
    at = commit[:12]
    try:
        policy = Policy.from_dict(doc["policy"])
        run_id = RunId.parse(doc["run"]["ref"])
        data = runs.get(run_id, at=commit)
        base_ref = doc["run"].get("baseline")
        base = runs.get(RunId.parse(base_ref), at=commit) if base_ref else None
        result = evaluate(policy, data, base, runs_commit=doc["run"].get("runs_commit"))
    except (ContextaError, KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"cannot recompute the certificate at {at}: {exc}")
        return
    # both sides as records.dumps writes them: a certificate made before a value was
    # taken for a secret still compares equal to the run it was made from
    fresh = redact_record(evidence(data, result, doc["run"].get("runs_commit")))
    stored = redact_record(doc)
    from contexta_git.release.verify_diff import describe

    for key in EVIDENCE_KEYS:
        if stored.get(key) != fresh[key]:
            try:
                problems.extend(describe(key, stored.get(key), fresh[key], data.ref, at))
            except (KeyError, TypeError, AttributeError):
                problems.append(f"{key} in the certificate differ from {data.ref} at {at}")
    reason = quarantine_reason(runs, run_id)
    if reason is not None:
        problems.append(f"{run_id.ref} was quarantined after certification ({reason}): its "
                        "certificate no longer vouches for it, whatever happened to the run "
                        "since (rm, re-recording, merges)")
    try:
        tip = runs.get(run_id)
    except ContextaError:
        warnings.append(f"{run_id.ref} is no longer on the runs branch tip")
        return
    if tip.metrics != data.metrics:
        warnings.append(f"{run_id.ref} recorded more metrics after certification (the "
                        "certificate covers the run as it was at the certified commit)")
