"""``plot``: the chart of some series of some runs, for ``contexta-git plot``."""

from __future__ import annotations

from collections.abc import Sequence

from contexta_git.errors import InvalidValue
from contexta_git.store.runs import Runs
from contexta_git.web.charts import CAP, Chart, chart


def plot(store: Runs, runs: Sequence[str], refs: Sequence[str], *, project: str | None = None,
         x: str = "step", smooth: int = 1, log: bool = False, cap: int = CAP) -> Chart:
    """One chart with a line for each run of ``runs`` (names or refs) and each series of
    ``refs`` (``key`` or ``<stage>.<key>``), at most ``cap`` points a line; RunNotFound
    or InvalidValue (one line) before anything is drawn."""
    if not runs or not refs:
        raise InvalidValue("name at least one run and one series (-m KEY)")
    ids = list(dict.fromkeys(store.resolve(run, project) for run in runs))
    view = store.view()
    return chart(view, [(run, store.get(run)) for run in ids], list(dict.fromkeys(refs)),
                 x=x, cap=cap, smooth=smooth, log=log)
