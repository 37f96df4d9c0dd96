"""Certify a run: commit ``certificates/<id>/`` and seal it with a signed tag.

One commit on the runs branch adds ``certificate.toml`` and ``certificate.md``;
the annotated tag ``contexta/cert/<id>`` points at exactly that commit and is
signed with the user's git signing setup (``--no-sign`` makes it unsigned, and
verify will say so). The tag is signed before the branch moves, so a signing
failure writes nothing reachable; the tag ref is created without force, so an
existing certificate is never overwritten.

The branch move and the tag ref are two writes: a process killed between them leaves
``certificates/<id>/`` on the branch without its tag. Running the same certify again
finishes the job (finish.py): it finds the commit that added the certificate, checks
that it is what this command would have issued, and seals it with a freshly signed tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contexta_git import __version__
from contexta_git.core import records
from contexta_git.core.redact import redact_record
from contexta_git.core.names import CERT_TAG_PREFIX, RunId, certificate_path, check_certificate
from contexta_git.errors import ContextaError
from contexta_git.git.repo import GitStore, View
from contexta_git.git.tags import sign as sign_bytes
from contexta_git.git.tags import signing_config, tag_bytes, tagger_ident
from contexta_git.release import attestation as attest
from contexta_git.release.certificate import CARD_FILE, CERT_FILE, SCHEMA, evidence, markdown
from contexta_git.release.finish import Request, unsealed
from contexta_git.release.gate import GateFailed, GateResult, evaluate
from contexta_git.release.policy import Policy
from contexta_git.release.revocation import quarantine_reason
from contexta_git.store.runs import Runs


class CertificateExists(ContextaError):
    def __init__(self, cert_id: str) -> None:
        self.cert_id = cert_id
        super().__init__(f"certificate {cert_id} already exists; certificates are never "
                         "overwritten, choose another --id")


@dataclass(frozen=True)
class Certified:
    id: str
    tag: str  # the full ref name
    commit: str  # the runs-branch commit that holds the certificate
    tag_object: str
    signed: bool
    gate: GateResult
    document: dict[str, Any]

    @property
    def decision(self) -> str:
        return self.gate.decision


def default_id(run: RunId, when: datetime) -> str:
    return f"{run.name}-{when.strftime('%Y%m%d-%H%M%S')}"


def certify(runs: Runs, run: str | RunId, policy: Policy, *, client: str, model: str,
            cert_id: str | None = None, allow_fail: bool = False, sign: bool = True,
            baseline: str | None = None, project: str | None = None,
            attestation: bool = False) -> Certified:
    """Gate ``run`` and, when it passes (or ``allow_fail``), issue a certificate; with
    ``attestation``, also its signed in-toto attestation (attestation.py) beside it."""
    store = runs.store
    run_id = run if isinstance(run, RunId) else runs.resolve(run, project)
    base_name = baseline or policy.baseline
    base_id = runs.resolve(base_name, run_id.project) if base_name else None
    now = datetime.now(UTC)
    cert_id = check_certificate(cert_id or default_id(run_id, now))
    for what, value in (("client", client), ("model", model)):
        if not value.strip() or "\n" in value:
            raise ContextaError(f"--{what} must be one non-empty line")
    cwd = store.workdir or store.git_dir
    tagger = tagger_ident(cwd)
    issuer = tagger.rsplit(" ", 2)[0]
    if attestation and not sign:
        raise ContextaError("--attestation needs a signature: it cannot be used with --no-sign")
    if sign:
        signing_config(cwd)  # a bad gpg.format fails here, before any work
    reason = quarantine_reason(runs, run_id)
    if reason is not None:
        raise ContextaError(f"{run_id.ref} is quarantined ({reason}): a quarantined run cannot "
                            "be certified; release it first with contexta-git quarantine --undo")
    tag_ref = CERT_TAG_PREFIX + cert_id
    if tag_ref in store.ref_names(tag_ref):
        raise CertificateExists(cert_id)
    request = Request(run_id, base_id, policy, client, model, issuer, sign, allow_fail)
    if store.view().exists(certificate_path(cert_id)):  # an interrupted certify: finish it
        commit, doc, result = unsealed(runs, cert_id, request)
        tag_object = _seal(store, tag_ref, commit, doc, tagger, cwd, request)
        if not store.create_ref(tag_ref, tag_object, f"contexta-git certify {cert_id} (finish)"):
            raise CertificateExists(cert_id)
        return Certified(cert_id, tag_ref, commit, tag_object, sign, result, doc)
    state: dict[str, Any] = {}

    def build(view: View) -> dict[str, bytes | None]:
        if view.exists(certificate_path(cert_id)):
            raise CertificateExists(cert_id)
        data = runs.get(run_id, at=view.commit_id)
        base = runs.get(base_id, at=view.commit_id) if base_id else None
        result = evaluate(policy, data, base, runs_commit=view.commit_id)
        if not result.passed and not allow_fail:
            raise GateFailed(result)
        # redacted first, so the card and the tag message say what certificate.toml says
        doc = redact_record({"schema": SCHEMA, "id": cert_id, "client": client, "model": model,
                             "issued_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "issuer": issuer,
                             "tool": f"contexta-git {__version__}", "signed": sign,
                             **evidence(data, result, view.commit_id), "policy": policy.to_dict()})
        state.update(result=result, doc=doc)
        path = certificate_path(cert_id)
        files: dict[str, bytes | None] = {f"{path}/{CERT_FILE}": records.dumps(doc),
                                          f"{path}/{CARD_FILE}": markdown(doc).encode()}
        if attestation:
            body = attest.payload(records.loads(files[f"{path}/{CERT_FILE}"]))
            signature = sign_bytes(attest.pae(attest.PAYLOAD_TYPE, body), Path(cwd), issuer)
            files[f"{path}/{attest.ATTESTATION_FILE}"] = attest.envelope(body, signature)
        return files

    def seal(commit: str) -> str:
        return _seal(store, tag_ref, commit, state["doc"], tagger, cwd, request)

    trailers = {"Contexta-Run": run_id.ref, "Contexta-Certificate": cert_id}
    commit, tag_object = store.commit_sealed(
        build, f"certify {run_id.ref} as {cert_id}", trailers, seal)
    if not store.create_ref(tag_ref, tag_object, f"contexta-git certify {cert_id}"):
        raise CertificateExists(cert_id)
    return Certified(cert_id, tag_ref, commit, tag_object, sign, state["result"], state["doc"])


def _seal(store: GitStore, ref: str, commit: str, doc: dict[str, Any], tagger: str, cwd: Path,
          request: Request) -> str:
    """Write the (signed) tag object for the certificate commit; returns its id."""
    cert_id = ref.removeprefix(CERT_TAG_PREFIX)
    message = (f"Model quality certificate {cert_id}: {doc['decision']}\n\n"
               f"Model: {doc['model']}\nClient: {doc['client']}\nRun: {request.run.ref}\n"
               f"Certificate: {certificate_path(cert_id)}/{CERT_FILE}\n")
    payload = tag_bytes(commit, "commit", ref.removeprefix("refs/tags/"), tagger, message)
    if request.sign:
        payload += sign_bytes(payload, Path(cwd), request.issuer)
    return store.write_tag_object(payload)
