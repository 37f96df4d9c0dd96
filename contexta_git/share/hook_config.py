"""The post-commit hook's configuration, confined to the repository it lives in.

``[tool.contexta-git]`` in ``pyproject.toml``, or the top level of ``.contexta-git.toml``
(which wins). Whoever commits to a repository writes this file, so nothing in it may
reach outside the repository:

- every configured path (metrics, params, datasets) is relative to the top of the working
  tree, written with ``/``, and stays inside it and out of ``.git``: not absolute, no
  ``..`` climbing out. On disk, the path and the configuration file itself must resolve
  inside the working tree, so a symbolic link leading out is refused; so is one anywhere
  inside a dataset folder, which would otherwise be read while fingerprinting it;
- the run-name template names only {branch}, {short} and {commit}, bare: no attribute or
  index access, no conversion, no format spec. It is filled in piece by piece, never
  through ``str.format``.

A refusal is an :class:`OutsideRepository` or :class:`InvalidValue`, raised before
anything is read or recorded.
"""

from __future__ import annotations

import os
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from contexta_git.errors import InvalidValue

DEFAULT_NAME = "{branch}-{short}"
FIELDS = ("branch", "short", "commit")
PATH_KEYS = ("metrics", "params", "datasets")


class OutsideRepository(InvalidValue):
    def __init__(self, key: str, path: str, why: str) -> None:
        self.key, self.path, self.why = key, path, why
        super().__init__(f"[tool.contexta-git] {key}: {path!r} {why}; configured paths "
                         "must stay inside the repository")


@dataclass(frozen=True)
class HookConfig:
    project: str
    metrics: tuple[str, ...]
    params: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    name: str = DEFAULT_NAME
    stage: str | None = None
    environment: bool = True


def find_root(start: str | Path = ".") -> Path:
    """The top of the working tree holding ``start`` (where ``.git`` is), without pygit2."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def load_config(root: Path) -> HookConfig | None:
    """The configuration at ``root`` (None: none there), its paths checked as written."""
    table = load_table(root)
    return parse_config(table) if table else None


def load_table(root: Path) -> dict[str, Any] | None:
    """The raw ``[tool.contexta-git]`` table at ``root`` (None: none there)."""
    for name, nested in ((".contexta-git.toml", False), ("pyproject.toml", True)):
        path = root / name
        if not path.is_file():
            continue
        confine(root, "configuration", name)
        try:
            doc = tomllib.loads(path.read_text())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InvalidValue(f"{name}: not valid TOML: {exc}") from exc
        found = doc.get("tool", {}).get("contexta-git") if nested else (
            doc.get("tool", {}).get("contexta-git", doc))
        if found:
            return dict(found)
    return None


def parse_config(table: dict[str, Any]) -> HookConfig:
    def paths(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidValue(f"[tool.contexta-git] {key} must be a path or a list of paths")
        return tuple(dict.fromkeys(repo_path(key, v) for v in value))

    project = table.get("project")
    if not isinstance(project, str):
        raise InvalidValue("[tool.contexta-git] needs project = \"<name>\"")
    name = table.get("name", DEFAULT_NAME)
    if not isinstance(name, str):
        raise InvalidValue("[tool.contexta-git] name must be a string such as "
                           f"{DEFAULT_NAME!r}")
    return HookConfig(project, paths("metrics"), paths("params"), paths("datasets"),
                      check_template(name), table.get("stage"),
                      bool(table.get("environment", True)))


def repo_path(key: str, value: str) -> str:
    """``value`` as a normalised path inside the working tree (``a/b``), or refused."""
    if "\0" in value:
        raise OutsideRepository(key, value, "holds a NUL byte")
    pure = PurePosixPath(value)
    if pure.is_absolute():
        raise OutsideRepository(key, value, "is absolute")
    parts: list[str] = []
    for part in pure.parts:
        if part == "..":
            if not parts:
                raise OutsideRepository(key, value, "climbs out of the repository")
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not parts:
        raise OutsideRepository(key, value, "names no file or folder in the repository")
    if ".git" in parts:
        raise OutsideRepository(key, value, "is inside .git")
    return "/".join(parts)


def confine(root: Path, key: str, path: str) -> Path:
    """``root / path`` after checking that, links followed, it stays in the working tree."""
    target = root / path
    if not os.path.lexists(target):
        return target
    top = root.resolve()
    try:
        real = target.resolve()
    except (OSError, RuntimeError) as exc:  # a loop of links
        raise OutsideRepository(key, path, f"cannot be resolved ({exc})") from exc
    if not real.is_relative_to(top):
        raise OutsideRepository(key, path, f"resolves to {real}, outside the repository")
    if ".git" in real.relative_to(top).parts:
        raise OutsideRepository(key, path, "resolves into .git")
    return target


def confine_tree(root: Path, key: str, path: str) -> None:
    """Every link inside the folder ``root / path`` stays in the working tree too."""
    folder = root / path
    if not folder.is_dir():
        return
    for here, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        for entry in (*dirs, *files):
            item = Path(here, entry)
            if item.is_symlink():
                confine(root, key, item.relative_to(root).as_posix())


def check_config_paths(root: Path, config: HookConfig) -> None:
    """Refuse the run when any configured path leads outside the working tree on disk."""
    for key in PATH_KEYS:
        for path in getattr(config, key):
            confine(root, key, path)
            if key == "datasets":
                confine_tree(root, key, path)


def check_template(template: str) -> str:
    """``template`` when it names only :data:`FIELDS`, bare; InvalidValue otherwise."""
    allowed = ", ".join(f"{{{f}}}" for f in FIELDS)
    problem = f"run name template {template!r}: use only {allowed} (and {{{{ }}}} for braces)"
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidValue(f"{problem}: {exc}") from exc
    for _literal, field, spec, conversion in pieces:
        if field is not None and (field not in FIELDS or spec or conversion):
            raise InvalidValue(f"{problem}, with no attribute, index, conversion or format "
                               "spec")
    return template


def render_template(template: str, values: dict[str, str]) -> str:
    """Fill a template checked by :func:`check_template`, piece by piece."""
    return "".join(literal + (values[field] if field is not None else "")
                   for literal, field, _spec, _conv in string.Formatter().parse(template))
