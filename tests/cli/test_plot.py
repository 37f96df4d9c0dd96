"""contexta-git plot: terminal charts readable in a CI log, the same chart as HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.cli.text import colored
from contexta_git.record.run import start_run
from contexta_git.store.runs import Runs
from contexta_git.web import terminal
from contexta_git.web.plot import plot


def invoke(repo: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "plot", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def plotted(repo: Path) -> Path:
    for name, scale in (("base", 1.0), ("wide", 2.0)):
        with start_run(name, project="p", repo=repo, capture_environment=False) as run:
            for i in range(3000):
                run.log_metric("loss", scale / (1 + i / 300), step=i)
                if i % 100 == 0:
                    run.log_metric("acc", i / 3000, step=i, stage="evaluate")
    return repo


def test_a_piped_chart_has_a_legend_a_marker_per_line_and_no_escape(plotted: Path) -> None:
    code, out, err = invoke(plotted, "base", "wide", "-m", "loss", "-m", "evaluate.acc",
                            "--width", "90", "--height", "20")
    assert code == 0, err
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 20 and max(map(len, lines)) <= 90
    for marker, name in zip("*+ox", ["base / loss", "wide / loss", "base / evaluate.acc",
                                    "wide / evaluate.acc"], strict=True):
        assert f"{marker} {name}" in out  # the legend
    body = "\n".join(re.split("[│┤]", line, maxsplit=1)[-1] for line in lines)
    assert body.count("*") > 20 and body.count("+") > 20  # the lines themselves
    assert "step" in lines[-1] and "2,000" in out


def test_log_scale_time_axis_and_smoothing(plotted: Path) -> None:
    code, out, err = invoke(plotted, "base", "-m", "loss", "--log", "--x", "time", "--smooth", "5")
    assert code == 0, err
    assert "UTC time" in out and re.search(r"\d\d:\d\d:\d\d", out)
    found = plot(Runs.open(plotted), ["base"], ["loss"], log=True, smooth=5, cap=5000)
    assert found.log and found.lines[0].ys[0] == 1.0 and found.lines[0].ys[4] == pytest.approx(
        sum(1 / (1 + i / 300) for i in range(5)) / 5)


def test_html_writes_the_same_chart_as_one_page(plotted: Path, tmp_path: Path) -> None:
    page = tmp_path / "loss.html"
    code, _out, err = invoke(plotted, "base", "wide", "-m", "loss", "--html", str(page))
    assert code == 0, err
    assert err.strip() == f"Wrote {page}"
    text = page.read_text()
    data = re.search(r'<script type="application/json">(.*?)</script>', text, re.S)
    assert data is not None
    spec = json.loads(data.group(1))
    assert [line["name"] for line in spec["lines"]] == ["base / loss", "wide / loss"]
    assert spec["lines"][1]["count"] == 3000 and len(spec["lines"][1]["x"]) <= 2000
    assert not re.search(r'\s(src|href)=', text)


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "-m", "loss"], "Error: no run 'nope'"),
    (["base", "-m", "lossy"], "Error: run:p.base has no step series 'lossy' (it has: acc, loss)"),
    (["base", "-m", "train.loss"], "Error: run:p.base has no step series 'train.loss' (it has: acc, loss)"),
])
def test_unknown_run_or_series_is_one_line_and_exit_2(plotted: Path, tmp_path: Path,
                                                      args: list[str], message: str) -> None:
    page = tmp_path / "never.html"
    code, out, err = invoke(plotted, *args, "--html", str(page))
    assert (code, out, err.strip()) == (2, "", message)
    assert not page.exists()


def test_missing_metric_option_is_a_usage_error(plotted: Path) -> None:
    code, _out, err = invoke(plotted, "base")
    assert code == 2 and "Missing option '-m'" in err


def test_in_colour_the_lines_have_colours_and_user_text_stays_inert(plotted: Path) -> None:
    found = plot(Runs.open(plotted), ["base", "wide"], ["loss"])
    drawn = terminal.render(found, width=80, height=20, color=True)
    assert "\x1b[" in drawn
    shown = colored(drawn + "\x1b]0;title\x07\r")
    assert "\x1b[" in shown and "\x1b]" not in shown and "\\x1b]0;title\\x07\\r" in shown
    plain_drawing = terminal.render(found, width=80, height=20, color=False)
    assert "\x1b" not in plain_drawing and "base / loss" in plain_drawing


def test_a_line_without_drawable_points_is_named_and_left_out(plotted: Path) -> None:
    with start_run("neg", project="p", repo=plotted, capture_environment=False) as run:
        for i in range(10):
            run.log_metric("loss", -1.0 - i, step=i)
    code, out, err = invoke(plotted, "neg", "-m", "loss", "--log")
    assert (code, out, err) == (2, "", "Error: nothing to draw: loss of these runs holds no "
                                       "values > 0 on a log scale\n")
    code, out, err = invoke(plotted, "neg", "base", "-m", "loss", "--log")
    assert code == 0 and err == "Warning: neg / loss has no point to draw\n"
    assert "+ base / loss" in out and "neg / loss" not in out


def test_ticks_fall_on_round_numbers_and_read_as_steps_or_utc_times() -> None:
    assert terminal.nice(0, 99_999) == [0, 20_000, 40_000, 60_000, 80_000]
    assert terminal.nice(0.1, 0.35) == [0.1, 0.15, 0.2, 0.25, 0.3]
    assert terminal.nice(5, 5) == [5]
    assert terminal.x_ticks(0, 4000, "step")[1] == ["0", "1,000", "2,000", "3,000", "4,000"]
    start = 1_743_519_600_000  # 2025-04-01 15:00:00 UTC
    assert terminal.x_ticks(start, start + 400, "time")[1][:2] == ["15:00:00.000", "15:00:00.100"]
    assert terminal.x_ticks(start, start + 3_600_000, "time")[1][:2] == ["15:00:00", "15:15:00"]
    assert terminal.x_ticks(start, start + 3 * 86_400_000, "time")[1] == ["04-02 00:00", "04-03 00:00",
                                                                    "04-04 00:00"]
