"""The ``[tool.contexta-git]`` table of ``pyproject.toml``, written for the user.

``contexta-git init --project P --metrics FILE`` lands here. The file is a person's
file: it is edited with tomlkit, which keeps every other byte (comments, layout, the
other tables) as it was; an existing table is updated in place (keys not given stay
as they are), a missing one is added, a missing file is created. The result is read
back with tomllib exactly as the post-commit hook reads it before anything is written,
and written through a temporary file and a rename.

Paths are relative to the repository root, as the hook reads them: an absolute path
or one that climbs out with ``..`` is refused.
"""

from __future__ import annotations

import posixpath
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexta_git.core.files import replace_file
from contexta_git.core.names import check_project, check_stage
from contexta_git.errors import ContextaError, InvalidValue
from contexta_git.share.hook_config import HookConfig, parse_config

PYPROJECT = "pyproject.toml"
TABLE = "contexta-git"
KEYS = ("project", "metrics", "params", "datasets", "name", "stage", "environment")


@dataclass(frozen=True)
class Settings:
    """What to set; empty tuples and None leave an existing key as it is."""

    project: str
    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    name: str | None = None
    stage: str | None = None
    environment: bool | None = None

    def table(self) -> dict[str, Any]:
        """The keys to write, validated: names checked, paths inside the repository."""
        values: dict[str, Any] = {"project": check_project(self.project)}
        for key in ("metrics", "params", "datasets"):
            paths = getattr(self, key)
            if paths:
                values[key] = list(dict.fromkeys(repo_path(p, key) for p in paths))
        if self.name is not None:
            values["name"] = check_template(self.name)
        if self.stage is not None:
            values["stage"] = check_stage(self.stage)
        if self.environment is not None:
            values["environment"] = self.environment
        return values


@dataclass(frozen=True)
class SettingsFile:
    """The new text of ``path`` and what the hook will read from it."""

    path: Path
    text: str
    created: bool  # the file did not exist
    updated: bool  # the table was there already
    changed: bool  # the text differs from the file's
    config: HookConfig
    shadowed_by: Path | None  # .contexta-git.toml, which the hook reads first


def repo_path(path: str, what: str = "path") -> str:
    """``path`` as a repository-relative POSIX path, or InvalidValue when it leaves it."""
    text = path.replace("\\", "/")
    if not text.strip():
        raise InvalidValue(f"{what} path must not be empty")
    if text.startswith("/") or Path(path).is_absolute() or Path(path).drive:
        raise InvalidValue(f"{what} path {path!r} is absolute: give it relative to the "
                           "repository root")
    norm = posixpath.normpath(text)
    if norm == ".." or norm.startswith("../"):
        raise InvalidValue(f"{what} path {path!r} is outside the repository")
    if norm == ".":
        raise InvalidValue(f"{what} path {path!r} names the repository root, not a file")
    return norm


def check_template(template: str) -> str:
    """A run-name template the hook can fill: only {branch}, {short} and {commit}."""
    try:
        template.format(branch="main", short="0" * 8, commit="0" * 40)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidValue(f"run name template {template!r}: use {{branch}}, {{short}}, "
                           "{commit}") from exc
    return template


def render_settings(root: Path | None, settings: Settings) -> SettingsFile:
    """The updated ``pyproject.toml`` of the working tree ``root``; writes nothing."""
    if root is None:
        raise InvalidValue("the repository is bare: there is no working tree to hold "
                           f"{PYPROJECT}")
    values = settings.table()
    path = root / PYPROJECT
    before = _read(path)
    doc = _parse(path, before or "")
    updated = _update(path, doc, values)
    text = _line_endings(before, _dumps(doc))
    config = _check(path, text)
    return SettingsFile(path, text, before is None, updated, text != before, config,
                        _shadow(root))


def write_settings(root: Path | None, settings: Settings) -> SettingsFile:
    """Render, then write ``pyproject.toml`` atomically when it changes."""
    planned = render_settings(root, settings)
    save_settings(planned)
    return planned


def save_settings(planned: SettingsFile) -> None:
    if planned.changed:
        replace_file(planned.path, planned.text.encode("utf-8"))


def _read(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        cause = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise InvalidValue(f"cannot read {path}: {cause or exc}") from exc


def _parse(path: Path, text: str) -> Any:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        tomllib.loads(text)
        return tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as exc:
        raise InvalidValue(f"{path} is not valid TOML: {exc}") from exc


def _update(path: Path, doc: Any, values: dict[str, Any]) -> bool:
    """Set ``values`` in ``doc``'s [tool.contexta-git]; True when the table was there."""
    import tomlkit

    tool = doc.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise InvalidValue(f"{path}: tool is not a table")
    table = tool.get(TABLE) if tool is not None else None
    if table is not None and not isinstance(table, dict):
        raise InvalidValue(f"{path}: tool.{TABLE} is not a table")
    try:
        if table is None:
            new = tomlkit.table()
            for key in KEYS:
                if key in values:
                    new.add(key, values[key])
            if tool is None:
                doc.add("tool", tomlkit.table(is_super_table=True))
            doc["tool"][TABLE] = new
            return False
        for key in KEYS:
            if key in values:
                table[key] = values[key]
    except ValueError as exc:  # e.g. tool is an inline table, which cannot hold a table
        raise InvalidValue(f"{path}: cannot add [tool.{TABLE}] ({exc})") from exc
    return True


def _dumps(doc: Any) -> str:
    import tomlkit

    return tomlkit.dumps(doc)


def _line_endings(before: str | None, text: str) -> str:
    """Keep a CRLF file CRLF: the lines tomlkit added come with LF."""
    if before and "\r\n" in before and "\n" not in before.replace("\r\n", ""):
        return text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text


def _check(path: Path, text: str) -> HookConfig:
    """Read the new text as the hook will; a table it would reject is never written."""
    try:
        table = tomllib.loads(text)["tool"][TABLE]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise InvalidValue(f"{path}: the updated file would not be valid ({exc})") from exc
    try:
        config = parse_config(table)
    except ContextaError as exc:
        raise InvalidValue(f"{path}: {exc}") from exc
    if not config.metrics:
        raise InvalidValue(f"{path}: [tool.{TABLE}] needs metrics: name the metrics file "
                           "(--metrics FILE)")
    return config


def _shadow(root: Path) -> Path | None:
    """``.contexta-git.toml`` when it configures the hook: the hook reads it first."""
    path = root / ".contexta-git.toml"
    if not path.is_file():
        return None
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return path  # the hook stops on it too
    tool = doc.get("tool")
    found = tool.get(TABLE, doc) if isinstance(tool, dict) else doc
    return path if found else None
