"""A move dated in the future (a clone whose clock ran ahead, or an entry committed by
hand) is current until that date by the ledger's rule. ``alias set`` afterwards must
still make the alias name its run, as it reports, not write a move that is never current."""

from __future__ import annotations

from pathlib import Path

from contexta_git import resolve_alias, set_alias
from contexta_git.core.time import parse
from contexta_git.record.oneshot import record
from contexta_git.store.runs import Runs

from tests.conftest import git
from tests.release.test_alias_rollback import LEDGER, commit_ledger
from tests.release.test_gate import invoke

FUTURE = """
[[moves]]
id = "set-20991231T000000000000Z-deadbeef"
action = "set"
run = "run:bank.a"
who = "Skewed Clock <skew@example.com>"
at = "2099-12-31T00:00:00Z"
reason = "clock ahead"
"""


def test_a_move_after_one_dated_in_the_future_is_current(repo: Path, tmp_path: Path) -> None:
    runs = Runs.open(repo)
    for name in ("a", "b"):
        record(runs, "bank", name, metrics={"acc": 0.5}, capture_environment=False)
    set_alias(runs, "bank@champion", "a", reason="first", sign=False)
    ledger = git(repo, "show", f"contexta/runs:{LEDGER}").stdout
    commit_ledger(repo, tmp_path, ledger + FUTURE)
    code, out, err = invoke(repo, "alias", "set", "bank@champion", "b", "--reason", "promote b",
                            "--no-sign")
    assert code == 0 and out.startswith("bank@champion -> run:bank.b"), out + err
    found = resolve_alias(Runs.open(repo), "bank@champion")
    assert found.run == "run:bank.b"
    assert parse(found.move["at"]) > parse("2099-12-31T00:00:00Z")  # after the move it replaces
    assert found.move["previous_id"] == "set-20991231T000000000000Z-deadbeef"
