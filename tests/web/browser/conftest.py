"""Headless Chromium (Debian's ``chromium``) driven by Playwright, against ``ui`` serving a
real repository built in the test.

Where Chromium or Playwright is missing the browser tests skip and say why, unless
``CONTEXTA_GIT_REQUIRE_BROWSER=1`` (CI sets it in .ci/run): then they fail. Every page a
test opens records its console errors and every request it makes, and each test checks
that there were no errors and no request to anything but the server under test.
Screenshots go to ``test-artifacts/browser/`` (or ``$CONTEXTA_GIT_ARTIFACTS``); with
``CONTEXTA_GIT_UPDATE_DOCS=1`` the README's screenshots are refreshed from them."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from contexta_git.web.ui import UiServer, ui
from tests.conftest import git
from tests.web.sample import build

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("CONTEXTA_GIT_ARTIFACTS") or ROOT / "test-artifacts") / "browser"
DOCS = ROOT / "docs"


def chromium_path() -> str | None:
    return os.environ.get("CONTEXTA_GIT_CHROMIUM") or shutil.which("chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("CONTEXTA_GIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (CONTEXTA_GIT_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium (apt-get install chromium)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@dataclass
class Tab:
    """A page of the browser that remembers what went wrong and where it went."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, url: str) -> Any:
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        return response

    def drawn(self) -> list[int]:
        """The series of each chart, once the chart script has drawn it."""
        self.page.wait_for_function(
            "Array.from(document.querySelectorAll('figure.cg-chart'))"
            ".every(f => f.dataset.drawn === 'true')")
        return [int(n) for n in self.page.eval_on_selector_all(
            "figure.cg-chart", "fs => fs.map(f => f.dataset.series)")]

    def shot(self, name: str, docs: str | None = None, full: bool = True) -> Path:
        """A screenshot in the artifacts folder (the whole page, or the window when not
        ``full``); copied to docs/``docs`` when CONTEXTA_GIT_UPDATE_DOCS=1."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=full)
        if docs and os.environ.get("CONTEXTA_GIT_UPDATE_DOCS") == "1":
            DOCS.mkdir(exist_ok=True)
            shutil.copyfile(target, DOCS / docs)
        return target

    def check_clean(self, origin: str) -> None:
        assert self.errors == []
        strays = [url for url in self.requests if not url.startswith(origin)]
        assert strays == []


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found = Tab(page)
    page.on("console", lambda m: found.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.errors.append(str(e)))
    page.on("request", lambda r: found.requests.append(r.url))
    yield found
    context.close()


@pytest.fixture
def sample(repo: Path) -> Path:
    build(repo)
    git(repo, "add", "quality.toml")
    git(repo, "commit", "-q", "-m", "policy")
    return repo


@pytest.fixture
def served(sample: Path) -> Iterator[UiServer]:
    server = ui(sample, port=0, log=lambda line: None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
