"""``contexta-git ui`` over plain HTTP (no browser): read-only, GET and HEAD only, a
Content-Security-Policy on every answer, 404 without a trace for anything that is not a
page, policies only from inside the repository, nothing ever written."""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.web.export import export
from contexta_git.web.site import HEADER_CSP
from contexta_git.web.ui import UiServer, ui
from tests.conftest import git
from tests.web.sample import QUARANTINED, build, record


@pytest.fixture
def sample(repo: Path) -> Path:
    build(repo, certificate=False)
    return repo


@pytest.fixture
def served(sample: Path) -> Iterator[UiServer]:
    server = ui(sample, port=0, log=lambda line: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def ask(server: UiServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=30)
    conn.request(method, path)
    answer = conn.getresponse()
    body = answer.read().decode("utf-8")
    conn.close()
    return answer.status, dict(answer.getheaders()), body


def raw(server: UiServer, request: bytes) -> bytes:
    """A request sent as written (http.client would normalise the path)."""
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def repository_state(repo: Path) -> tuple[str, str, str]:
    """Every ref, every object and the HEAD file: what browsing must never change."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)").stdout
    objects = git(repo, "cat-file", "--batch-all-objects", "--batch-check").stdout
    return refs, objects, (repo / ".git" / "HEAD").read_text()


PAGES = ["/", "/index.html?quarantined=include&sort=-params.lr&columns=params.*",
         "/runs/vision/tuned.html", "/runs/vision/tuned.html?policy=quality.toml",
         f"/runs/vision/{QUARANTINED}.html",
         "/compare.html?run=vision.tuned&run=vision.baseline&metric=evaluate.f1",
         "/assets/charts.js", "/assets/uplot/uPlot.iife.min.js", "/assets/uplot/LICENSE"]


def test_every_page_answers_with_the_policy_and_nothing_is_written(served: UiServer,
                                                                    sample: Path) -> None:
    before = repository_state(sample)
    for path in PAGES:
        status, headers, _body = ask(served, path)
        assert status == 200, path
        assert headers["Content-Security-Policy"] == HEADER_CSP
        assert "default-src 'none'" in HEADER_CSP and "http" not in HEADER_CSP
        assert headers["Cache-Control"] == "no-store"
        for method in ("POST", "PUT", "DELETE", "PATCH", "PROPFIND"):
            assert ask(served, path, method)[0] == 405
    assert repository_state(sample) == before


def test_head_answers_the_headers_alone(served: UiServer) -> None:
    status, headers, body = ask(served, "/", "HEAD")
    assert status == 200 and body == "" and int(headers["Content-Length"]) > 1000


def test_other_methods_are_refused_with_allow(served: UiServer) -> None:
    status, headers, body = ask(served, "/", "POST")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert "read-only" in body


@pytest.mark.parametrize("path", [
    b"/../../../../etc/passwd", b"/assets/../../../etc/passwd", b"/assets/..%2f..%2fsite.py",
    b"/runs/vision/..%2f..%2f..%2fHEAD.html", b"/runs/vision/../tuned.html", b"/site.py",
    b"/assets/", b"/runs/vision/nope.html", b"/runs/no%20such/run.html", b"/remote/nope/index.html",
    b"/runs/vision/tuned.html/", b"//etc/passwd", b"/assets/%00",
])
def test_no_address_leads_outside_the_pages(served: UiServer, path: bytes) -> None:
    host = f"127.0.0.1:{served.server_address[1]}".encode()
    answer = raw(served, b"GET " + path + b" HTTP/1.0\r\nHost: " + host + b"\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 404"), head
    assert b"Traceback" not in body and b"root:" not in body and b"import" not in body


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1.evil.example:{port}",
                                  "localhost:1", "", None])
def test_only_a_loopback_host_is_answered(served: UiServer, host: str | None) -> None:
    port = served.server_address[1]
    header = b"" if host is None else b"Host: " + host.format(port=port).encode() + b"\r\n"
    answer = raw(served, b"GET / HTTP/1.0\r\n" + header + b"\r\n")
    assert answer.startswith(b"HTTP/1.0 403"), answer[:100]
    assert b"<table" not in answer
    for good in (f"localhost:{port}", f"127.0.0.1:{port}"):
        answer = raw(served, b"GET / HTTP/1.0\r\nHost: " + good.encode() + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.0 200")


def test_an_unknown_run_is_a_404_page_naming_it(served: UiServer) -> None:
    status, _headers, body = ask(served, "/runs/vision/missing.html")
    assert status == 404
    assert "no run run:vision.missing" in body


@pytest.mark.parametrize("policy", ["../outside.toml", "/etc/passwd", ".git/config",
                                    "link.toml", "nope.toml"])
def test_a_policy_outside_the_repository_is_refused(served: UiServer, sample: Path,
                                                    policy: str) -> None:
    (sample.parent / "outside.toml").write_text("[metrics.accuracy]\nmin = 0.1\n")
    (sample / "link.toml").symlink_to(sample.parent / "outside.toml")
    status, _headers, body = ask(served, f"/runs/vision/tuned.html?policy={policy}")
    assert status == 200
    assert re.search(r'class="ui-error"[^>]*>policy .*(not a file inside the repository|'
                     r'no such file)', body), body[-2000:]
    assert 'id="decision"' not in body


def test_user_text_is_escaped(sample: Path, served: UiServer) -> None:
    with __import__("contexta_git.record.run", fromlist=["start_run"]).start_run(
            "hostile", project="vision", repo=sample, capture_environment=False,
            params={"note": "<script>alert(1)</script>"}) as run:
        run.event("x", "</td><img src=x onerror=alert(2)>")
    body = ask(served, "/runs/vision/hostile.html")[2]
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_new_runs_appear_without_restarting(served: UiServer, sample: Path) -> None:
    assert ask(served, "/")[2].count('<tr class="ui-run') == 2
    record(sample, "later", 0.2, 16, 0.01)
    assert ask(served, "/")[2].count('<tr class="ui-run') == 3


def test_pages_of_the_run_table(served: UiServer, sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contexta_git.web import runs_page

    monkeypatch.setattr(runs_page, "PAGE", 1)
    first = ask(served, "/")[2]
    assert first.count('<tr class="ui-run') == 1 and "page 1 of 2" in first
    assert ask(served, "/index.html?page=2")[2].count('<tr class="ui-run') == 1
    status, _headers, body = ask(served, "/index.html?page=3")
    assert status == 400 and "expected a number from 1 to 2" in body


def test_compare_needs_two_runs(served: UiServer) -> None:
    status, _headers, body = ask(served, "/compare.html?run=vision.tuned")
    assert status == 400 and "choose at least two runs" in body


def test_the_cli_refuses_a_busy_port_and_a_full_export_folder(sample: Path, tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = CliRunner().invoke(cli, ["--repo", str(sample), "ui", "--port", str(port)])
    finally:
        busy.close()
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot listen on 127.0.0.1:{port}: the port is in use\n"
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["--repo", str(sample), "ui", "--export", str(full)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: --export {full}: exists and is not an empty folder\n"
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]


def test_export_writes_the_same_pages_with_relative_links(sample: Path, tmp_path: Path) -> None:
    before = repository_state(sample)
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["--repo", str(sample), "ui", "--export", str(site)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Wrote 5 pages (3 runs) to ")
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert pages == ["compare.html", "index.html", "runs/vision/baseline.html",
                     "runs/vision/tuned.html", "runs/vision/wide.html"]
    assert (site / "assets" / "uplot" / "LICENSE").is_file()
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert '<meta http-equiv="Content-Security-Policy"' in text
        links = re.findall(r'(?:href|src)="([^"]*)"', text)
        assert links and all(not re.match(r"[a-z]+:|/", link) or link == "data:," for link in links)
        for link in links:
            if link != "data:,":
                assert (page.parent / link.partition("?")[0]).exists(), (page, link)
    assert repository_state(sample) == before


def test_a_remote_copy_is_served_and_exported_under_its_name(sample: Path, served: UiServer,
                                                            tmp_path: Path) -> None:
    git(sample, "update-ref", "refs/remotes/team/contexta/runs", "refs/heads/contexta/runs")
    git(sample, "update-ref", "refs/remotes/a/b/contexta/runs", "refs/heads/contexta/runs")
    status, _headers, body = ask(served, "/remote/team/index.html")
    assert status == 200 and body.count('<tr class="ui-run') == 2
    assert 'href="../../remote/team/index.html"' in body and 'href="../../index.html"' in body
    assert "a/b/contexta/runs" not in body  # a remote named with a slash has no address
    assert ask(served, "/remote/team/runs/vision/tuned.html")[0] == 200
    site = tmp_path / "site"
    export(sample, site)
    assert (site / "remote" / "team" / "runs" / "vision" / "tuned.html").is_file()
    assert (site / "remote" / "team" / "compare.html").is_file()
