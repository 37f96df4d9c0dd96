"""Environment capture: variables, GPUs and the lockfile."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from contexta_git.record import capture

# What nvidia-smi prints on a one-GPU H100 machine, for the query and for the banner.
SMI = r"""#!/bin/sh
case "$1" in
  --query-gpu=*) echo "NVIDIA H100 80GB HBM3, 550.54.15, 81559, GPU-5f1a2b3c-0000-1111-2222-333344445555" ;;
  *) cat <<'BANNER'
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |
+-----------------------------------------------------------------------------------------+
BANNER
  ;;
esac
"""


@pytest.fixture
def fake_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(SMI)
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{smi.parent}{os.pathsep}{os.environ['PATH']}")
    capture.gpu.cache_clear()
    yield
    capture.gpu.cache_clear()


def test_gpu_driver_and_cuda_are_recorded(fake_gpu: None) -> None:
    gpu = capture.environment()["gpu"]
    assert gpu["count"] == 1 and gpu["driver"] == "550.54.15" and gpu["cuda"] == "12.4"
    assert gpu["devices"][0] == {"name": "NVIDIA H100 80GB HBM3", "driver": "550.54.15",
                                 "memory_mib": 81559,
                                 "uuid": "GPU-5f1a2b3c-0000-1111-2222-333344445555"}


def test_no_gpu_means_no_gpu_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi anywhere
    capture.gpu.cache_clear()
    try:
        assert capture.environment()["gpu"] is None
    finally:
        capture.gpu.cache_clear()


def test_only_allow_listed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nope")
    monkeypatch.setenv("HOME_GROWN_SETTING", "nope")
    env = capture.environment()
    assert env["variables"]["PYTHONHASHSEED"] == "0"
    assert "AWS_SECRET_ACCESS_KEY" not in env["variables"]
    assert "HOME_GROWN_SETTING" not in env["variables"]
    assert env["python"]["version"] == ".".join(map(str, sys.version_info[:3]))


def test_lockfile_is_valid_complete_and_cached(tmp_path: Path) -> None:
    data = capture.lockfile(tmp_path)
    doc = tomllib.loads(data.decode())
    lock = Pylock.from_dict(doc)
    unlocked = doc.get("tool", {}).get("contexta-git", {}).get("unlocked", [])
    # every installed package is either locked (installable) or named as unlocked
    assert {p.name for p in lock.packages} | {u["name"] for u in unlocked} == set(
        capture.installed_versions())
    assert not {p.name for p in lock.packages} & {u["name"] for u in unlocked}
    assert all(str(p.version) == capture.installed_versions()[p.name] for p in lock.packages)
    assert not any(p.directory and "site-packages" in p.directory.path for p in lock.packages)
    cached = list(tmp_path.glob("pylock-*.toml"))
    assert len(cached) == 1 and cached[0].read_bytes() == data
    assert capture.lockfile(tmp_path) == data


def test_a_package_installed_mid_process_is_seen(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert "fresh-pkg" not in capture.installed_versions()
    before = capture.environment_record()
    info = site / "fresh_pkg-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fresh-pkg\nVersion: 1.2.3\n")
    os.utime(site, ns=(site.stat().st_atime_ns, site.stat().st_mtime_ns + 10**9))
    assert capture.installed_versions()["fresh-pkg"] == "1.2.3"
    assert capture.environment_record() != before
    assert b'fresh-pkg = "1.2.3"' in capture.environment_record()
