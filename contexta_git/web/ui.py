"""``contexta-git ui``: the runs, read-only, in a browser.

The stdlib's ``ThreadingHTTPServer`` is enough: a handful of pages, one user, bound to
127.0.0.1 unless asked otherwise. Each request opens the repository afresh and reads the
branch at its tip (the SQLite index makes that cheap), so new runs appear on reload and
no pygit2 object is shared between threads. Only GET and HEAD are answered (any other
method: 405), and on a loopback address only to a loopback Host (no DNS rebinding); every
page says, in a Content-Security-Policy header, that nothing may be
loaded from any other host; nothing is ever written to the repository."""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs
from contexta_git.web.site import HEADER_CSP, Page, Settings, page

DEFAULT_PORT = 8765
_ALLOWED = "GET, HEAD"


class UiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], repo: str, settings: Settings,
                 log: Callable[[str], None] | None) -> None:
        self.repo, self.settings, self.log = repo, settings, log
        super().__init__(address, Handler)

    def expected_host(self, header: str | None) -> bool:
        """Bound to a loopback address, only a Host header naming this machine by a
        loopback name is answered: a page elsewhere whose domain was made to resolve to
        127.0.0.1 (DNS rebinding) reads nothing. Bound elsewhere, any Host is answered."""
        import ipaddress

        host = str(self.server_address[0])
        if not ipaddress.ip_address(host).is_loopback:
            return True
        port = self.server_address[1]
        return header in {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]", host)}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}/"


def ui(repo: str | Path | None = None, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
       policy: str | None = None, log: Callable[[str], None] | None = None) -> UiServer:
    """A server for the runs of ``repo`` bound to ``host``:``port`` (0: any free port), not
    yet serving: call ``serve_forever`` (and ``server_close`` after). InvalidValue when the
    address cannot be listened on."""
    path = str(Path(repo or ".").resolve())
    Runs.open(path)  # not a repository: the error now, not on the first page
    UiServer.address_family = _family(host)
    try:
        return UiServer((host, port), path, Settings(policy=policy), log)
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
        raise InvalidValue(f"cannot listen on {host}:{port}: {reason}") from exc


def _family(host: str) -> Any:
    import socket

    return socket.AF_INET6 if ":" in host else socket.AF_INET


class Handler(BaseHTTPRequestHandler):
    server: UiServer
    server_version = "contexta-git"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # POST, PUT, DELETE, any other method
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._send(Page(405, b"405 method not allowed: this view is read-only\n",
                        "text/plain; charset=utf-8"), body=True, extra={"Allow": _ALLOWED})

    def _answer(self, body: bool) -> None:
        parts = urlsplit(self.path)
        address = unquote(parts.path).lstrip("/")
        try:
            if not self.server.expected_host(self.headers.get("Host")):
                answer = Page(403, b"403 forbidden: this view answers only to its own address\n",
                              "text/plain; charset=utf-8")
            elif not _plain(address):
                answer = Page(404, b"404 not found\n", "text/plain; charset=utf-8")
            else:
                runs = Runs.open(self.server.repo)
                answer = page(runs, address, parse_qs(parts.query), self.server.settings)
        except Exception:  # our own bug: a line in the log, never a trace in the page
            self._log("internal error on " + self.path + ": "
                      + traceback.format_exc().strip().splitlines()[-1])
            answer = Page(500, b"500 internal error (see the ui command's output)\n",
                          "text/plain; charset=utf-8")
        self._send(answer, body=body)

    def _send(self, answer: Page, body: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(answer.status)
        headers = {"Content-Type": answer.content_type, "Content-Length": str(len(answer.body)),
                   "Content-Security-Policy": HEADER_CSP, "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                   **(extra or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        self._log(format % args)

    def _log(self, line: str) -> None:
        if self.server.log is not None:
            self.server.log(line)
        else:
            sys.stderr.write(line + "\n")


def _plain(address: str) -> bool:
    """No ``..``, ``.``, empty segment, backslash or control character: such an address
    names no page (the routes match exact shapes; this only makes it plain)."""
    segments = address.split("/") if address else []
    return not any(s in ("", ".", "..") for s in segments) and not any(
        ch == "\\" or ord(ch) < 32 for ch in address)
