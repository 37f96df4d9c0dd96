"""The rule that decides which alias move is current: a total order over the union of
moves, the same in every clone whatever order the moves arrive in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contexta_git.errors import InvalidName
from contexta_git.store import ledgers
from contexta_git.store.ledgers import AliasName

import pytest


def test_same_time_moves_break_the_tie_by_id() -> None:
    one = {"id": "set-1-aaaa", "at": "2025-03-03T10:00:00Z", "run": "run:p.x"}
    two = {"id": "set-1-bbbb", "at": "2025-03-03T10:00:00.000000Z", "run": "run:p.y"}
    assert ledgers.current([one, two]) == ledgers.current([two, one]) == two
    # an offset time is compared as a time, not as text: 11:30+02:00 is 09:30Z
    three = {"id": "set-0", "at": "2025-03-03T11:30:00+02:00", "run": "run:p.z"}
    assert ledgers.current([one, three]) == one
    protect = {"id": "protect-9", "action": "protect", "at": "2030-01-01T00:00:00Z"}
    assert ledgers.current([one, protect]) == one and ledgers.protected([one, protect]) == protect


moves = st.lists(st.fixed_dictionaries({
    "id": st.text("abcdef0123", min_size=1, max_size=6),
    "at": st.datetimes().map(lambda d: d.isoformat() + "Z"),
    "run": st.sampled_from(["run:p.x", "run:p.y", "run:p.z"])}), min_size=1, max_size=8,
    unique_by=lambda m: m["id"])


@given(moves, st.randoms())
def test_current_does_not_depend_on_arrival_order(found: list[dict[str, str]], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(found)
    rnd.shuffle(shuffled)
    assert ledgers.current(shuffled) == ledgers.current(found)


@pytest.mark.parametrize("text", ["champion", "@champion", "p@", "p@a@b", "p q@a", "p@a b",
                                  "p@.hidden", "p@a..b", "p@a.lock", "..@a"])
def test_malformed_alias_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidName):
        AliasName.parse(text)


def test_alias_paths_and_tags() -> None:
    name = AliasName.parse("churn@champion")
    assert name.path == "projects/churn/aliases/champion.toml"
    assert name.tag("set-1") == "refs/tags/contexta/alias/churn/champion/set-1"
    assert ledgers.table_of(name.path) == "moves"
    assert ledgers.table_of("projects/churn/deployments/prod.toml") == "deployments"
    assert ledgers.table_of("projects/churn/quarantines/r.toml") is None


@given(st.text(max_size=40))
def test_any_text_is_an_alias_or_one_invalid_name(text: str) -> None:
    try:
        name = AliasName.parse(text)
    except InvalidName as exc:
        assert "\n" not in str(exc)
        return
    assert str(name) == text
    assert name.path.startswith(f"projects/{name.project}/aliases/") and name.path.count("/") == 3
