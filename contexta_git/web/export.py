"""``contexta-git ui --export DIR``: the web view's pages as a static site.

The same pages as the server (site.py), written as files with the same relative links:
for each branch, its run table (every run, quarantined ones marked, ``index-N.html`` for
later pages), a page per run, a compare page of the newest runs, and the assets. Forms
that need a server (filter, sort, the gate's policy choice) are left out; the gate is
drawn against the policy given to the command, if any."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contexta_git.analysis.listing import run_summaries
from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs
from contexta_git.web import runs_page, sources
from contexta_git.web.site import Settings, assets, page


@dataclass(frozen=True)
class Exported:
    folder: str
    pages: int
    runs: int


def export(repo: str | Path | None, folder: str | Path, *, policy: str | None = None) -> Exported:
    """Write the site into ``folder`` (created; refused when it exists and is not empty)."""
    runs = Runs.open(repo)
    target = Path(folder)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidValue(f"--export {folder}: exists and is not an empty folder")
    settings = Settings(policy=policy, static=True)
    pages = count = 0
    try:
        for name, data in assets().items():
            _write(target / "assets" / name, data)
        for source in sources.sources(runs):
            listed = run_summaries(source.view(runs), detail=True)
            addresses = ["index.html", *(f"index-{n}.html" for n in
                                         range(2, runs_page.page_count(len(listed)) + 1))]
            addresses += [f"runs/{s.project}/{s.name}.html" for s in listed]
            for inner in addresses:
                _write(target / (source.prefix + inner),
                       _body(runs, source.prefix + inner, {}, settings))
            compare = runs_page.compared(runs, source)
            if len(compare) >= 2:
                _write(target / (source.prefix + "compare.html"),
                       _body(runs, source.prefix + "compare.html", {"run": compare}, settings))
                pages += 1
            pages += len(addresses)
            count += len(listed)
    except OSError as exc:
        raise InvalidValue(f"cannot write {exc.filename or folder}: {exc.strerror or exc}") from exc
    return Exported(str(target), pages, count)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _body(runs: Runs, address: str, query: dict[str, list[str]], settings: Settings) -> bytes:
    answer = page(runs, address, query, settings)
    if answer.status != 200:
        raise InvalidValue(f"cannot export {address}: {answer.body[:200]!r}")
    return answer.body
