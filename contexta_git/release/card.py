"""A model card in Markdown, with Hugging Face ``model-index`` front matter.

Everything comes from the record: metrics, datasets (name, version, digest as the
revision), environment, the gate (with ``policy``) and the certificate reference
(with ``certificate``, verified on the spot). Intended use and limitations come
from the arguments or from the run's tags ``intended_use`` / ``limitations``.
"""

from __future__ import annotations

from typing import Any

from contexta_git.release.gate import GateResult, gate
from contexta_git.core.names import RunId
from contexta_git.release.policy import Policy
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs
from contexta_git.release.verify import Verification, verify


def card(runs: Runs, run: str | RunId, *, policy: Policy | None = None,
         certificate: str | None = None, model: str | None = None, task: str = "other",
         intended_use: str | None = None, limitations: str | None = None,
         project: str | None = None) -> str:
    run_id = run if isinstance(run, RunId) else runs.resolve(run, project)
    data = runs.get(run_id)
    checked = gate(runs, run_id, policy) if policy is not None else None
    cert = verify(runs, certificate) if certificate else None
    name = model or (cert.certificate.get("model") if cert else None) or data.name
    parts = [_front_matter(data, name, task), f"# Model card: {name}", "",
             f"Recorded as `{data.ref}` ({data.status}), code commit "
             f"`{data.source.get('commit') or 'unknown'}`"
             + (" with uncommitted changes" if data.source.get("dirty") else "") + ".", "",
             "## Intended use", "", intended_use or str(data.tags.get("intended_use", "Not stated.")),
             "", "## Limitations", "", limitations or str(data.tags.get("limitations", "Not stated.")),
             "", *_data(data), *_metrics(data, checked), *_environment(data), *_certificate(cert)]
    return "\n".join(parts).rstrip() + "\n"


def _front_matter(data: RunData, name: str, task: str) -> str:
    import yaml

    dataset: dict[str, Any] = {"name": data.name, "type": "custom"}
    if data.datasets:
        first = data.datasets[0]
        dataset = {"name": first.name, "type": first.name,
                   "revision": first.version or first.digest or first.git_blob or "unknown"}
    metrics = [{"type": key, "value": value, "name": key} for key, value in
               data.latest_metrics().items()]
    index = [{"name": name, "results": [{"task": {"type": task}, "dataset": dataset,
                                         "metrics": metrics}]}]
    text = yaml.safe_dump({"model-index": index}, sort_keys=False)
    return f"---\n{text}---\n"


def _data(data: RunData) -> list[str]:
    lines = ["## Data", ""]
    for d in data.datasets:
        lines.append(f"- {d.name}: version {d.version or 'unversioned'}"
                     + (f", {d.digest}" if d.digest else "") + (f", {d.rows} rows" if d.rows else ""))
    for e in data.events:
        if "dataset_version" in e.attributes:
            lines.append(f"- dataset version {e.attributes['dataset_version']} ({e.message})")
    return lines + (["- none recorded"] if len(lines) == 2 else []) + [""]


def _metrics(data: RunData, checked: GateResult | None) -> list[str]:
    lines = ["## Metrics", "", "| metric | stage | value | threshold | status |",
             "| --- | --- | --- | --- | --- |"]
    rows = {(r.metric, r.stage): r for r in checked.rows} if checked else {}
    seen: set[tuple[str, str | None]] = set()
    for m in reversed(data.metrics):  # the latest value of each (metric, stage)
        if (m.key, m.stage) in seen:
            continue
        seen.add((m.key, m.stage))
        row = rows.get((m.key, m.stage)) or rows.get((m.key, None))
        bound = f"{row.kind} {row.bound:.6g}" if row else ""
        lines.append(f"| {m.key} | {m.stage or '-'} | {m.value:.6g} | {bound} | "
                     f"{row.status if row else ''} |")
    lines[4:] = sorted(lines[4:])
    if checked:
        lines += ["", f"Gate decision: **{checked.decision}**"]
    return lines + [""]


def _environment(data: RunData) -> list[str]:
    env = data.environment
    py = env.get("python", {}).get("version", "unknown")
    lines = ["## Environment", "", f"- Python {py} on {env.get('platform', 'unknown')}",
             f"- {len(data.packages)} packages recorded"
             + (" with a pylock.toml lockfile" if data.lockfile else "")]
    from contexta_git.release.certificate import environment

    lines += [f"- {k} {v}" for k, v in environment(data)["key_packages"].items()]
    return lines + [""]


def _certificate(cert: Verification | None) -> list[str]:
    if cert is None:
        return ["## Certificate", "", "No certificate referenced."]
    state = "valid" if cert.ok else "INVALID: " + "; ".join(cert.problems)
    doc = cert.certificate
    return ["## Certificate", "", f"- `{cert.tag}` ({state})",
            (f"- Client: {doc.get('client', '?')}; decision {doc.get('decision', '?')}; "
             f"issued {doc.get('issued_at', '?')} by {doc.get('issuer', '?')}"),
            f"- Check it: `git tag -v {cert.tag}` and `contexta-git verify {cert.id}`"]
