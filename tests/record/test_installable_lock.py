"""A recorded environment installs into a fresh virtual environment from its pylock.toml.

The test builds two tiny packages into wheels, publishes one in a flat find-links folder
and the other in a PEP 503 ``file://`` index, installs both with pip into a new
environment, records that environment's lockfile, checks it with ``packaging.pylock``,
installs it with uv into another new environment and compares the two package sets."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from contexta_git.core.locks import review
from contexta_git.record import capture, venv, wheels


def _package(root: Path, name: str, requires: list[str]) -> Path:
    src = root / "src" / name
    (src / name).mkdir(parents=True)
    (src / name / "__init__.py").write_text(f"NAME = {name!r}\n")
    deps = ", ".join(f'"{r}"' for r in requires)
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{deps}]\n')
    return src


def _wheel(src: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                    "--no-build-isolation", str(src), "-w", str(out)], check=True)
    return next(out.glob(f"{src.name}-*.whl"))


def _site(python: Path) -> str:
    prefix = python.parent.parent
    return sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})


def _packages(python: Path) -> dict[str, str]:
    return {d.metadata["Name"]: d.version for d in metadata.distributions(path=[_site(python)])}


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tinydep in a flat folder, tinyapp (which needs tinydep) in a file:// index,
    both named in pip's configuration through its variables."""
    flat = tmp_path / "wheels"
    dep = _wheel(_package(tmp_path, "tinydep", []), flat)
    app = _wheel(_package(tmp_path, "tinyapp", ["tinydep"]), tmp_path / "files")
    page = tmp_path / "simple" / "tinyapp"
    page.mkdir(parents=True)
    (page / "index.html").write_text(f'<html><body><a href="../../files/{app.name}">{app.name}'
                                     "</a></body></html>\n")
    monkeypatch.setenv("PIP_FIND_LINKS", str(flat))
    monkeypatch.setenv("PIP_INDEX_URL", (tmp_path / "simple").as_uri())
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "no-pip.conf"))  # the machine's stays out
    wheels.pip_sources.cache_clear()
    yield tmp_path
    wheels.pip_sources.cache_clear()
    assert dep.exists()


def test_a_recorded_environment_installs_into_a_fresh_one(published: Path) -> None:
    first = venv.create(published / "first")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(first), "install", "-q",
                    "tinyapp"], check=True)
    recorded = _packages(first)
    assert recorded == {"tinyapp": "1.0", "tinydep": "1.0"}

    data = capture.lockfile_at([_site(first)], ".".join(map(str, sys.version_info[:3])))
    doc = tomllib.loads(data.decode())
    lock = Pylock.from_dict(doc)
    by_name = {p.name: p for p in lock.packages}
    assert set(by_name) == {"tinyapp", "tinydep"} and "tool" not in doc
    assert by_name["tinyapp"].index == (published / "simple").as_uri()
    wheel = by_name["tinydep"].wheels[0]
    assert wheel.name == "tinydep-1.0-py3-none-any.whl"
    import hashlib
    assert wheel.hashes["sha256"] == hashlib.sha256(
        (published / "wheels" / wheel.name).read_bytes()).hexdigest()
    assert review(data).not_installable == {}

    second = venv.install(data, published / "second")
    assert second.problem is None and second.skipped == {}
    assert _packages(second.python) == recorded
    ran = subprocess.run([str(second.python), "-c", "import tinyapp, tinydep; print(tinyapp.NAME)"],
                         capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "tinyapp"


def test_a_wheel_changed_after_recording_is_refused_by_the_installer(published: Path) -> None:
    first = venv.create(published / "first")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(first), "install", "-q",
                    "tinydep"], check=True)
    data = capture.lockfile_at([_site(first)], ".".join(map(str, sys.version_info[:3])))
    target = published / "wheels" / "tinydep-1.0-py3-none-any.whl"
    target.write_bytes(target.read_bytes() + b"\0")  # the hash in the lockfile no longer matches
    second = venv.install(data, published / "second")
    assert second.problem is not None and "tinydep" not in _packages(second.python)


def test_a_package_whose_wheel_is_nowhere_is_named_unlocked(published: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    first = venv.create(published / "first")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(first), "install", "-q",
                    "tinydep"], check=True)
    monkeypatch.setenv("PIP_FIND_LINKS", str(published / "elsewhere"))
    wheels.pip_sources.cache_clear()
    data = capture.lockfile_at([_site(first)], ".".join(map(str, sys.version_info[:3])))
    Pylock.from_dict(tomllib.loads(data.decode()))
    found = review(data)
    assert found.installable == () and list(found.not_installable) == ["tinydep"]
    assert "pip's local wheel folders" in found.not_installable["tinydep"]
