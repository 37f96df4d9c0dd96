"""The run page: everything recorded for one run, its curves, its certificates (each
verified by release/verify.py) and the gate against a chosen policy."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from contexta_git.analysis.audit import audit_run
from contexta_git.core.names import CERT_TAG_PREFIX, RunId, certificate_path
from contexta_git.core.records import RunData
from contexta_git.errors import ContextaError, InvalidName, InvalidValue
from contexta_git.git.repo import View
from contexta_git.release.gate import evaluate
from contexta_git.release.policy import InvalidPolicy, load_policy
from contexta_git.release.verify import verify
from contexta_git.store import quarantines
from contexta_git.store.runs import Runs
from contexta_git.web.curves import curves
from contexta_git.web.site import Query, Settings
from contexta_git.web.sources import NotFound, Source


def context(runs: Runs, source: Source, project: str, name: str, query: Query,
            settings: Settings) -> dict[str, Any]:
    view = source.view(runs)
    data = read(runs, view, f"{project}.{name}")
    env = dict(data.environment)
    packages = env.pop("packages", {})
    return {
        "title": data.ref, "run": data,
        "single": [(m.stage or "(run)", m.key, m.value) for m in data.metrics if m.step is None],
        "datasets": [(d.name, d.version, d.digest, d.source, d.split, d.rows)
                     for d in data.datasets],
        "artifacts": [(a.name, a.kind, a.path, a.sha256, a.size) for a in data.artifacts],
        "series": data.all_series(),
        "charts": curves(view, [data]),
        "environment": _flat(env), "packages": sorted(packages.items()),
        "audit": audit_run(data), "ledger_keys": quarantines.KEYS,
        "certificates": certificates(runs, data.ref),
        **gate_context(runs, view, data, query, settings),
    }


def read(runs: Runs, view: View, text: str) -> RunData:
    """The run ``<project>.<name>`` (``run:`` allowed before it) at ``view``; NotFound when
    the name is malformed or no such run is on that branch."""
    try:
        run_id = RunId.parse(text)
    except InvalidName as exc:
        raise NotFound(f"no run {text!r}: {exc}") from None
    if view.commit_id is None or not view.exists(run_id.path):
        raise NotFound(f"no run {run_id.ref}")
    return runs.get(run_id, at=view.commit_id)


def certificates(runs: Runs, ref: str) -> list[Any]:
    """The verification of every certificate tag whose certificate names this run."""
    view = runs.view()
    found = []
    for tag in runs.store.ref_names(CERT_TAG_PREFIX):
        cert_id = tag.removeprefix(CERT_TAG_PREFIX)
        try:
            doc = tomllib.loads((view.read(f"{certificate_path(cert_id)}/certificate.toml")
                                 or b"").decode("utf-8"))
        except (InvalidName, UnicodeDecodeError, tomllib.TOMLDecodeError):
            doc = {}
        run = doc.get("run")
        if isinstance(run, dict) and run.get("ref") == ref:
            found.append(verify(runs, cert_id))
    return found


def policies(workdir: Path | None) -> list[str]:
    """Policy files a user can pick: ``*.toml`` files at the top of the working tree and
    under ``policies/`` that read as a policy. Only regular files inside the working tree
    are opened (:func:`policy_path`): a link to a device or a pipe would be read forever,
    one leading out of the repository would offer a file that is not its own; a
    ``policies`` folder that is itself a link is not walked (glob follows no link below)."""
    if workdir is None:
        return []
    folder = workdir / "policies"  # a link (to /, or back into the repository) is not walked
    nested = [] if folder.is_symlink() else list(folder.glob("**/*.toml"))
    found = []
    for path in sorted([*workdir.glob("*.toml"), *nested]):
        name = path.relative_to(workdir).as_posix()
        try:
            load_policy(policy_path(workdir, name))
        except (InvalidPolicy, InvalidValue):
            continue
        found.append(name)
    return found


def policy_path(workdir: Path | None, text: str) -> Path:
    """The file ``text`` names, relative to the working tree; refused when it would lead
    outside it (``..``, an absolute path, a symbolic link out) or into ``.git``."""
    if workdir is None:
        raise InvalidValue("a bare repository has no policy files to choose from")
    root = workdir.resolve()
    if "\0" in text:  # (no file is named so; the OS refuses it before any check)
        raise InvalidValue(f"policy {text!r} is not a file inside the repository")
    target = (root / text).resolve()
    if not target.is_relative_to(root) or ".git" in target.relative_to(root).parts:
        raise InvalidValue(f"policy {text!r} is not a file inside the repository")
    if not target.is_file():
        raise InvalidValue(f"policy {text!r}: no such file in the repository")
    return target


def gate_context(runs: Runs, view: View, data: RunData, query: Query,
                 settings: Settings) -> dict[str, Any]:
    workdir = Path(runs.store.workdir) if runs.store.workdir else None
    chosen = (query.get("policy") or [settings.policy or ""])[-1]
    out: dict[str, Any] = {"policies": policies(workdir), "policy": chosen, "gate": None,
                           "gate_error": None}
    if not chosen:
        return out
    try:
        policy = load_policy(policy_path(workdir, chosen))
        baseline = None
        if policy.baseline:
            baseline = read(runs, view, policy.baseline.removeprefix("run:")
                            if "." in policy.baseline else f"{data.project}.{policy.baseline}")
        out["gate"] = evaluate(policy, data, baseline, runs_commit=view.commit_id)
    except (ContextaError, NotFound) as exc:
        out["gate_error"] = str(exc)
    return out


def _flat(doc: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested tables as ``a.b`` rows."""
    rows: list[tuple[str, Any]] = []
    for key, value in doc.items():
        if isinstance(value, dict):
            rows += _flat(value, f"{prefix}{key}.")
        else:
            rows.append((f"{prefix}{key}", value))
    return rows
