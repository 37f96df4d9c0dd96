"""scikit-learn: ``contexta_git.integrations.sklearn.autolog()`` once, before fitting.

Every ``fit`` of a scikit-learn estimator (the classes ``sklearn.utils.all_estimators``
lists, and subclasses that inherit their ``fit``) is then one run: params are
``get_params(deep=True)``, metrics ``fit_time_s``, ``score/train`` (the estimator's own
``score`` on the data it was fitted on, when ``y`` is given) and ``score/NAME`` for each
``eval_sets={"NAME": (X, y)}``; a ``fit`` that raises gives a failed run. Fits inside a
recorded fit (a pipeline's steps, a search's candidates) are part of it, not runs of
their own. With ``model_dir``, the fitted estimator is saved there with joblib and
fingerprinted. ``autolog(disable=True)`` puts every ``fit`` back. Only rank 0
(``RANK``/``LOCAL_RANK``) writes.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sklearn.utils import all_estimators

from contexta_git.integrations.base import Recorder, default_name, env_rank

_PATCHED: dict[Any, Callable[..., Any] | None] = {}  # class -> its own fit (None: inherited)
# one entry per fit under way, in any thread: a fit that starts while another runs (a
# pipeline's step, a search's candidate, in joblib's threads too) is part of that one
_inside: list[bool] = []
_lock = threading.Lock()


def autolog(project: str = "default", repo: str | os.PathLike[str] | None = None, *,
            eval_sets: Mapping[str, tuple[Any, Any]] | None = None,
            tags: Mapping[str, Any] | None = None,
            model_dir: str | os.PathLike[str] | None = None, disable: bool = False) -> None:
    """Record every estimator ``fit`` from now on (``disable=True``: stop)."""
    _restore()
    if disable:
        return
    settings = {"project": project, "repo": repo, "eval_sets": dict(eval_sets or {}),
                "tags": dict(tags or {}), "model_dir": model_dir}
    cls: Any
    for _name, cls in all_estimators():
        if not callable(getattr(cls, "fit", None)):
            continue
        _PATCHED[cls] = vars(cls).get("fit")
        cls.fit = _wrap(cls.fit, settings)


def _restore() -> None:
    for cls, own in _PATCHED.items():
        if own is None:
            delattr(cls, "fit")
        else:
            cls.fit = own
    _PATCHED.clear()


def _wrap(fit: Callable[..., Any], settings: dict[str, Any]) -> Callable[..., Any]:
    @functools.wraps(fit)
    def recorded_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            outer = not _inside and env_rank() == 0
            _inside.append(outer)
        try:
            if not outer:
                return fit(self, *args, **kwargs)
            return _recorded(fit, self, args, kwargs, settings)
        finally:
            with _lock:
                _inside.pop()
    return recorded_fit


def _recorded(fit: Callable[..., Any], estimator: Any, args: tuple[Any, ...],
              kwargs: dict[str, Any], settings: dict[str, Any]) -> Any:
    kind = type(estimator).__name__
    recorder = Recorder("sklearn", default_name(kind), settings["project"], settings["repo"],
                        settings["tags"], None)
    recorder.open(estimator.get_params(deep=True), tags={"estimator": kind})
    started = time.perf_counter()
    try:
        result = fit(estimator, *args, **kwargs)
    except BaseException:
        recorder.metrics({"fit_time_s": time.perf_counter() - started}, None)
        recorder.close("failed")
        raise
    recorder.metrics({"fit_time_s": time.perf_counter() - started}, None)
    x = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    sets = {"train": (x, y)} if y is not None else {}
    for name, (ex, ey) in {**sets, **settings["eval_sets"]}.items():
        _score(recorder, estimator, name, ex, ey)
    if settings["model_dir"] is not None:
        import joblib

        path = Path(settings["model_dir"]) / f"{recorder.name}.joblib"
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(estimator, path)
        recorder.artifact(path, "model")
    recorder.close("completed")
    return result


def _score(recorder: Recorder, estimator: Any, name: str, x: Any, y: Any) -> None:
    if not callable(getattr(estimator, "score", None)):
        return
    try:
        recorder.metrics({f"score/{name}": estimator.score(x, y)}, None)
    except Exception as exc:  # a score that cannot be computed must not break the fit
        recorder.event("score.failed", f"score on {name}: {type(exc).__name__}: {exc}"[:500])
