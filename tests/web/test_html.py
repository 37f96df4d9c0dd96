from __future__ import annotations

import importlib.util
import json
from html.parser import HTMLParser
from pathlib import Path

from contexta_git.web import html
from contexta_git.web.charts import Chart, Line

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def parsed(page: str) -> Elements:
    found = Elements()
    found.feed(page)
    return found


def a_chart(title: str = "loss", name: str = "a / loss") -> Chart:
    return Chart(title, "step", (Line(name, "run:p.a", "loss", None, [0, 1, 2], [3.0, 2.0, 1.0], 3),))


def test_a_chart_page_is_one_file_that_requests_nothing() -> None:
    page = html.chart_page([a_chart()], "loss")
    found = parsed(page)
    assert not [(t, a) for t, a in found.tags if {"src", "href"} & set(a)]
    policy = next(a["content"] for t, a in found.tags if a.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None and policy.startswith("default-src 'none'; script-src 'sha256-")
    code = [text for attrs, text in found.scripts if "type" not in attrs]
    assert len(code) == 1 and "uPlot" in code[0] and html._digest(code[0]) in policy
    assert html._digest(html.style()) in policy


def test_chart_data_is_strict_json_inside_the_page() -> None:
    chart = a_chart()
    data = [text for attrs, text in parsed(html.chart_page([chart], "t")).scripts
            if attrs.get("type") == "application/json"]
    assert [json.loads(text) for text in data] == [chart.spec()]


def test_user_text_cannot_end_the_data_script_or_inject_markup() -> None:
    page = html.chart_page([a_chart(title=HOSTILE, name=HOSTILE)], HOSTILE, subtitle=HOSTILE)
    assert HOSTILE not in page and "<img" not in page
    found = parsed(page)
    assert [t for t, _a in found.tags].count("script") == 2  # the library and the data, no more
    spec = json.loads(next(text for attrs, text in found.scripts if attrs.get("type")))
    assert spec["title"] == HOSTILE and spec["lines"][0]["name"] == HOSTILE


def test_the_vendored_library_matches_its_pin() -> None:
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
    assert spec is not None and spec.loader is not None
    pin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pin)
    assert html.library_version() == f"uplot {pin.VERSION}"
    assets = ROOT / "contexta_git" / "web" / "assets" / "uplot"
    assert (assets / "VERSION").read_text().splitlines()[1] == pin.INTEGRITY
    assert pin.integrity(b"") == ("sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXy"
                                  "sP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==")
    assert "MIT License" in (assets / "LICENSE").read_text()
    assert "uPlot" in html.script()
