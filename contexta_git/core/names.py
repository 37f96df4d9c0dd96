"""Names and paths: validated once, here, before anything is written.

A run is addressed as ``run:<project>.<name>`` (the seeds' spelling), as
``<project>.<name>`` or, when unambiguous, by its bare name. Project names hold no
dot, so the first dot always separates project from run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from contexta_git.errors import InvalidName

BRANCH = "refs/heads/contexta/runs"
#: the layout of the runs branch: 2 added step series (series.toml, series/ chunks); a
#: branch written by format 1 is read as it is, and its first series write says 2
FORMAT = "contexta-git/2"
CERT_TAG_PREFIX = "refs/tags/contexta/cert/"
ALIAS_TAG_PREFIX = "refs/tags/contexta/alias/"  # + <project>/<alias>/<move id>
INCOMING_PREFIX = "refs/contexta/incoming/"  # + <writer>: one machine's runs, for ingest

_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@-]*")
MAX_NAME = 128
MAX_KEY = 200


def _check(what: str, name: object, pattern: re.Pattern[str], limit: int) -> str:
    if not isinstance(name, str):
        raise InvalidName(what, repr(name), "must be a string")
    if not name:
        raise InvalidName(what, name, "must not be empty")
    if len(name) > limit:
        raise InvalidName(what, name, f"longer than {limit} characters")
    if not name.isascii():
        raise InvalidName(what, name, "only ASCII letters, digits, '.', '_' and '-' are allowed")
    if "/" in name or "\\" in name or ".." in name:
        raise InvalidName(what, name, "must not contain '/', '\\' or '..'")
    if not pattern.fullmatch(name):
        allowed = "letters, digits, '_' and '-'" if pattern is _PROJECT else (
            "letters, digits, '.', '_' and '-'"
        )
        raise InvalidName(what, name, f"must start with a letter or digit and hold only {allowed}")
    if name.endswith((".", ".lock")):
        raise InvalidName(what, name, "must not end with '.' or '.lock'")
    return name


def check_project(name: object) -> str:
    return _check("project", name, _PROJECT, 64)


def check_run(name: object) -> str:
    return _check("run", name, _RUN, MAX_NAME)


def check_certificate(name: object) -> str:
    return _check("certificate", name, _RUN, MAX_NAME)


def check_writer(name: object) -> str:
    """A writer's name: one path component of ``refs/contexta/incoming/<writer>``."""
    return _check("writer", name, _RUN, 64)


def incoming_ref(writer: str) -> str:
    return f"{INCOMING_PREFIX}{check_writer(writer)}"


def check_alias(name: object) -> str:
    return _check("alias", name, _RUN, MAX_NAME)


def check_deployment(name: object) -> str:
    return _check("deployment", name, _RUN, MAX_NAME)


def check_stage(name: object) -> str:
    return _check("stage", name, _RUN, MAX_NAME)


def check_key(name: object, what: str = "metric") -> str:
    if not isinstance(name, str):
        raise InvalidName(what, repr(name), "must be a string")
    if not name:
        raise InvalidName(what, name, "must not be empty")
    if len(name) > MAX_KEY or not name.isascii() or not _KEY.fullmatch(name):
        raise InvalidName(what, name, "use ASCII letters, digits and _ . : / @ - (at most 200)")
    return name


def shard(run: str) -> str:
    """Two hex digits of the run name's hash: 256 buckets keep every tree small."""
    return hashlib.sha256(run.encode()).hexdigest()[:2]


@dataclass(frozen=True, order=True)
class RunId:
    """One run: its project and name, and where it lives on the branch."""

    project: str
    name: str

    def __post_init__(self) -> None:
        check_project(self.project)
        check_run(self.name)

    @property
    def id(self) -> str:
        return f"{self.project}.{self.name}"

    @property
    def ref(self) -> str:
        return f"run:{self.id}"

    @property
    def path(self) -> str:
        return f"projects/{self.project}/runs/{shard(self.name)}/{self.name}"

    def __str__(self) -> str:
        return self.ref

    @classmethod
    def parse(cls, text: str, default_project: str | None = None) -> RunId:
        """Parse ``run:p.n`` or ``p.n``; a bare name needs ``default_project``."""
        body = text[4:] if text.startswith("run:") else text
        if "." in body:
            project, _, name = body.partition(".")
            if _PROJECT.fullmatch(project):
                return cls(project, name)
        if default_project is None:
            raise InvalidName("run", text, "expected run:<project>.<name>")
        return cls(default_project, body)

    @classmethod
    def from_path(cls, path: str) -> RunId:
        parts = path.split("/")
        return cls(parts[1], parts[4])


def project_path(project: str) -> str:
    return f"projects/{check_project(project)}"


def certificate_path(cert_id: str) -> str:
    return f"certificates/{check_certificate(cert_id)}"
