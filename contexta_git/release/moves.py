"""What an alias move and a deployment check before anything is written.

The run must exist, belong to the alias's (or deployment's) project and not be
quarantined; a named certificate must verify (release/verify.py), certify that very run
and carry a decision that allows delivery; the reason must be one non-empty line. Every
failure is one ContextaError (exit 2) raised before the transaction starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.core.redact import redact_text
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.git.process import config_value
from contexta_git.git.repo import GitStore
from contexta_git.git.tags import sign as sign_bytes
from contexta_git.git.tags import signing_config, tag_bytes, tagger_ident
from contexta_git.release.verify import verify
from contexta_git.store.runs import Runs


class CertificateRefused(ContextaError):
    def __init__(self, cert: str, why: str) -> None:
        self.cert, self.why = cert, why
        super().__init__(f"certificate {cert} {why}")


def reason_line(reason: str | None, what: str = "a move") -> str:
    """The reason as one line (secrets redacted); InvalidValue when empty."""
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidValue(f"{what} needs a reason (--reason)")
    return redact_text(text)


def checked_run(runs: Runs, run: str | RunId, project: str) -> RunId:
    """The run ``run`` names, in ``project``, not quarantined."""
    run_id = run if isinstance(run, RunId) else runs.resolve(run, project)
    if run_id.project != project:
        raise InvalidValue(f"{run_id.ref} is not a run of project {project}")
    # RunNotFound or CorruptRun: never point at what cannot be read. Its quarantines are
    # its events and its ledger (which outlives rm and merges), read on the tip
    held = runs.get(run_id).quarantines
    if held:
        reasons = "; ".join(dict.fromkeys(held.values()))
        raise InvalidValue(f"{run_id.ref} is quarantined ({reasons}); release it first with "
                           "contexta-git quarantine --undo")
    return run_id


def checked_certificate(runs: Runs, cert: str, run_id: RunId) -> str:
    """``cert``'s id once it verifies, certifies ``run_id`` and allows delivery."""
    found = verify(runs, cert)
    if not found.ok:
        raise CertificateRefused(found.id, f"does not verify: {found.problems[0]}")
    if not found.deliverable:
        raise CertificateRefused(found.id, f"has decision {found.decision}, which does not "
                                 "allow delivery")
    certified = found.certificate.get("run", {}).get("ref")
    if certified != run_id.ref:
        raise CertificateRefused(found.id, f"certifies {certified}, not {run_id.ref}")
    return found.id


def artifacts(runs: Runs, run_id: RunId, at: str | None) -> list[dict[str, Any]]:
    """The run's artifacts as a move records them: name, path, kind, sha256, size."""
    data = runs.get(run_id, at=at)
    return [records.clean({"name": a.name, "path": a.path, "kind": a.kind, "sha256": a.sha256,
                           "size": a.size}) for a in data.artifacts]


def who(store: GitStore) -> tuple[str, str]:
    """(``Name <email>``, the full tagger line) from git's own identity."""
    tagger = tagger_ident(_cwd(store))
    return tagger.rsplit(" ", 2)[0], tagger


def wants_signing(store: GitStore, sign: bool | None) -> bool:
    """Sign when asked, or (``sign`` None) when ``user.signingKey`` is configured; a bad
    signing setup fails here, before any work."""
    wanted = sign if sign is not None else config_value(_cwd(store), "user.signingKey") is not None
    if wanted:
        signing_config(_cwd(store))
    return wanted


def seal(store: GitStore, ref: str, commit: str, title: str, entry: dict[str, Any],
         tagger: str, signer: str) -> str:
    """Write the signed tag object sealing ``commit``; its message holds the entry as the
    branch records it (``records.dumps``), so verify can compare the two."""
    message = f"{title}\n\n{records.dumps({'move': entry}).decode()}"
    payload = tag_bytes(commit, "commit", ref.removeprefix("refs/tags/"), tagger, message)
    payload += sign_bytes(payload, Path(_cwd(store)), signer)
    return store.write_tag_object(payload)


def _cwd(store: GitStore) -> Path:
    return Path(store.workdir or store.git_dir)
