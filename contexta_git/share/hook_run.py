"""What the installed hooks do: record a run for each new commit, push runs with pushes.

The post-commit hook reads ``[tool.contexta-git]`` from ``pyproject.toml`` (or the top
level of ``.contexta-git.toml``, which wins; see :mod:`.hook_config`, which keeps every
configured path inside the repository)::

    [tool.contexta-git]
    project = "churn"
    metrics = ["metrics.json"]        # JSON, TOML or YAML; required: no file, no run
    params = ["params.yaml"]          # optional
    datasets = ["data/train.csv"]     # optional: fingerprinted (sha256, git blob id)
    name = "{branch}-{short}"         # optional: {branch}, {short}, {commit}
    stage = "evaluate"                # optional: the stage the metrics belong to
    environment = true                # optional: capture the Python environment

Metrics and params files are read from the new commit when tracked there, from the
working tree otherwise. A commit rewritten by ``--amend``, rebase or cherry-pick with
the same change (git's stable patch id) is not recorded again, nor is a commit that a
run already names. This module loads pygit2 only when a run may be recorded, and
``main`` never fails: an error is one line on stderr and exit status 0.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contexta_git.errors import InvalidValue
from contexta_git.share.hook_config import (
    DEFAULT_NAME, HookConfig, check_config_paths, find_root, load_config, render_template)

__all__ = ["DEFAULT_NAME", "HookConfig", "Outcome", "find_root", "load_config", "main",
           "post_commit", "pre_push", "run_name"]


@dataclass(frozen=True)
class Outcome:
    """What the post-commit hook did: ``run`` is the run recorded (or already there)."""

    run: str | None
    reason: str  # recorded, already-recorded, not-configured, no-metrics-file


def post_commit(repo: str | Path = ".") -> Outcome:
    """Record a run for HEAD from the configured files (see the module docstring)."""
    root = find_root(repo)
    config = load_config(root)
    if config is None or not config.metrics:
        return Outcome(None, "not-configured")
    from contexta_git.git.repo import GitStore
    from contexta_git.core.names import RunId, check_project

    check_project(config.project)
    check_config_paths(root, config)
    store = GitStore(root)
    commit = store.resolve_commit("HEAD")
    if commit is None:
        return Outcome(None, "no-commit")
    texts = {p: _text(store, root, commit, p) for p in (*config.metrics, *config.params)}
    if not any(texts[p] is not None for p in config.metrics):
        return Outcome(None, "no-metrics-file")
    from contexta_git.store.runs import Runs

    runs = Runs(store)
    patch = store.patch_id(commit)
    existing = _recorded(runs, config.project, commit, patch)
    if existing:
        return Outcome(existing, "already-recorded")
    run_id = RunId(config.project, run_name(config.name, store, commit))
    _record(runs, run_id, config, texts, root, patch)
    return Outcome(run_id.ref, "recorded")


def _text(store: Any, root: Path, commit: str, path: str) -> str | None:
    data = store.blob_at(commit, path)
    if data is None and (root / path).is_file():
        data = (root / path).read_bytes()
    return None if data is None else data.decode("utf-8", errors="replace")


def _recorded(runs: Any, project: str, commit: str, patch: str | None) -> str | None:
    """The run already recorded for this commit, or for the same change rewritten
    (read from the cached run summaries: cheap however many runs the project has)."""
    from contexta_git.analysis.listing import recorded_from

    found = recorded_from(runs.view(), project, commit, patch)
    return found[0].ref if found else None


def run_name(template: str, store: Any, commit: str) -> str:
    branch = store.source().branch or _rebasing_branch(store) or "detached"
    name = render_template(template, {"branch": branch, "short": commit[:8], "commit": commit})
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    return re.sub(r"\.{2,}", ".", name).strip(".-") or commit[:8]


def _rebasing_branch(store: Any) -> str | None:
    """During a rebase HEAD is detached; git notes the branch being rebased."""
    for folder in ("rebase-merge", "rebase-apply"):
        head = store.git_dir / folder / "head-name"
        if head.is_file():
            return head.read_text().strip().removeprefix("refs/heads/") or None
    return None


def _record(runs: Any, run_id: Any, config: HookConfig, texts: dict[str, str | None],
            root: Path, patch: str | None) -> None:
    from contexta_git.record import inputs
    from contexta_git.record.run import Run

    params: dict[str, Any] = {}
    for path in config.params:
        text = texts.get(path)
        if text is not None:
            params.update(inputs.flatten(inputs.read_mapping(path, text)))
    metrics: dict[str, float] = {}
    for path in config.metrics:
        text = texts.get(path)
        if text is not None:
            metrics.update(inputs.metrics_from(inputs.read_mapping(path, text), path))
    tags = {"hook": "post-commit", "patch_id": patch}
    run = Run(runs, run_id, params=params, tags={k: v for k, v in tags.items() if v},
              capture_environment=config.environment)
    if config.stage:
        run.add_stage(config.stage)
    run.log_metrics(metrics, stage=config.stage)
    for path in config.datasets:
        if (root / path).exists():
            run.dataset(path, path=root / path)
        else:
            run.event("dataset.missing", f"{path} does not exist", level="warning")
    run.finish("completed")


def pre_push(remote: str, repo: str | Path = ".") -> str | None:
    """Push contexta/runs to ``remote`` along with the user's push (None: no runs yet, or
    the push was queued because ``push-every`` is set and one went out recently)."""
    from contexta_git.store.runs import Runs
    from contexta_git.share.batch import push_every
    from contexta_git.share.push_config import push_config
    from contexta_git.share.sync import push

    runs = Runs.open(find_root(repo))
    if runs.store.tip() is None:
        return None
    config = push_config(runs.store)
    if config.every is not None:
        done = push_every(runs, remote, config.every, deadline=config.deadline,
                          writer=config.writer)
        return getattr(done, "tip", None)
    return push(runs, remote, deadline=config.deadline, writer=config.writer).tip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the hook scripts: never fails, one line on stderr for an error."""
    args = list(sys.argv[1:] if argv is None else argv)
    hook = args[0] if args else "post-commit"
    try:
        if hook == "post-commit":
            outcome = post_commit()
            if outcome.reason == "recorded":
                print(f"contexta-git: recorded {outcome.run}", file=sys.stderr)
        elif hook == "pre-push":
            pre_push(args[1] if len(args) > 1 else "origin")
        else:
            raise InvalidValue(f"unknown hook {hook!r}")
    except Exception as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"contexta-git {hook}: {message} (nothing recorded)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
