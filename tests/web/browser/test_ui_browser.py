"""``contexta-git ui`` in a real browser: every page loads, draws what it should, logs no
error and asks nothing of any host but the server."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from contexta_git.web.export import export
from contexta_git.web.ui import UiServer
from tests.conftest import git
from tests.web.browser.conftest import Tab
from tests.web.sample import QUARANTINED, record


def rows(tab: Tab) -> list[str]:
    return tab.page.eval_on_selector_all("tr.ui-run", "rs => rs.map(r => r.dataset.run)")


def test_runs_page_lists_filters_sorts_and_marks_quarantined_runs(served: UiServer,
                                                                  tab: Tab) -> None:
    tab.open(served.url)
    assert sorted(rows(tab)) == ["run:vision.baseline", "run:vision.tuned"]
    assert tab.page.locator(".badge.quarantine").count() == 0
    tab.page.select_option("select[name=quarantined]", "include")
    tab.page.fill("input[name=sort]", "-params.lr")
    tab.page.click("form.ui-query button")
    tab.page.wait_for_load_state("load")
    assert rows(tab) == ["run:vision.baseline", "run:vision.tuned", f"run:vision.{QUARANTINED}"]
    marked = tab.page.locator("tr.quarantine .badge.quarantine")
    assert marked.count() == 1
    assert tab.page.locator("tr.quarantine").get_attribute("data-run") == f"run:vision.{QUARANTINED}"
    tab.page.fill("input[name=filter]", "params.lr < 0.05 and evaluate.accuracy > 0.945")
    tab.page.click("form.ui-query button")
    tab.page.wait_for_load_state("load")
    assert rows(tab) == ["run:vision.tuned"]
    tab.shot("runs-filtered")
    tab.check_clean(served.url)


def test_a_wrong_filter_is_said_on_the_page_with_the_form_kept(served: UiServer, tab: Tab) -> None:
    response = tab.open(served.url + "index.html?filter=acuracy%20%3E%200.9")
    assert response.status == 400
    assert "no column 'acuracy'" in tab.page.inner_text(".ui-error")
    assert tab.page.input_value("input[name=filter]") == "acuracy > 0.9"
    tab.errors = [e for e in tab.errors if "400" not in e]  # the status itself is logged
    tab.check_clean(served.url)


def test_run_page_draws_curves_gates_and_verifies_the_certificate(served: UiServer,
                                                                 tab: Tab) -> None:
    tab.open(served.url)
    tab.page.click("a:text('run:vision.tuned')")
    tab.page.wait_for_load_state("load")
    assert tab.page.inner_text("h1") == "run:vision.tuned"
    assert tab.drawn() == [1, 1]  # loss and lr_now, one line each
    assert tab.page.locator("figure.cg-chart .u-legend .u-series").count() == 4  # x + 1, twice
    certificate = tab.page.locator("tr.ui-cert")
    assert certificate.count() == 1
    assert "valid" in certificate.inner_text() and "INVALID" not in certificate.inner_text()
    tab.page.select_option("select[name=policy]", "quality.toml")
    tab.page.click("#gate button")
    tab.page.wait_for_load_state("load")
    assert tab.page.inner_text("#decision") == "PASS"
    tab.drawn()
    tab.shot("run", docs="ui-run.png")
    tab.check_clean(served.url)


def test_the_quarantined_run_page_says_why(served: UiServer, tab: Tab) -> None:
    tab.open(served.url + f"runs/vision/{QUARANTINED}.html")
    assert tab.page.locator("#quarantined").count() == 1
    assert "vendor feed corrupted in May" in tab.page.inner_text(".ui-status")
    assert tab.page.locator("#events tr.quarantine").count() >= 1
    tab.check_clean(served.url)


def test_compare_selected_runs_overlays_curves_and_draws_parallel_coordinates(
        served: UiServer, tab: Tab) -> None:
    tab.open(served.url + "index.html?quarantined=include")
    for box in tab.page.locator("input[name=run]").all():
        box.check()
    tab.page.click("#compare button")
    tab.page.wait_for_load_state("load")
    assert tab.page.inner_text("h1") == "3 runs compared"
    assert tab.drawn() == [3, 3]
    assert tab.page.locator("svg.ui-parallel g.ui-line").count() == 3
    axes = tab.page.eval_on_selector_all("svg.ui-parallel g.ui-axis > text:first-of-type",
                                         "ts => ts.map(t => t.textContent)")
    assert axes == ["batch", "lr", "optimizer", "evaluate.accuracy"]
    tab.page.select_option("select[name=metric]", "evaluate.f1")
    tab.page.click("#parallel button")
    tab.page.wait_for_load_state("load")
    assert tab.page.eval_on_selector("svg.ui-parallel g.ui-metric text", "t => t.textContent") \
        == "evaluate.f1"
    changed = tab.page.locator("#differences table.ui-diff").first.inner_text()
    assert "lr" in changed and "0.03" in changed
    tab.drawn()
    tab.shot("compare", docs="ui-compare.png")
    tab.check_clean(served.url)


def test_a_run_recorded_while_the_page_is_open_appears_on_reload(served: UiServer, sample: Path,
                                                                tab: Tab) -> None:
    tab.open(served.url)
    assert len(rows(tab)) == 2
    record(sample, "late", 0.2, 16, 0.01)
    tab.page.reload()
    assert rows(tab)[0] == "run:vision.late"
    assert len(rows(tab)) == 3
    tab.check_clean(served.url)


def test_a_remote_copy_of_the_branch_is_browsable(served: UiServer, sample: Path, tmp_path: Path,
                                                 tab: Tab) -> None:
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    git(other, "commit", "-q", "--allow-empty", "-m", "init")
    record(other, "elsewhere", 0.5, 8, 0.03, project="audio")
    git(sample, "fetch", "-q", str(other), "refs/heads/contexta/runs:refs/remotes/team/contexta/runs")
    tab.open(served.url)
    tab.page.click("nav a:text('team/contexta/runs')")
    tab.page.wait_for_load_state("load")
    assert tab.page.url == served.url + "remote/team/index.html"
    assert rows(tab) == ["run:audio.elsewhere"]
    tab.page.click("a:text('run:audio.elsewhere')")
    tab.page.wait_for_load_state("load")
    assert tab.drawn() == [1, 1]
    tab.check_clean(served.url)


def test_the_exported_site_works_from_files_and_over_http(sample: Path, tmp_path: Path,
                                                         tab: Tab) -> None:
    site = tmp_path / "site"
    export(sample, site, policy="quality.toml")
    tab.open((site / "runs" / "vision" / "tuned.html").as_uri())
    assert tab.drawn() == [1, 1]
    assert tab.page.inner_text("#decision") == "PASS"
    assert tab.page.locator("form").count() == 0
    tab.check_clean(site.as_uri())
    tab.requests.clear()
    handler = partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    static = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{static.server_address[1]}/"
        tab.open(origin)
        assert len(rows(tab)) == 3  # quarantined runs are listed, marked
        assert tab.page.locator("tr.quarantine .badge.quarantine").count() == 1
        tab.page.click("a:text('Compare the newest runs')")
        tab.page.wait_for_load_state("load")
        assert tab.drawn() == [2, 2]  # the newest runs that are not quarantined
        tab.check_clean(origin)
    finally:
        static.shutdown()
        static.server_close()
