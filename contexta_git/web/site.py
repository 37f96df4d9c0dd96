"""The web view's pages by address, the same for the server (ui.py) and the static site
(export.py): every link between pages is relative, so both read alike.

Addresses, for the repository's own branch at the root and for a remote's copy under
``remote/<remote>/``::

    index.html                  the run table (``?filter=&sort=&columns=&page=`` when served)
    runs/<project>/<name>.html  one run
    compare.html?run=P.N&run=…  runs side by side
    assets/<path>               the stylesheets and scripts shipped in the package

Anything else, a run that is not there or a malformed name is NotFound (404)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from contexta_git.errors import ContextaError
from contexta_git.store.runs import Runs
from contexta_git.web import sources
from contexta_git.web.sources import NotFound, Source

#: what pages may load, sent as a header by the server and written as a meta tag in an
#: exported page: nothing from any other host, no inline script or style
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'")
HEADER_CSP = CSP + "; frame-ancestors 'none'"  # not allowed in a meta tag

_RUN = re.compile(r"runs/([^/]+)/([^/]+)\.html")
_PAGE = re.compile(r"index-([0-9]+)\.html")
_REMOTE = re.compile(r"remote/([^/]+)/(.*)")
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".png": "image/png", ".svg": "image/svg+xml"}
Query = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Settings:
    """What the ``ui`` command was started with."""

    policy: str | None = None  # the default policy for the gate, a path inside the repository
    static: bool = False  # pages for ``--export``: no forms that need a server


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    content_type: str = _TYPES[".html"]


@dataclass(frozen=True)
class Where:
    """A page's place in the site: the relative paths to the root and to its source's root."""

    address: str
    source: Source
    all_sources: list[Source] = field(default_factory=list)

    @property
    def root(self) -> str:
        return "../" * self.address.count("/")

    @property
    def base(self) -> str:
        return self.root + self.source.prefix


@cache
def assets() -> dict[str, bytes]:
    """The files shipped in ``contexta_git/web/assets`` (the chart library with its licence
    and version, our scripts and stylesheets), by their path in that folder: the only
    files the view serves, so no address can reach any other."""
    found: dict[str, bytes] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for item in folder.iterdir():
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.is_file():
                found[prefix + item.name] = item.read_bytes()

    walk(resources.files("contexta_git.web") / "assets", "")
    return found


def page(runs: Runs, address: str, query: Query, settings: Settings) -> Page:
    """The page at ``address`` (no leading slash); an error page with a status for a wrong
    address (404) or input the user can fix (400), never a stack trace."""
    from contexta_git.web.render import render

    try:
        return _page(runs, address, query, settings)
    except NotFound as exc:
        return Page(404, render("ui_error.html.j2", _error_context(runs, address, exc, settings)))
    except ContextaError as exc:
        return Page(400, render("ui_error.html.j2", _error_context(runs, address, exc, settings)))


def _page(runs: Runs, address: str, query: Query, settings: Settings) -> Page:
    from contexta_git.web.render import render

    if address.startswith("assets/"):
        name = address.removeprefix("assets/")
        found = assets().get(name)
        if found is None:
            raise NotFound(f"no file {address}")
        return Page(200, found, _TYPES.get(name[name.rfind("."):], "application/octet-stream"))
    remote, inner = None, address
    if match := _REMOTE.fullmatch(address):
        remote, inner = match.group(1), match.group(2)
    source = sources.find(runs, remote)
    if source is None:
        raise NotFound(f"no branch refs/remotes/{remote}/contexta/runs")
    where = Where(address, source, sources.sources(runs))
    template, context = _build(runs, where, inner, query, settings)
    status = 400 if context.get("error") else 200  # a filter the user can fix, on the page
    return Page(status, render(template, {**context, **_common(where, settings)}))


def _build(runs: Runs, where: Where, inner: str, query: Query,
           settings: Settings) -> tuple[str, dict[str, Any]]:
    from contexta_git.web import compare_page, run_page, runs_page

    if inner in ("", "index.html"):
        return "ui_runs.html.j2", runs_page.context(runs, where.source, query, settings)
    if match := _PAGE.fullmatch(inner):  # a static site's later pages of the run table
        return "ui_runs.html.j2", runs_page.context(runs, where.source,
                                                    {**query, "page": [match.group(1)]}, settings)
    if inner == "compare.html":
        return "ui_compare.html.j2", compare_page.context(runs, where.source, query)
    if match := _RUN.fullmatch(inner):
        return "ui_run.html.j2", run_page.context(runs, where.source, match.group(1), match.group(2),
                                            query, settings)
    raise NotFound(f"no page {where.address}")


def _common(where: Where, settings: Settings) -> dict[str, Any]:
    return {"root": where.root, "base": where.base, "source": where.source,
            "sources": where.all_sources, "static_site": settings.static, "csp": CSP}


def _error_context(runs: Runs, address: str, exc: ContextaError,
                   settings: Settings) -> dict[str, Any]:
    where = Where(address, Source(None))
    return {**_common(where, settings), "message": str(exc),
            "title": "Not found" if isinstance(exc, NotFound) else "Cannot show this page"}
