"""report --format html: one self-contained page about one or more runs, with charts."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.analysis.quarantine import quarantine
from contexta_git.cli.main import cli
from contexta_git.demo.cert import setup_signing
from contexta_git.record.run import start_run
from contexta_git.release.certify import certify
from contexta_git.release.policy import parse_policy
from contexta_git.store.runs import Runs
from contexta_git.web.report import html_report

from tests.web.test_html import HOSTILE, parsed

POLICY = """\
[metrics.auc]
min = 0.9
stage = "evaluate"

[metrics."loss.min"]
max = 0.01
stage = "train"
"""


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "report", *args])
    return result.exit_code, result.stdout, result.stderr


def record(repo: Path, name: str, auc: float, lr: float) -> None:
    with start_run(name, project="p", repo=repo, capture_environment=False,
                   params={"lr": lr, "note": HOSTILE, "seed": 1}) as run:
        run.dataset("train", version="v1", rows=100, source=HOSTILE)
        with run.stage("train"):
            for i in range(3000):
                run.log_metric("loss", 1 / (1 + i * lr), step=i)
        with run.stage("evaluate"):
            run.log_metric("auc", auc)
        run.event("data.note", message=HOSTILE, level="warning", attributes={"why": HOSTILE})


@pytest.fixture
def reported(repo: Path) -> Path:
    record(repo, "base", 0.95, 0.01)
    record(repo, "wide", 0.85, 0.1)
    quarantine(Runs.open(repo), ["wide"], f"feed corrupted {HOSTILE}")
    return repo


class Text(HTMLParser):
    """The visible text of each <section>, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self._at: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._at = dict(attrs).get("id")
            self.sections[self._at or ""] = ""

    def handle_data(self, data: str) -> None:
        if self._at is not None:
            self.sections[self._at] += " " + data


def sections(page: str) -> dict[str, str]:
    found = Text()
    found.feed(page)
    return {k: " ".join(v.split()) for k, v in found.sections.items()}


def test_a_page_about_two_runs_has_every_section_and_requests_nothing(reported: Path) -> None:
    page = html_report(Runs.open(reported), ["base", "wide"])
    elements = parsed(page)
    assert not [(t, a) for t, a in elements.tags if {"src", "href", "action"} & set(a)]
    figures = [a for t, a in elements.tags if t == "figure"]
    assert [f["data-lines"] for f in figures] == ["2"]  # loss, both runs overlaid
    spec = json.loads(next(text for a, text in elements.scripts if a.get("type")))
    assert [line["name"] for line in spec["lines"]] == ["base / loss", "wide / loss"]
    text = sections(page)
    assert list(text) == ["summary", "curves", "metrics", "params", "datasets", "environment",
                          "events", "audit", "certificates"]
    assert "run:p.wide quarantined feed corrupted" in text["summary"]
    assert "lr differs 0.01 0.1" in text["params"]
    assert "base train v1" in text["datasets"] and "wide train v1" in text["datasets"]
    assert "run:p.wide against run:p.base same Python, platform and packages" in text["environment"]
    assert "contexta.quarantine quarantine" in text["events"]
    assert "no certificate names these runs" in text["certificates"]
    rows = [a for t, a in elements.tags if t == "tr" and "quarantine" in (a.get("class") or "")]
    assert len(rows) == 2  # the run in the summary, its quarantine event


def test_user_text_is_shown_as_text_never_as_markup(reported: Path) -> None:
    page = html_report(Runs.open(reported), ["base", "wide"])
    assert HOSTILE not in page and "<img" not in page
    tags = [t for t, _a in parsed(page).tags]
    assert tags.count("script") == 2 and "img" not in tags
    text = sections(page)
    assert HOSTILE in text["events"] and HOSTILE in text["params"] and HOSTILE in text["datasets"]
    assert f"feed corrupted {HOSTILE}" in text["summary"]


def test_a_policy_adds_thresholds_results_and_decisions(reported: Path) -> None:
    page = html_report(Runs.open(reported), ["base", "wide"], policy=parse_policy(POLICY))
    text = sections(page)["metrics"]
    assert "auc evaluate min 0.9 fail 0.95 PASS 0.95 >= min 0.9 0.85 FAIL 0.85 < min 0.9" in text
    assert "loss.min train max 0.01 fail" in text
    assert re.search(r"decision FAIL FAIL$", text)  # base: loss.min 0.032 > 0.01; wide: auc


def test_certificates_of_the_runs_are_listed_with_their_verification(reported: Path,
                                                                     tmp_path: Path) -> None:
    setup_signing(reported, tmp_path)
    runs = Runs.open(reported)
    certify(runs, "base", parse_policy('[metrics.auc]\nmin = 0.9\nstage = "evaluate"\n'),
            client="C", model="M", cert_id="base-1")
    text = sections(html_report(runs, ["base"]))["certificates"]
    assert "contexta/cert/base-1 run:p.base PASS valid" in text
    (tmp_path / "allowed_signers").write_text("")  # nobody is trusted any more
    text = sections(html_report(runs, ["base"]))["certificates"]
    assert "contexta/cert/base-1 run:p.base PASS INVALID" in text
    assert "no certificate" in sections(html_report(runs, ["wide"]))["certificates"]


def test_a_million_points_embed_under_one_megabyte(repo: Path, tmp_path: Path) -> None:
    with start_run("big", project="p", repo=repo, capture_environment=False,
                   flush_interval=1e9) as run:
        for i in range(1_000_000):
            run.log_metric("loss", 1 / (1 + i / 1000) + (50.0 if i == 654_321 else 0.0), step=i)
            if (i + 1) % 250_000 == 0:
                run.flush()
    target = tmp_path / "big.html"
    started = time.perf_counter()
    code, _out, err = invoke(repo, "big", "--format", "html", "-o", str(target))
    assert code == 0, err
    elapsed = time.perf_counter() - started
    page = target.read_text()
    data = [text for a, text in parsed(page).scripts if a.get("type") == "application/json"]
    assert len(data) == 1 and len(data[0].encode()) < 1_000_000
    assert len(page.encode()) < 1_000_000
    line = json.loads(data[0])["lines"][0]
    assert line["count"] == 1_000_000 and len(line["y"]) <= 2000
    assert (654_321, 1 / (1 + 654.321) + 50.0) in zip(line["x"], line["y"], strict=True)
    assert (line["x"][0], line["x"][-1]) == (0, 999_999)
    assert elapsed < 20  # the budget (2 s) is measured by benchmarks/charts.py, not here


def test_markdown_and_json_take_no_policy_and_several_runs_are_a_multi_run_report(
        reported: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    policy = tmp_path / "p.toml"
    policy.write_text(POLICY)
    for args in (["base", "--policy", str(policy)], ["base", "wide", "--policy", str(policy)]):
        code, out, err = invoke(reported, *args, "-o", str(target))
        assert code == 2 and out == "" and not target.exists()
        assert err.startswith("Error: --format ") and "use --format html" in err
    code, out, _ = invoke(reported, "base")
    assert code == 0 and out.startswith("# Run report: run:p.base")
    code, out, _ = invoke(reported, "base", "wide")
    assert code == 0 and out.startswith("# Multi Run Report: 2 runs")
    code, out, _ = invoke(reported, "base", "wide", "--format", "json")
    assert code == 0 and json.loads(out)["sections"][1]["body"] == ["run:p.base", "run:p.wide"]


def test_unknown_run_or_bad_policy_writes_nothing(reported: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    code, _out, err = invoke(reported, "base", "nope", "--format", "html", "-o", str(target))
    assert (code, err) == (2, "Error: no run 'nope'\n") and not target.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[metrics.auc]\nmin = 'high'\n")
    code, _out, err = invoke(reported, "base", "--format", "html", "--policy", str(bad), "-o",
                             str(target))
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1
    assert not target.exists()
