"""The HTML report (``report RUN... --format html``) opened from the file in Chromium:
every chart drawn with a line per run, quarantines marked, the certificate verified, no
console error (its inline script and style run only by their hashes) and no request but
the file itself."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from contexta_git.cli.main import cli
from tests.web.browser.conftest import Tab
from tests.web.sample import CERTIFIED, QUARANTINED, RUNS


def test_the_report_of_three_runs_draws_and_marks_everything(sample: Path, tmp_path: Path,
                                                            tab: Tab) -> None:
    page = tmp_path / "report.html"
    refs = [f"run:vision.{name}" for name in RUNS]
    result = CliRunner().invoke(cli, ["--repo", str(sample), "report", *refs, "--format", "html",
                                      "--policy", str(sample / "quality.toml"), "-o", str(page)])
    assert result.exit_code == 0, result.output
    tab.open(page.as_uri())
    assert tab.drawn() == [3, 3]  # loss and lr_now, a line per run
    assert tab.page.locator("#summary tr.run").count() == 3
    marked = tab.page.locator("#summary tr.quarantine")
    assert marked.count() == 1 and marked.get_attribute("data-run") == f"run:vision.{QUARANTINED}"
    assert tab.page.locator("#events tr.quarantine").count() >= 1
    certificate = tab.page.locator("#certificates tr.certificate")
    assert certificate.count() == 1
    assert f"run:vision.{CERTIFIED}" in certificate.inner_text()
    assert "valid" in certificate.inner_text() and "INVALID" not in certificate.inner_text()
    tab.shot("report")
    tab.check_clean(page.as_uri())
    assert tab.requests == [page.as_uri()]
