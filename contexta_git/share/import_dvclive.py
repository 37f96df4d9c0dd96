"""``import dvclive DIR``: what DVCLive wrote in DIR, as one run.

DVCLive's layout: ``metrics.json`` the latest values (nested tables, and DVCLive's own
``step``), ``params.yaml`` the params, ``plots/metrics/<key>.tsv`` one step series per
metric (tab-separated ``timestamp``, ``step`` and the value; the key is the file's path
below ``plots/metrics`` without ``.tsv``, e.g. ``train/loss``). Series become step
series with their steps and times; a value of ``metrics.json`` without a series becomes
a single value; nested params become dotted keys. The run starts and ends at the first
and last time of its series. Its key is a digest of the files read (tag
``dvclive.digest``): importing the same folder again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from contexta_git.core.names import check_project
from contexta_git.errors import InvalidValue
from contexta_git.record.inputs import flatten, read_mapping
from contexta_git.share.imported import Imported, Outcome, moment, write
from contexta_git.store.runs import Runs

KEY = "dvclive.digest"


def import_dvclive(runs: Runs, folder: str | Path, project: str, name: str | None = None) -> Outcome:
    """Import the DVCLive folder ``folder`` as one run of ``project``."""
    found = read(Path(folder), check_project(project), name)
    return write(runs, [found], 1, f"DVCLive {folder}")


def read(folder: Path, project: str, name: str | None) -> Imported:
    """The run the folder holds; InvalidValue when it is no DVCLive folder or a file
    cannot be read (nothing is written then)."""
    if not folder.is_dir():
        raise InvalidValue(f"no DVCLive folder at {folder}: no such folder")
    tables = sorted((folder / "plots" / "metrics").rglob("*.tsv"))
    files = [p for p in (folder / "metrics.json", folder / "params.yaml") if p.is_file()] + tables
    if not files:
        raise InvalidValue(f"{folder} holds no metrics.json, params.yaml or plots/metrics/*.tsv "
                           "(is it the folder DVCLive wrote, e.g. dvclive/?)")
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes())
    key = digest.hexdigest()
    found = Imported(project, name or f"dvclive-{key[:12]}", (KEY, key))
    for table in tables:
        series = table.relative_to(folder / "plots" / "metrics").with_suffix("").as_posix()
        found.add_series(series, _points(table))
    plotted = {block.key for block in found.series}
    found.metrics = {key: value for key, value in
                     ((found.key_of(k), v) for k, v in _latest(folder / "metrics.json").items())
                     if key not in plotted}
    if (folder / "params.yaml").is_file():
        found.params = {found.key_of(k): v
                        for k, v in flatten(read_mapping(folder / "params.yaml")).items()
                        if v is not None}
    times = [t for block in found.series for t in block.times]
    if times:
        found.started_at, found.ended_at = moment(min(times)), moment(max(times))
    return found


def _points(path: Path) -> list[tuple[int, float, int]]:
    """(step, value, time in ms) of one DVCLive series file."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle, delimiter="\t"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"cannot read {path}: {exc}") from exc
    if not rows or rows[0][:2] != ["timestamp", "step"] or len(rows[0]) != 3:
        raise InvalidValue(f"{path} is not a DVCLive series: its header must be "
                           "timestamp, step and the metric, tab-separated")
    points = []
    for number, row in enumerate(rows[1:], 2):
        try:
            points.append((int(row[1]), float(row[2]), int(float(row[0]))))
        except (IndexError, ValueError):
            raise InvalidValue(f"{path}, line {number}: not a timestamp, step and number") from None
    return points


def _latest(path: Path) -> dict[str, Any]:
    """metrics.json's numbers, nested keys joined with ``/`` as DVCLive names its files."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidValue(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidValue(f"{path} must hold a JSON object")
    data.pop("step", None)
    return {k: v for k, v in _slashed(data).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def _slashed(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_slashed(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out
