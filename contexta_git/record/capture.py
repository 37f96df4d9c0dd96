"""What the run ran on: interpreter, platform, selected variables, GPU, packages.

``environment.toml`` holds no timestamp, so runs on one machine share one blob and
git stores it once. ``pylock.toml`` is a PEP 751 lockfile of the installed
distributions, valid per ``packaging.pylock``, and contexta-git never writes a hash it
did not compute: a distribution that pip recorded as a direct URL (PEP 610: VCS
checkout, local directory, archive with hash) is locked from that record; one
installed from an index is locked by its ``index`` and a ``wheels`` entry when its wheel
file is in one of pip's local wheel folders (wheels.py hashes it). One whose wheel
cannot be found is listed under ``[tool.contexta-git] unlocked`` with its index, wheel
file name, tags and the sha256 of its RECORD: an installer cannot fetch it by hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from contexta_git import __version__
from contexta_git.core.files import write_atomic
from contexta_git.core.records import dumps
from contexta_git.core.redact import clean_url, redact
from contexta_git.record import wheels

#: Variables that change what training does and never hold secrets by design.
ENV_ALLOW = (
    "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUBLAS_WORKSPACE_CONFIG", "NVIDIA_VISIBLE_DEVICES",
    "PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "TF_DETERMINISTIC_OPS", "TF_CPP_MIN_LOG_LEVEL", "XLA_FLAGS", "PYTORCH_CUDA_ALLOC_CONF",
    "TOKENIZERS_PARALLELISM", "HF_HUB_OFFLINE", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV",
    "SLURM_JOB_ID", "SLURM_JOB_NAME", "CI", "GITHUB_RUN_ID", "GITHUB_SHA",
)


def environment(packages: dict[str, str] | None = None) -> dict[str, Any]:
    """The environment record; ``packages`` defaults to every installed distribution."""
    chosen = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": sys.platform,
        "os": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "variables": redact(chosen),
        "gpu": gpu(),
        "packages": packages if packages is not None else installed_versions(),
    }


def environment_record() -> bytes:
    """``environment.toml`` for this process, serialised once per set of variables and
    of installed packages."""
    chosen = tuple((k, os.environ[k]) for k in ENV_ALLOW if k in os.environ)
    return _environment_bytes(chosen, _site_state())


@lru_cache(maxsize=8)
def _environment_bytes(_variables: tuple[tuple[str, str], ...],
                       _site: tuple[tuple[str, int], ...]) -> bytes:
    return dumps(environment())


def _site_state() -> tuple[tuple[str, int], ...]:
    """Each import folder and its modification time: installing or removing a package
    adds or removes a ``.dist-info`` folder there, which changes that time. A process
    that lives on (a notebook) thus never records the packages it started with after
    a ``pip install``."""
    state = []
    for entry in sys.path:
        try:
            state.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(state)


@dataclass(frozen=True)
class Installed:
    name: str  # canonical (PEP 503)
    version: str
    dist: metadata.Distribution


def _distributions() -> tuple[Installed, ...]:
    return _distributions_at(_site_state())


@lru_cache(maxsize=2)
def _distributions_at(_site: tuple[tuple[str, int], ...]) -> tuple[Installed, ...]:
    return _collect(metadata.distributions())


def _collect(found: Any) -> tuple[Installed, ...]:
    """Installed distributions, first on sys.path winning as import does.

    Name and version come from the ``.dist-info`` folder name, which the wheel spec
    writes in escaped form (``numpy-1.26.4.dist-info``): reading each METADATA file
    through the email parser would cost about 1 ms a package. Legacy ``.egg-info``
    folders fall back to their metadata.
    """
    seen: dict[str, Installed] = {}
    for dist in found:
        folder = Path(str(getattr(dist, "_path", "")))
        stem, _, rest = folder.name.partition(".dist-info")
        name, sep, version = stem.partition("-")
        if folder.name.endswith(".dist-info") and sep and not rest:
            item = Installed(canonicalize_name(name), version, dist)
        else:
            raw = dist.metadata["Name"]
            if not raw:
                continue
            item = Installed(canonicalize_name(raw), dist.version, dist)
        seen.setdefault(item.name, item)
    return tuple(sorted(seen.values(), key=lambda d: d.name))


canonical = canonicalize_name


def installed_versions() -> dict[str, str]:
    return {d.name: d.version for d in _distributions()}


def lockfile(cache: Path | None = None) -> bytes:
    """Every installed distribution as a PEP 751 ``pylock.toml``.

    Building it reads every package's RECORD (tens of ms); the result is kept per
    process and, with ``cache`` (a folder in the git directory), across processes,
    keyed by a digest of the installed folders and their modification times.
    """
    key = _installed_digest()
    # "r3": files cached before index installs were locked by wheel are never read
    path = cache / f"pylock-r3-{key[:32]}.toml" if cache else None
    if path is not None and path.is_file():
        return path.read_bytes()
    data = _lockfile(key)
    if path is not None:
        write_atomic(path, data)
    return data


def _installed_digest() -> str:
    digest = hashlib.sha256(sys.executable.encode())
    for item in _distributions():
        folder = str(getattr(item.dist, "_path", item.name))
        try:
            stamp = os.stat(folder).st_mtime_ns
        except OSError:
            stamp = 0
        digest.update(f"{folder}\0{item.version}\0{stamp}\n".encode())
    return digest.hexdigest()


@lru_cache(maxsize=2)
def _lockfile(_key: str) -> bytes:
    return _document(_distributions(), platform.python_version())


def lockfile_at(paths: list[str], python_version: str) -> bytes:
    """The lockfile of the distributions installed on ``paths`` (the site-packages of
    another environment), not cached."""
    return _document(_collect(metadata.distributions(path=paths)), python_version)


def _document(items: tuple[Installed, ...], python_version: str) -> bytes:
    locked: list[dict[str, Any]] = []
    unlocked: list[dict[str, Any]] = []
    for item in items:
        entry = _locked(item)
        (unlocked if "unlocked" in entry else locked).append(entry)
    doc: dict[str, Any] = {"lock-version": "1.0", "created-by": "contexta-git",
                           "requires-python": f"=={python_version}", "packages": locked}
    if unlocked:
        doc["tool"] = {"contexta-git": {"unlocked": [e["unlocked"] for e in unlocked]}}
    return dumps(doc)


def _locked(item: Installed) -> dict[str, Any]:
    dist = item.dist
    entry: dict[str, Any] = {"name": item.name, "version": item.version}
    direct = _direct_url(dist)
    if direct:
        url = clean_url(direct.get("url", ""))
        if "vcs_info" in direct:
            vcs = direct["vcs_info"]
            entry["vcs"] = {"type": vcs.get("vcs", "git"), "url": url,
                            "requested-revision": vcs.get("requested_revision"),
                            "commit-id": vcs.get("commit_id", "unknown")}
            return entry
        if "archive_info" in direct and direct["archive_info"].get("hashes"):
            entry["archive"] = {"url": url, "hashes": direct["archive_info"]["hashes"]}
            return entry
        if "dir_info" in direct:
            path = url.removeprefix("file://")
            entry["directory"] = {"path": path,
                                  "editable": bool(direct["dir_info"].get("editable"))}
            return entry
    return _from_index(item)


def _from_index(item: Installed) -> dict[str, Any]:
    """An index install: ``index`` and a hashed ``wheels`` entry when pip's local wheel
    folders hold the wheel; else ``{"unlocked": ...}`` naming what is known."""
    dist = item.dist
    wheel = dist.read_text("WHEEL") or ""
    tags = [ln[5:].strip() for ln in wheel.splitlines() if ln.startswith("Tag:")]
    filename = wheels.wheel_filename(item.name, item.version, tags)
    sources = wheels.pip_sources()
    found = wheels.find_wheel(filename, item.name, sources) if filename else None
    if found is not None:
        return {"name": item.name, "version": item.version, "index": found.index or sources.index,
                "wheels": [{"name": filename, "path": str(found.path), "size": found.size,
                            "hashes": {"sha256": found.sha256}}]}
    record = dist.read_text("RECORD") or ""
    installer = (dist.read_text("INSTALLER") or "").strip() or None
    return {"unlocked": {"name": item.name, "version": item.version, "index": sources.index,
                         "wheel": filename, "installer": installer, "wheel-tags": tags,
                         "record-sha256": hashlib.sha256(record.encode()).hexdigest(),
                         "reason": "no wheel file of that name in pip's local wheel folders"
                         if filename else "no wheel tags recorded (not installed from a wheel)"}}


def _direct_url(dist: metadata.Distribution) -> dict[str, Any] | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@lru_cache(maxsize=1)
def gpu() -> dict[str, Any] | None:
    """GPUs, driver and CUDA version when ``nvidia-smi`` answers; None otherwise."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return None
    query = "--query-gpu=name,driver_version,memory.total,uuid"
    try:
        rows = subprocess.run([smi, query, "--format=csv,noheader,nounits"],
                              capture_output=True, text=True, timeout=10, check=True).stdout
        banner = subprocess.run([smi], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    devices = []
    for line in rows.strip().splitlines():
        name, driver, memory, uuid = (part.strip() for part in line.split(",")[:4])
        devices.append({"name": name, "driver": driver, "memory_mib": int(float(memory)),
                        "uuid": uuid})
    cuda = None
    marker = "CUDA Version:"
    if marker in banner:
        cuda = banner.split(marker, 1)[1].split()[0]
    torch = sys.modules.get("torch")  # never imported here: only reported when already loaded
    return {
        "count": len(devices),
        "driver": devices[0]["driver"] if devices else None,
        "cuda": cuda,
        "torch_cuda": getattr(getattr(torch, "version", None), "cuda", None),
        "devices": devices,
    }


def tool_version() -> str:
    return __version__
