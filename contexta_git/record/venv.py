"""A fresh virtual environment built from a run's ``pylock.toml``.

pip (25.x) writes PEP 751 lockfiles with ``pip lock`` but does not install from one;
uv does (``uv pip install -r pylock.toml``), so the installer is uv: the ``uv`` on
``PATH``, or the one the ``uv`` package ships (``pip install uv``). Only the entries an
installer can use are installed (core/locks.py); the others are named, never guessed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

from contexta_git.core import locks
from contexta_git.core.records import dumps
from contexta_git.errors import ContextaError


@dataclass(frozen=True)
class Installed:
    python: Path  # the new environment's interpreter
    installed: tuple[str, ...]
    skipped: dict[str, str]  # package -> why it was not installed
    problem: str | None = None  # why the installer failed (None: it succeeded)


def site_of(python: Path) -> str:
    """The site-packages folder of the environment whose interpreter is ``python``."""
    prefix = str(python.parent.parent)
    return sysconfig.get_path("purelib", vars={"base": prefix, "platbase": prefix})


def installer() -> str | None:
    """The uv executable, or None when there is none."""
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return str(uv.find_uv_bin())
    except (OSError, FileNotFoundError):
        return None


def create(folder: Path, python: str | None = None) -> Path:
    """A new virtual environment at ``folder``, without pip; returns its interpreter."""
    done = subprocess.run([python or sys.executable, "-m", "venv", "--without-pip", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ContextaError(f"cannot create a virtual environment at {folder}: "
                            f"{(done.stderr.strip().splitlines() or ['venv failed'])[-1]}")
    return folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def install(lockfile: bytes, folder: Path, python: str | None = None) -> Installed:
    """Create an environment at ``folder`` and install the usable entries of ``lockfile``."""
    found = locks.review(lockfile)
    if found.error:
        raise ContextaError(found.error)
    interpreter = create(folder, python)
    uv = installer()
    if uv is None:
        return Installed(interpreter, (), found.not_installable,
                         "no installer that reads pylock.toml was found (pip install uv)")
    doc = tomllib.loads(lockfile.decode())
    usable = set(found.installable)
    doc["packages"] = [p for p in doc.get("packages", []) if p.get("name") in usable]
    doc.pop("requires-python", None)  # the interpreter is the caller's choice, named by reproduce
    target = folder / "pylock.toml"
    target.write_bytes(dumps(doc))
    done = subprocess.run([uv, "pip", "install", "--offline", "--python", str(interpreter),
                           "-r", str(target)], capture_output=True, text=True, check=False)
    problem = None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        problem = f"uv pip install failed: {' '.join(lines[-3:]) or done.returncode}"
    return Installed(interpreter, found.installable, found.not_installable, problem)
