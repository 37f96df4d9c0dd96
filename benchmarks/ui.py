"""The web view in a real browser: the run table at 10,000 runs, a run page with long series.

    python benchmarks/ui.py [--runs 10000] [--points 100000] [--repeat 5]

Builds a repository of ``--runs`` runs with `git fast-import` (build.py), then records
``--long`` more runs with 5 step series of ``--points`` points each (40 flushes), starts
``ui`` in this process on a free port and loads pages in headless Chromium (Debian's
``chromium``, driven by Playwright), each timed from the navigation to its ``load`` event
(server, transfer, parse, layout; for a run page also until every chart is drawn).

- the run table: the first load (which brings the run index up to date) apart, then the
  median of ``--repeat`` loads;
- a run page: the median of the first load of each long run but the first (whose curves
  nobody asked for yet: every chunk is read and parsed), then the median of ``--repeat``
  reloads (the curves come from memory, web/curves.py).

The server's own time for the same pages (no browser) is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from build import fast_import
from common import add_environment_option, choose_environment, new_repo, print_setup
from series import log

from contexta_git.web.ui import ui

DRAWN = ("Array.from(document.querySelectorAll('figure.cg-chart'))"
         ".every(f => f.dataset.drawn === 'true')")


def browser_seconds(page: object, url: str, charts: bool) -> float:
    began = time.perf_counter()
    page.goto(url, wait_until="load")  # type: ignore[attr-defined]
    if charts:
        page.wait_for_function(DRAWN)  # type: ignore[attr-defined]
    return time.perf_counter() - began


def server_seconds(url: str) -> tuple[float, int]:
    began = time.perf_counter()
    with urllib.request.urlopen(url) as answer:
        size = len(answer.read())
    return time.perf_counter() - began, size


def median(action: object, repeat: int) -> float:
    return statistics.median(action() for _ in range(repeat))  # type: ignore[operator]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--long", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    add_environment_option(parser)
    args = parser.parse_args()
    environment = choose_environment(args.real_environment)
    chromium = os.environ.get("CONTEXTA_GIT_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        sys.exit("no Chromium: apt-get install chromium (or set CONTEXTA_GIT_CHROMIUM)")
    print_setup(environment.description)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver:
        repo = new_repo(Path(folder) / "repo")
        built = fast_import(repo, 0, args.runs, 500)
        logged = [log(repo, f"long-{n}", [f"series_{k}" for k in range(5)], args.points, 40)
                  for n in range(args.long)]
        print(f"setup: {args.runs:,} runs by git fast-import in {built:.1f} s; {args.long} runs "
              f"with 5 series x {args.points:,} points recorded in {statistics.median(logged):.1f} "
              "s each", flush=True)
        server = ui(repo, port=0, log=lambda line: None)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = driver.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        first = server.url
        long_runs = [f"{server.url}runs/bench/long-{n}.html" for n in range(args.long)]
        run = long_runs[0]
        cold = browser_seconds(page, first, False)
        rows = page.locator("tr.ui-run").count()
        total = page.inner_text("#run-count")
        browser_seconds(page, run, True)  # warm-up: imports, templates
        table = median(lambda: browser_seconds(page, first, False), args.repeat)
        fresh = statistics.median(browser_seconds(page, url, True) for url in long_runs[1:])
        curves = median(lambda: browser_seconds(page, run, True), args.repeat)
        series = page.eval_on_selector_all("figure.cg-chart", "fs => fs.length")
        table_server, table_size = server_seconds(first)
        run_server, run_size = server_seconds(run)
        print(f"browser: first page of the run table ({rows} rows shown; {total}): "
              f"{table:.2f} s median (the first load, index brought up to date: {cold:.2f} s); "
              f"server alone {table_server:.2f} s, {table_size / 1024:.0f} KiB")
        print(f"browser: run page with {series} charts of {args.points:,} points each, drawn: "
              f"first view {fresh:.2f} s median, again {curves:.2f} s median; server alone "
              f"(again) {run_server:.2f} s, {run_size / 1024:.0f} KiB")
        browser.close()
        server.shutdown()
        server.server_close()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end: {load}")


if __name__ == "__main__":
    main()
