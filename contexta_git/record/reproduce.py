"""Rebuild a recorded run: its code, its environment and its command.

``reproduce`` makes, in a new folder: ``code/``, a detached worktree of the user's
repository at the run's code commit with the run's kept uncommitted patch applied
(``git apply``), and ``venv/``, a virtual environment built from the run's
``pylock.toml`` (venv.py). It checks every dataset file the run fingerprinted against
its recorded sha256, and returns the recorded command and params. With ``run=True`` it
runs that command in ``code/`` with ``venv/`` first on ``PATH``, recorded as a new run
``<name>-repro`` (``-repro-2``, ...) tagged ``reproduces = "run:<project>.<name>"``
whose environment is the rebuilt one. Whatever cannot be reproduced is named in
``gaps``, never silently skipped.
"""

from __future__ import annotations

import hashlib
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.core.redact import REDACTED
from contexta_git.errors import ContextaError
from contexta_git.record import capture, kept, venv
from contexta_git.store.runs import Runs


@dataclass(frozen=True)
class Reproduction:
    run: str  # the original run's ref
    folder: Path
    code: Path | None  # the worktree (None: no commit to check out)
    python: Path | None  # the rebuilt environment's interpreter
    command: str | None
    params: dict[str, Any]
    gaps: tuple[str, ...]  # what could not be reproduced, one sentence each
    patched: bool = False  # the kept uncommitted patch was applied
    new_run: str | None = None  # with run=True: the new run's ref
    exit_code: int | None = None
    installed: tuple[str, ...] = field(default_factory=tuple)


def reproduce(runs: Runs, ref: str, folder: Path, *, run: bool = False,
              project: str | None = None) -> Reproduction:
    """Rebuild ``ref`` in ``folder`` (which must not exist or be empty)."""
    run_id = runs.resolve(ref, project)
    data = runs.get(run_id)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ContextaError(f"{folder} exists and is not an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    gaps: list[str] = []
    code, patched = _code(runs, run_id, data, folder / "code", gaps)
    _datasets(data, code, gaps)
    python, installed = _environment(data, folder / "venv", gaps)
    params = {k: v for k, v in data.params.items() if k != "command"}
    command = data.params.get("command")
    command = command if isinstance(command, str) else None
    if command is None:
        gaps.append("no command was recorded (only runs made with contexta-git run keep one)")
    elif REDACTED in command:
        gaps.append("the recorded command had a secret replaced: fill it in by hand")
    result = Reproduction(data.ref, folder, code, python, command, params, tuple(gaps), patched,
                          installed=installed)
    if run:
        return _run(runs, run_id, result)
    return result


def _code(runs: Runs, run_id: RunId, data: records.RunData, target: Path,
          gaps: list[str]) -> tuple[Path | None, bool]:
    store = runs.store
    commit = data.source.get("commit")
    if not commit:
        gaps.append("no code commit was recorded")
        return None, False
    if store.resolve_commit(commit) is None:
        gaps.append(f"code commit {commit} is not in this repository (fetch it first)")
        return None, False
    store.add_worktree(target, commit)
    if not data.source.get("dirty"):
        return target, False
    for name in data.source.get("patch_binary") or []:
        gaps.append(f"binary file {name} was changed but not kept")
    state = data.source.get("patch")
    patch = store.view().read(f"{run_id.path}/{kept.PATCH_FILE}")
    if patch is None:
        why = {"too-large": f"over the {kept.PATCH_CAP} byte cap"}.get(str(state), "not kept")
        gaps.append(f"the uncommitted change ({why}) is missing: code is at {commit[:12]} only")
        return target, False
    problem = store.apply_patch(target, patch)
    if problem is not None:
        gaps.append(f"the kept patch does not apply: {problem}")
        return target, False
    if state == "redacted":
        gaps.append("the kept patch had secrets replaced: those lines differ from the run's")
    return target, True


def _datasets(data: records.RunData, code: Path | None, gaps: list[str]) -> None:
    for dataset in data.datasets:
        if not dataset.path or not dataset.sha256:
            gaps.append(f"dataset {dataset.name} has no file fingerprint to check")
            continue
        path = Path(dataset.path)
        if not path.is_absolute() and code is not None:
            path = code / path
        if not path.is_file():
            gaps.append(f"dataset {dataset.name}: {dataset.path} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != dataset.sha256:
            gaps.append(f"dataset {dataset.name}: {dataset.path} differs from the recorded "
                        f"sha256 {dataset.sha256[:12]}")


def _environment(data: records.RunData, target: Path,
                 gaps: list[str]) -> tuple[Path | None, tuple[str, ...]]:
    if data.lockfile is None:
        gaps.append("no pylock.toml was recorded: the environment cannot be rebuilt")
        return None, ()
    recorded = data.environment.get("python", {}).get("version")
    here = ".".join(map(str, sys.version_info[:3]))
    if recorded and recorded != here:
        gaps.append(f"the run used Python {recorded}; the environment is built with {here}")
    built = venv.install(data.lockfile, target)
    for name, why in sorted(built.skipped.items()):
        gaps.append(f"package {name} not installed: {why}")
    if built.problem:
        gaps.append(built.problem)
        return built.python, ()
    return built.python, built.installed


def _run(runs: Runs, run_id: RunId, done: Reproduction) -> Reproduction:
    from dataclasses import replace

    from contexta_git.record.oneshot import DataFile, run_command

    if done.command is None or done.code is None or done.python is None:
        raise ContextaError(f"cannot run {done.run} again: {'; '.join(done.gaps)}")
    name = _free_name(runs, run_id)
    here = ".".join(map(str, sys.version_info[:3]))
    lock = capture.lockfile_at([venv.site_of(done.python)], here)
    data = runs.get(run_id)
    how = data.extra.get("wrapped")
    how = how if isinstance(how, dict) else {}
    metrics = how.get("metrics_file")
    datasets = [DataFile(d.name, str(done.code / d.path), None if d.version is None
                         else str(d.version)) for d in data.datasets if d.path]
    wrapped = run_command(Runs.open(done.code), run_id.project, name, shlex.split(done.command),
                          params=done.params, tags={"reproduces": done.run}, cwd=done.code,
                          python=done.python, lockfile=lock,
                          metrics_file=str(done.code / metrics) if metrics else None,
                          stage=how.get("stage"), datasets=datasets,
                          artifacts=[str(done.code / a) for a in how.get("artifacts") or []])
    return replace(done, new_run=wrapped.run.ref, exit_code=wrapped.exit_code)


def _free_name(runs: Runs, run_id: RunId) -> str:
    for n in range(1, 1000):
        name = f"{run_id.name}-repro" + (f"-{n}" if n > 1 else "")
        if not runs.exists(RunId(run_id.project, name)):
            return name
    raise ContextaError(f"{run_id.ref} has been reproduced 999 times already")
