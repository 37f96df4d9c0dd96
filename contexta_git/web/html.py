"""Self-contained HTML pages: Jinja2 templates with autoescaping, the chart library inlined.

Every page is one file that opens offline: the vendored uPlot (assets/uplot, see
scripts/vendor_assets.py), our drawing script and stylesheet are inlined, and a
Content-Security-Policy in the page lets it run only those exact inline scripts and
styles (by hash) and load nothing from anywhere. User text (run names, params, event
messages) reaches the page only through autoescaped template variables; chart data sits
in ``<script type="application/json">`` written by Jinja's ``tojson``, which escapes
``<``, ``>``, ``&`` and ``'`` so ``</script>`` in a run name cannot end the element.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from contexta_git.web.charts import Chart

LIBRARY = "uplot"


@cache
def environment() -> jinja2.Environment:
    """The templates of web/templates, autoescaped (``.j2`` files are HTML)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("contexta_git.web", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "allow_nan": False,
                                         "separators": (",", ":")}
    return env


def asset(*parts: str) -> str:
    """A file of web/assets as text; ValueError when it could end its inline element."""
    text = resources.files("contexta_git.web").joinpath("assets", *parts).read_text("utf-8")
    lowered = text.lower()
    if "</script" in lowered or "</style" in lowered or "<!--" in lowered:
        raise ValueError(f"assets/{'/'.join(parts)} cannot be inlined: it closes its element")
    return text


def library_version() -> str:
    """The vendored chart library and its version, e.g. ``uplot 1.6.32``."""
    return asset(LIBRARY, "VERSION").splitlines()[0]


@cache
def script() -> str:
    """The one inline script of a page with charts: uPlot, then the drawing script."""
    return asset(LIBRARY, "uPlot.iife.min.js") + "\n" + asset("charts.js")


@cache
def style() -> str:
    """The one inline stylesheet: uPlot's, then the page's."""
    return asset(LIBRARY, "uPlot.min.css") + "\n" + asset("page.css")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp(scripts: Sequence[str] = (), styles: Sequence[str] = ()) -> str:
    """A policy that allows only these inline scripts and styles, and no request at all
    (``default-src 'none'``): nothing from another host, nothing from this one either."""
    allowed_scripts = " ".join(map(_digest, scripts)) or "'none'"
    allowed_styles = " ".join(map(_digest, styles)) or "'none'"
    return (f"default-src 'none'; script-src {allowed_scripts}; style-src {allowed_styles}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def fragment(charts: Sequence[Chart], prefix: str = "chart") -> Markup:
    """The HTML of ``charts``: a figure each, its data inside, drawn by :func:`script`."""
    template = environment().get_template("chart.html.j2")
    return Markup("\n").join(Markup(template.render(chart=c, id=f"{prefix}-{i}"))
                             for i, c in enumerate(charts))


def page(title: str, body: Markup | str, *, subtitle: str = "", charts: bool = True) -> str:
    """A whole page: ``body`` (Markup is kept, a str is escaped) inside the page template,
    with the chart library and drawing script inlined when ``charts``."""
    code = script() if charts else ""
    values: dict[str, Any] = {
        "title": title, "subtitle": subtitle, "body": body, "style": Markup(style()),
        "script": Markup(code), "csp": csp([code] if code else [], [style()]),
    }
    return environment().get_template("page.html.j2").render(values)


def chart_page(charts: Sequence[Chart], title: str, subtitle: str = "") -> str:
    """A page of nothing but ``charts`` (``plot --html``)."""
    return page(title, fragment(charts), subtitle=subtitle)
