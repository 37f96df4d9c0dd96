"""Step series on the branch: a flush's chunk and summaries, points read back, merges.

A flush that logged stepped points writes one new chunk file (core/chunks.py) and
rewrites the small ``series.toml`` (the summary of every series, and the next chunk's
sequence number); it never rewrites a chunk. ``series.toml`` of two sides that both
wrote is recomputed from the union of their chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from contexta_git.core import chunks, records, schema
from contexta_git.core.chunks import Block, Columns
from contexta_git.core.names import RunId
from contexta_git.core.series import SeriesSummary, extend, stamp_ms
from contexta_git.errors import CorruptRun, InvalidValue
from contexta_git.git.repo import View

INDEX = records.SERIES
_B = TypeVar("_B", Block, Columns)


def flush(folder: str, index: bytes | None, blocks: Iterable[Block]) -> dict[str, bytes]:
    """The files a flush of ``blocks`` writes in run folder ``folder`` whose ``series.toml``
    holds ``index``: one new chunk and the updated summaries (nothing without points)."""
    live = [block for block in blocks if block.values]
    if not live:
        return {}
    seq, rows = schema.series_index(folder, index)  # CorruptRun: never build on it
    found = {(row["key"], row.get("stage")): SeriesSummary.from_record(row) for row in rows}
    content = chunks.encode(live)
    for block in live:
        where = (block.key, block.stage)
        found[where] = extend(found.get(where), block.summary())
    return {f"{folder}/{chunks.path(seq, content)}": content,
            f"{folder}/{INDEX}": index_bytes(seq + 1, found.values())}


def index_bytes(next_chunk: int, found: Iterable[SeriesSummary]) -> bytes:
    return records.dumps({"next_chunk": next_chunk, "series": [s.record() for s in found]})


def chunk_files(view: View, folder: str) -> list[tuple[int, str]]:
    """(sequence number, path) of every chunk of run folder ``folder``, in written order;
    CorruptRun names a file in ``series/`` that is no chunk."""
    found = []
    base = f"{folder}/{chunks.FOLDER}"
    for bucket in view.names(base):
        for name in view.names(f"{base}/{bucket}"):
            path = f"{chunks.FOLDER}/{bucket}/{name}"
            seq = chunks.sequence(name)
            if seq is None:
                raise CorruptRun(folder, path, "is not a chunk (<sequence>-<digest>.toml)")
            found.append((seq, path))
    return sorted(found)


def read_chunk(view: View, folder: str, path: str, times: bool = True) -> list[Block]:
    return schema.chunk(folder, path, _chunk_data(view, folder, path), times)


def _chunk_data(view: View, folder: str, path: str) -> bytes:
    data = view.read(f"{folder}/{path}")
    if data is None:
        raise CorruptRun(folder, path, "is a folder, not a file")
    return data


def points(view: View, run: RunId, key: str, stage: str | None = None) -> Iterator[Block]:
    """The points of series ``key`` of ``run`` (of one stage, or of all), in logged order,
    block by block: first the stepped entries of ``metrics.toml`` (format 1, the seeds'
    API), then each chunk. InvalidValue when the run has no such series; CorruptRun
    (raised while iterating) names a chunk that cannot be read."""
    metrics = _known(view, run, key, stage)  # raised now, before any point

    def read() -> Iterator[Block]:
        yield from _legacy(metrics, key, stage)
        for _seq, path in chunk_files(view, run.path):
            yield from _matching(read_chunk(view, run.path, path), key, stage)
    return read()


def columns(view: View, run: RunId, key: str, stage: str | None = None) -> Iterator[Columns]:
    """:func:`points` as the texts of their numbers, for printing: a chunk as the writer
    writes it is never parsed into floats (core/chunks.py ``tokens``)."""
    metrics = _known(view, run, key, stage)  # raised now, before any point

    def read() -> Iterator[Columns]:
        yield from map(Columns.of, _legacy(metrics, key, stage))
        for _seq, path in chunk_files(view, run.path):
            data = _chunk_data(view, run.path, path)
            yield from _matching(schema.chunk_columns(run.path, path, data), key, stage)
    return read()


def every_point(view: View, run: RunId, times: bool = True) -> Iterator[Block]:
    """The points of every series of ``run``, block by block, each chunk read once (a
    page that draws every series of a run reads them here): first the stepped entries of
    ``metrics.toml``, then each chunk; blocks of one series come in logged order. Without
    ``times``, the chunks' blocks come without their times (not even parsed)."""
    from contexta_git.store.runs import read_run

    metrics = read_run(view, run.path).metrics
    for key in dict.fromkeys(m.key for m in metrics if m.step is not None):
        yield from _legacy(metrics, key, None)
    for _seq, path in chunk_files(view, run.path):
        yield from read_chunk(view, run.path, path, times)


def _known(view: View, run: RunId, key: str, stage: str | None) -> tuple[records.Metric, ...]:
    """The run's metric entries, once its series ``key`` is known to exist."""
    from contexta_git.store.runs import read_run

    data = read_run(view, run.path)
    known = data.series_summaries(stage)
    if key not in known:
        where = f" in stage {stage!r}" if stage else ""
        have = f" (it has: {', '.join(sorted(known))})" if known else ""
        raise InvalidValue(f"{run.ref} has no step series {key!r}{where}{have}")
    return data.metrics


def _matching(found: Iterable[_B], key: str, stage: str | None) -> Iterator[_B]:
    return (b for b in found if b.key == key and (stage is None or b.stage == stage))


def _legacy(metrics: Iterable[records.Metric], key: str, stage: str | None) -> Iterator[Block]:
    """Stepped entries of ``metrics.toml``, a block per run of one stage."""
    block: Block | None = None
    for m in metrics:
        if m.step is None or m.key != key or (stage is not None and m.stage != stage):
            continue
        if block is None or block.stage != m.stage:
            if block is not None:
                yield block
            block = Block(key, m.stage)
        block.steps.append(m.step)
        block.values.append(m.value)
        block.times.append(stamp_ms(m.observed_at))
    if block is not None:
        yield block


def merged_index(ours: View, theirs: View, folder: str) -> bytes:
    """``series.toml`` for the union of both sides' chunks of ``folder``, recomputed
    from their points; CorruptRun names a chunk that cannot be read."""
    paths: dict[str, tuple[int, View]] = {}
    for view in (ours, theirs):
        for seq, path in chunk_files(view, folder):
            paths.setdefault(path, (seq, view))
    found: dict[tuple[str, str | None], SeriesSummary] = {}
    for path, (_seq, view) in sorted(paths.items(), key=lambda item: (item[1][0], item[0])):
        for block in read_chunk(view, folder, path):
            if block.values:
                where = (block.key, block.stage)
                found[where] = extend(found.get(where), block.summary())
    sides = [schema.series_index(folder, v.read(f"{folder}/{INDEX}"))[0] for v in (ours, theirs)]
    next_chunk = max([*sides, *(seq + 1 for seq, _view in paths.values())])
    return index_bytes(next_chunk, found.values())


def folder_files(view: View, folder: str) -> dict[str, bytes]:
    """Every file of a run folder, chunks included (``series/<bucket>/<name>``)."""
    out = view.files(folder)
    base = f"{folder}/{chunks.FOLDER}"
    for bucket in view.names(base):
        for name, data in view.files(f"{base}/{bucket}").items():
            out[f"{chunks.FOLDER}/{bucket}/{name}"] = data
    return out

