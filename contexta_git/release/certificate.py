"""What a certificate says, built from a run as recorded at one commit, and the name
of the tag that seals it (``refs/tags/contexta/cert/<id>``).

``certificate.toml`` = a header (schema, id, client, model, issue time, issuer,
tool) + the stored policy + the *evidence*: everything derived from the run and
the gate (run and code commit, datasets, environment summary, every metric
value, every check with its status, the decision). ``verify`` rebuilds the
evidence from the run at the certified commit with the stored policy and
compares it field by field, so any edit on either side is caught and named.
"""

from __future__ import annotations

import hashlib
from typing import Any

from contexta_git.core.names import CERT_TAG_PREFIX, check_certificate
from contexta_git.errors import InvalidName
from contexta_git.core.records import RunData
from contexta_git.release.gate import GateResult

SCHEMA = "contexta-git/certificate/1"
CERT_FILE = "certificate.toml"
CARD_FILE = "certificate.md"
#: packages named in the certificate when the environment holds more than SMALL_ENV
KEY_PACKAGES = (
    "numpy", "pandas", "polars", "pyarrow", "scipy", "scikit-learn", "xgboost", "lightgbm",
    "catboost", "torch", "torchvision", "tensorflow", "keras", "jax", "transformers",
    "datasets", "accelerate", "onnx", "onnxruntime", "imbalanced-learn", "shap", "statsmodels",
)
SMALL_ENV = 30
REMOTE_TAGS = "refs/contexta/remote-tags/"  # where a remote's tag is fetched aside to be checked
EVIDENCE_KEYS = ("run", "datasets", "environment", "metrics", "artifacts", "checks", "decision")


def tag_ref(cert: str) -> str:
    """``refs/tags/contexta/cert/<id>`` from an id, ``contexta/cert/<id>`` or the full ref."""
    return locate(cert)[0]


def locate(cert: str) -> tuple[str, str, str]:
    """(ref, the tag name its tag object must carry, certificate id) for what a user
    names: an id, ``contexta/cert/<id>``, ``refs/tags/contexta/cert/<id>``, or a remote's
    tag fetched aside to ``refs/contexta/remote-tags/<remote>/contexta/cert/<id>``.
    Raises InvalidName for a malformed id."""
    short_prefix = CERT_TAG_PREFIX.removeprefix("refs/tags/")
    if cert.startswith(REMOTE_TAGS):
        remote, _, cert_id = cert.removeprefix(REMOTE_TAGS).partition("/" + short_prefix)
        if not remote:
            raise InvalidName("certificate", cert, f"expected {REMOTE_TAGS}<remote>/"
                              f"{short_prefix}<id>")
        check_certificate(cert_id)
        return cert, short_prefix + cert_id, cert_id
    if cert.startswith("refs/tags/"):
        cert_id = cert.removeprefix(CERT_TAG_PREFIX)
    else:
        cert_id = cert.removeprefix(short_prefix)
    check_certificate(cert_id)
    return CERT_TAG_PREFIX + cert_id, short_prefix + cert_id, cert_id


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence(run: RunData, result: GateResult, runs_commit: str | None) -> dict[str, Any]:
    """The part of a certificate that must equal what the run recorded."""
    src = run.source
    return {
        "run": {"ref": run.ref, "status": run.status, "runs_commit": runs_commit or "",
                "code_commit": src.get("commit") or "", "branch": src.get("branch") or "",
                "dirty": bool(src.get("dirty", False)), "diff_sha256": src.get("diff_sha256") or "",
                "baseline": result.baseline or ""},
        "datasets": datasets(run),
        "environment": environment(run),
        "metrics": [{"key": m.key, "stage": m.stage or "", "step": -1 if m.step is None else m.step,
                     "value": m.value, "id": m.id} for m in run.metrics],
        "artifacts": [{"name": a.name, "path": a.path or "", "kind": a.kind or "",
                       "sha256": a.sha256 or "", "size": a.size or 0} for a in run.artifacts],
        "checks": [{"metric": r.metric, "stage": r.stage or "", "kind": r.kind, "bound": r.bound,
                    "severity": r.severity, "value": "missing" if r.value is None else r.value,
                    "status": r.status, "reason": r.reason} for r in result.rows],
        "decision": result.decision,
    }


def datasets(run: RunData) -> list[dict[str, Any]]:
    found = [{"name": d.name, "version": d.version or "", "digest": d.digest or "",
              "rows": d.rows or 0, "source": d.source or ""} for d in run.datasets]
    for event in run.events:  # the seeds register data versions as events
        version = event.attributes.get("dataset_version")
        if version is not None:
            found.append({"name": str(event.attributes.get("dataset_name", "dataset")),
                          "version": str(version), "digest": "",
                          "rows": int(event.attributes.get("record_count", 0) or 0),
                          "source": f"event {event.key}"})
    return found


def environment(run: RunData) -> dict[str, Any]:
    env = run.environment
    packages = run.packages
    listing = "".join(f"{k}=={packages[k]}\n" for k in sorted(packages)).encode()
    key = packages if len(packages) <= SMALL_ENV else {
        k: v for k, v in packages.items() if k in KEY_PACKAGES}
    return {"python": str(env.get("python", {}).get("version", "")),
            "implementation": str(env.get("python", {}).get("implementation", "")),
            "platform": str(env.get("platform", "")), "machine": str(env.get("machine", "")),
            "package_count": len(packages), "packages_sha256": sha256(listing),
            "lockfile_sha256": sha256(run.lockfile) if run.lockfile else "",
            "key_packages": dict(sorted(key.items()))}


def markdown(doc: dict[str, Any]) -> str:
    """``certificate.md``: the certificate for people; verify re-renders and compares it."""
    run, env = doc["run"], doc["environment"]
    lines = [f"# Model Quality Certificate: {doc['model']}", "",
             f"- Certificate: `{doc['id']}` (tag `contexta/cert/{doc['id']}`)",
             f"- Client: {doc['client']}", f"- Issued: {doc['issued_at']} by {doc['issuer']}",
             f"- Tool: {doc['tool']}", f"- **Overall decision: {doc['decision']}**", "",
             "## Run", "", f"- Run: `{run['ref']}` ({run['status']})",
             f"- Code commit: `{run['code_commit'] or 'unknown'}`"
             + (" (uncommitted changes, diff sha256 " + run['diff_sha256'] + ")"
                if run["dirty"] else " (clean)"),
             f"- Runs-branch commit: `{run['runs_commit']}`"]
    if run["baseline"]:
        lines.append(f"- Baseline: `{run['baseline']}`")
    lines += ["", "## Data", ""]
    lines += [f"- {d['name']}: version {d['version'] or 'unversioned'}"
              + (f", {d['digest']}" if d["digest"] else "")
              + (f", {d['rows']} rows" if d["rows"] else "") for d in doc["datasets"]] or ["- none recorded"]
    lines += ["", "## Quality checks", "", "| metric | stage | value | bound | status |",
              "| --- | --- | --- | --- | --- |"]
    for c in doc["checks"]:
        value = c["value"] if isinstance(c["value"], str) else f"{c['value']:.6g}"
        lines.append(f"| {c['metric']} | {c['stage'] or 'any'} | {value} | {c['kind']} "
                     f"{c['bound']:.6g} | {c['status']} |")
    lines += ["", "## Metrics recorded", "", "| metric | stage | step | value |",
              "| --- | --- | --- | --- |"]
    lines += [f"| {m['key']} | {m['stage'] or '-'} | {m['step'] if m['step'] >= 0 else '-'} "
              f"| {m['value']!r} |" for m in doc["metrics"]]
    lines += ["", "## Environment", "", f"- Python {env['python']} {env['implementation']}".rstrip()
              + f" on {env['platform']} {env['machine']}".rstrip(),
              f"- {env['package_count']} packages (sha256 {env['packages_sha256'][:16]}...)",
              f"- Lockfile sha256: {env['lockfile_sha256'] or 'none recorded'}"]
    lines += [f"- {k} {v}" for k, v in env["key_packages"].items()]
    if doc["artifacts"]:
        lines += ["", "## Artifacts", ""]
        lines += [f"- {a['name']}: sha256 {a['sha256']}" for a in doc["artifacts"]]
    lines += ["", (f"Verify offline: `contexta-git verify {doc['id']}` or "
                   f"`git tag -v contexta/cert/{doc['id']}`."), ""]
    return "\n".join(lines)
