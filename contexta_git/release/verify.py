"""Verify certificates offline: git decides the signature, then what git does not check.

In order: the ref is an annotated tag; it is signed and ``git verify-tag`` exits 0
(never judged by grepping its output); the tag's own name equals its ref; it tags
the very commit that added ``certificates/<id>/``; every number in the certificate
equals the run as recorded at that commit; the stored policy recomputes to the same
checks and decision; ``certificate.md`` matches ``certificate.toml``; the signer is
the tagger or an allowed certifier (``git config --add contexta.certifier EMAIL``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contexta_git.core import records
from contexta_git.core.redact import redact_record
from contexta_git.core.names import CERT_TAG_PREFIX, RunId, certificate_path
from contexta_git.errors import ContextaError
from contexta_git.git.process import config_values
from contexta_git.git.repo import GitStore
from contexta_git.git.tags import parse_tag, verify_tag
from contexta_git.release.certificate import (
    CARD_FILE,
    CERT_FILE,
    EVIDENCE_KEYS,
    evidence,
    markdown,
    tag_ref,
)
from contexta_git.release.gate import evaluate
from contexta_git.release.policy import Policy
from contexta_git.store import quarantines
from contexta_git.store.runs import Runs

_EMAIL = re.compile(r"<([^<>]+)>")


class CertificateNotFound(ContextaError):
    def __init__(self, cert: str) -> None:
        self.cert = cert
        super().__init__(f"no certificate {cert!r} (no tag {tag_ref(cert)})")


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
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tag": self.tag, "valid": self.ok, "problems": list(self.problems),
                "warnings": list(self.warnings), "signer": self.signer, "commit": self.commit,
                "run": self.certificate.get("run", {}).get("ref"),
                "decision": self.certificate.get("decision")}


def verify(runs: Runs, cert: str) -> Verification:
    """Check one certificate (its id, ``contexta/cert/<id>`` or the full ref)."""
    store = runs.store
    ref = tag_ref(cert)
    cert_id = ref.removeprefix(CERT_TAG_PREFIX)
    target = store.ref_target(ref)
    if target is None:
        raise CertificateNotFound(cert)
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
    signer = _check_signature(store, target, tag.signature is not None, problems)
    if tag.name != short:
        problems.append(f"tag object is named {tag.name} but sits at {short}: the tag was renamed")
    commit = tag.object
    doc = _certificate_at(store, commit, cert_id, problems)
    if doc is None:
        return done(signer, commit)
    _check_evidence(runs, commit, doc, problems, warnings)
    if signer is not None:
        _check_signer(store, signer, tag.tagger, problems)
    return done(signer, commit, doc)


def verify_all(runs: Runs) -> list[Verification]:
    return [verify(runs, ref) for ref in runs.store.ref_names(CERT_TAG_PREFIX)]


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
    for ref in runs.store.ref_names(CERT_TAG_PREFIX):
        result = verify(runs, ref)
        named = {a.get("sha256") for a in result.certificate.get("artifacts", [])}
        if digest in named:
            (good if result.ok and result.certificate.get("decision") != "FAIL" else bad).append(
                result.id)
    return ArtifactCheck(str(path), digest, tuple(good), tuple(bad))


def _check_signature(store: GitStore, tag_object: str, signed: bool,
                     problems: list[str]) -> str | None:
    if not signed:
        problems.append("the tag is not signed (certified with --no-sign)")
        return None
    verdict = verify_tag(store.workdir or store.git_dir, tag_object)
    if not verdict.ok:
        problems.append(f"git verify-tag rejects the signature: {verdict.reason}")
        return None
    return _signer(verdict.output)


def _signer(output: str) -> str | None:
    """Who signed, from ``git verify-tag --raw`` (the verdict came from its exit code)."""
    for line in output.splitlines():
        if line.startswith("[GNUPG:] GOODSIG "):
            return line.split(" ", 3)[3].strip()
        found = re.match(r'Good "git" signature for (\S+) with', line)
        if found:
            return found.group(1)
    return None


def _certificate_at(store: GitStore, commit: str, cert_id: str,
                    problems: list[str]) -> dict[str, Any] | None:
    path = f"{certificate_path(cert_id)}/{CERT_FILE}"
    obj = store.read_object(commit)
    if obj is None or obj[0] != "commit":
        problems.append(f"the tag points at {commit[:12]}, which is not a commit")
        return None
    view = store.view(commit)
    raw = view.read(path)
    if raw is None:
        problems.append(f"commit {commit[:12]} does not hold {path}")
        return None
    try:
        doc = records.loads(raw, path)
    except ContextaError as exc:
        problems.append(str(exc))
        return None
    parents = store.parents(commit)
    parent = parents[0] if parents else None
    if parent is None or store.view(parent).exists(path):
        problems.append(f"the tag points at {commit[:12]}, not at the commit that issued "
                        "the certificate: the tag was moved")
    elif doc.get("run", {}).get("runs_commit") != parent:
        problems.append(f"the certificate names runs commit {doc.get('run', {}).get('runs_commit')}"
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
        policy = Policy.from_dict(doc.get("policy", {}))
        run_id = RunId.parse(doc["run"]["ref"])
        data = runs.get(run_id, at=commit)
        base_ref = doc["run"].get("baseline")
        base = runs.get(RunId.parse(base_ref), at=commit) if base_ref else None
    except (ContextaError, KeyError, TypeError) as exc:
        problems.append(f"cannot recompute the certificate at {at}: {exc}")
        return
    result = evaluate(policy, data, base, runs_commit=doc["run"].get("runs_commit"))
    # both sides as records.dumps writes them: a certificate made before a value was
    # taken for a secret still compares equal to the run it was made from
    fresh = redact_record(evidence(data, result, doc["run"].get("runs_commit")))
    stored = redact_record(doc)
    from contexta_git.release.verify_diff import describe

    for key in EVIDENCE_KEYS:
        if stored.get(key) != fresh[key]:
            problems.extend(describe(key, stored.get(key), fresh[key], data.ref, at))
    try:
        tip = runs.get(run_id)
    except ContextaError:
        gone = quarantines.reason(runs.view(), run_id)  # a quarantine outlives rm
        if gone is not None:
            problems.append(f"{run_id.ref} was quarantined after certification ({gone}): its "
                            "certificate no longer vouches for it")
        warnings.append(f"{run_id.ref} is no longer on the runs branch tip")
        return
    if tip.quarantine_reason is not None:
        problems.append(f"{run_id.ref} was quarantined after certification "
                        f"({tip.quarantine_reason}): its certificate no longer vouches for it")
    if tip.metrics != data.metrics:
        warnings.append(f"{run_id.ref} recorded more metrics after certification (the "
                        "certificate covers the run as it was at the certified commit)")


def _check_signer(store: GitStore, signer: str, tagger: str, problems: list[str]) -> None:
    found = _EMAIL.search(signer)
    email = (found.group(1) if found else signer).lower()
    tagger_email = (_EMAIL.search(tagger) or _EMAIL.search("<>"))
    allowed = {tagger_email.group(1).lower()} if tagger_email else set()
    for item in config_values(store.workdir or store.git_dir, "contexta.certifier"):
        match = _EMAIL.search(item)
        allowed.add((match.group(1) if match else item).lower())
    if email not in allowed:
        problems.append(f"signed by {signer}, who is neither the tagger nor a listed certifier "
                        "(git config --add contexta.certifier EMAIL)")
