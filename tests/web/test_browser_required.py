"""Without Chromium the browser tests skip and say why, except where CI requires them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_browser_test(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git") or "/usr/bin/git")  # git, but no chromium
    env = {k: v for k, v in os.environ.items()
           if k not in ("CONTEXTA_GIT_CHROMIUM", "CONTEXTA_GIT_REQUIRE_BROWSER")}
    env.update(PATH=str(tools), **extra)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/web/browser/test_ui_browser.py::test_the_quarantined_run_page_says_why"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_without_chromium_the_browser_tests_skip_with_the_reason(tmp_path: Path) -> None:
    done = run_browser_test(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "SKIPPED" in done.stdout and "no Chromium (apt-get install chromium)" in done.stdout


def test_where_the_browser_is_required_its_absence_fails(tmp_path: Path) -> None:
    done = run_browser_test(tmp_path, CONTEXTA_GIT_REQUIRE_BROWSER="1")
    assert done.returncode == 1, done.stdout
    assert "browser tests are required here (CONTEXTA_GIT_REQUIRE_BROWSER=1): no Chromium" \
        in done.stdout
