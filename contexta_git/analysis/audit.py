"""Could this run be reproduced from what was recorded? ``audit_reproducibility``.

Five checks, each with a reason in one sentence: environment captured, lockfile
complete and installable (core/locks.py: every package an entry an installer can use,
the others named), code commit recorded and clean or its patch kept, dataset
fingerprinted, seed recorded.
Status: ``reproducible`` when all pass, ``not_reproducible`` when no environment was
recorded at all, ``partial`` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contexta_git.core.locks import review
from contexta_git.core.records import RunData
from contexta_git.store.runs import Runs

_SEED = re.compile(r"(^|[._-])(random_?)?seed$", re.IGNORECASE)


@dataclass(frozen=True)
class AuditCheck:
    name: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class ReproducibilityAudit:
    run: str
    python_version: str | None
    platform: str | None
    package_count: int
    reproducibility_status: str
    checks: tuple[AuditCheck, ...]

    @property
    def reasons(self) -> list[str]:
        """The reasons of the failed checks (empty when reproducible)."""
        return [c.reason for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run, "status": self.reproducibility_status,
            "python_version": self.python_version, "platform": self.platform,
            "package_count": self.package_count,
            "checks": [{"check": c.name, "passed": c.passed, "reason": c.reason}
                       for c in self.checks],
        }


def _environment(run: RunData) -> AuditCheck:
    env = run.environment
    version = env.get("python", {}).get("version")
    if not env or not version:
        return AuditCheck("environment", False, "no environment was recorded")
    if not run.packages:
        return AuditCheck("environment", False, f"Python {version} recorded, but no packages")
    if env.get("origin") == "declared":
        return AuditCheck("environment", True, f"Python {version} and {len(run.packages)} "
                          "packages, as declared by the script (not captured)")
    return AuditCheck("environment", True,
                      f"Python {version} and {len(run.packages)} packages captured at run start")


def _lockfile(run: RunData) -> AuditCheck:
    if run.lockfile is None:
        return AuditCheck("lockfile", False, "no pylock.toml: package sources are unknown")
    found = review(run.lockfile)
    if found.error:
        return AuditCheck("lockfile", False, found.error)
    from packaging.utils import canonicalize_name

    missing = sorted(n for n in (canonicalize_name(k) for k in run.packages) if n not in found.names)
    if missing:
        return AuditCheck("lockfile", False, f"pylock.toml lacks {len(missing)} installed "
                          f"package(s): {', '.join(missing[:5])}")
    total = len(found.names)
    if found.not_installable:
        names = sorted(found.not_installable)
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        return AuditCheck("lockfile", False, f"an installer can use {len(found.installable)} of "
                          f"{total} packages; not {', '.join(names[:5])}{more} "
                          f"({found.not_installable[names[0]]})")
    where = f", {len(found.local)} from local paths" if found.local else ""
    return AuditCheck("lockfile", True, f"an installer can use all {total} packages{where}")


def _code(run: RunData) -> AuditCheck:
    commit = run.source.get("commit")
    if not commit:
        return AuditCheck("code", False, "no code commit recorded")
    if not run.source.get("dirty"):
        return AuditCheck("code", True, f"code at commit {commit[:12]}, working tree clean")
    state = run.source.get("patch")
    binary = run.source.get("patch_binary") or []
    if state == "stored" and not binary:
        return AuditCheck("code", True, f"code at {commit[:12]} plus its uncommitted change "
                          "(source.patch)")
    why = {"redacted": "the kept patch had secrets replaced", "too-large": "the patch was "
           "over the size cap and not kept", "stored": f"binary files not kept: "
           f"{', '.join(map(str, binary[:3]))}"}.get(str(state), "the patch was not kept")
    return AuditCheck("code", False, f"code at {commit[:12]} had uncommitted changes "
                      f"(diff sha256 {str(run.source.get('diff_sha256'))[:12]}): {why}")


def _data(run: RunData) -> AuditCheck:
    if not run.datasets:
        return AuditCheck("data", False, "no dataset recorded")
    loose = [d.name for d in run.datasets if not (d.digest or d.sha256 or d.git_blob)]
    if loose:
        return AuditCheck("data", False, f"dataset(s) without a fingerprint: {', '.join(loose)}")
    return AuditCheck("data", True, f"{len(run.datasets)} dataset(s) fingerprinted")


def _seed(run: RunData) -> AuditCheck:
    keys = [k for k in run.params if _SEED.search(k)]
    if not keys:
        return AuditCheck("seed", False, "no random seed among the params")
    return AuditCheck("seed", True, f"seed recorded: {keys[0]}={run.params[keys[0]]}")


def audit_run(run: RunData) -> ReproducibilityAudit:
    checks = (_environment(run), _lockfile(run), _code(run), _data(run), _seed(run))
    if all(c.passed for c in checks):
        status = "reproducible"
    elif not checks[0].passed:
        status = "not_reproducible"
    else:
        status = "partial"
    return ReproducibilityAudit(
        run.ref, run.environment.get("python", {}).get("version"),
        run.environment.get("platform"), len(run.packages), status, checks)


def audit_reproducibility(runs: Runs, ref: str, project: str | None = None) -> ReproducibilityAudit:
    """The five reproducibility checks of one run, with a status and a reason for each."""
    return audit_run(runs.get(runs.resolve(ref, project)))
