"""A quarantine outlives rm, re-recording under the same name, and merges."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from contexta_git.analysis.annotate import annotate
from contexta_git.analysis.listing import list_runs
from contexta_git.analysis.quarantine import quarantine
from contexta_git.analysis.select import select_best_run
from contexta_git.cli.main import cli
from contexta_git.core import records
from contexta_git.core.names import RunId
from contexta_git.record.oneshot import record
from contexta_git.share.sync import pull, push
from contexta_git.store.rm import rm
from contexta_git.store.runs import Runs

from tests.conftest import git, two_clones

Y = RunId("s", "y")


def _rec(runs: Runs, name: str, auc: float) -> None:
    record(runs, "s", name, metrics={"auc": auc}, capture_environment=False)


def _clones(tmp_path: Path) -> tuple[Runs, Runs]:
    a, b = two_clones(tmp_path)
    return Runs.open(a), Runs.open(b)


def test_a_merge_never_drops_a_quarantine_removed_on_one_side(tmp_path: Path) -> None:
    a, b = _clones(tmp_path)
    _rec(a, "y", 0.99)
    _rec(a, "z", 0.5)
    push(a)
    pull(b)
    quarantine(a, ["s.y"], "labels leaked into train")
    rm(a, ["s.y"])
    push(a)
    annotate(b, "data.checked", started_between=["2000-01-01", "2999-01-01"], project="s")
    result = pull(b)
    assert result.kept == ("run:s.y",)
    assert b.get(Y).quarantine_reason == "labels leaked into train"
    push(b)
    assert pull(a).how == "fast-forward"
    back = a.get(Y)
    assert back.quarantine_reason == "labels leaked into train"
    assert "data.checked" in {e.key for e in back.events}
    assert [s.name for s in list_runs(a, "s")] == ["z"]
    assert [s.name for s in list_runs(a, "s", quarantined=True)] == ["y"]
    assert select_best_run(a, None, "auc", project="s") == "run:s.z"
    out = CliRunner().invoke(cli, ["--repo", str(tmp_path / "a"), "show", "s.y"])
    assert out.exit_code == 0 and "QUARANTINED" in out.output
    git(tmp_path / "a", "fsck", "--strict")


def test_a_quarantine_outlives_rm_and_re_recording(repo: Path) -> None:
    runs = Runs.open(repo)
    _rec(runs, "y", 0.99)
    _rec(runs, "z", 0.5)
    quarantine(runs, ["y"], "wrong split")
    rm(runs, ["y"])
    _rec(runs, "y", 0.98)  # the same name, recorded again
    assert runs.get(Y).quarantine_reason == "wrong split"
    assert [s.name for s in list_runs(runs, "s")] == ["z"]
    assert [s.name for s in list_runs(runs, "s", quarantined=True, detail=True)] == ["y"]
    assert select_best_run(runs, None, "auc", project="s") == "run:s.z"
    out = CliRunner().invoke(cli, ["--repo", str(repo), "runs", "--json"])
    assert [r["name"] for r in json.loads(out.output)] == ["z"]
    # a release lifts it, and the release outlives rm and re-recording too
    assert quarantine(runs, ["y"], "checked again", undo=True).runs == ("run:s.y",)
    assert not runs.get(Y).quarantined
    rm(runs, ["y"])
    _rec(runs, "y", 0.97)
    assert not runs.get(Y).quarantined
    assert select_best_run(runs, None, "auc", project="s") == "run:s.y"
    git(repo, "fsck", "--strict")


def test_quarantines_recorded_before_the_ledger_still_count_and_survive_rm(repo: Path) -> None:
    runs = Runs.open(repo)
    _rec(runs, "y", 0.99)
    old = {"id": "quarantine-old", "key": records.QUARANTINE_EVENT, "level": "warning",
           "message": "recorded by an earlier version", "attributes": {}}

    def build(view: object) -> dict[str, bytes | None]:  # events.toml only, as before
        path = f"{Y.path}/events.toml"
        return {path: records.append(runs.view().read(path), "events", [old])}

    runs.store.commit(build, "quarantine the old way")
    assert runs.get(Y).quarantine_reason == "recorded by an earlier version"
    assert list_runs(runs, "s") == []
    rm(runs, ["y"])
    _rec(runs, "y", 0.5)
    assert runs.get(Y).quarantine_reason == "recorded by an earlier version"


def test_rm_never_lifts_a_quarantine_from_a_certificate(repo: Path, tmp_path: Path) -> None:
    from tests.cli.test_user_reports import certified, invoke

    certified(repo, tmp_path)
    assert invoke(repo, "quarantine", "good", "--reason", "leaky split")[0] == 0
    assert invoke(repo, "rm", "good")[0] == 0
    code, out = invoke(repo, "verify", "c1")
    assert code == 1 and "was quarantined after certification (leaky split)" in out
    assert invoke(repo, "verify", "--artifact", str(repo / "model.pt"))[0] == 1
    record(Runs.open(repo), "p", "good", metrics={"acc": 0.99}, capture_environment=False)
    code, out = invoke(repo, "verify", "c1")
    assert code == 1 and "was quarantined after certification (leaky split)" in out
