"""Names are validated once, before anything is written: property tests."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexta_git.errors import InvalidName
from contexta_git.core.names import RunId, check_key, check_run, shard

VALID_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@given(st.text(max_size=300))
def test_a_run_name_is_accepted_only_when_safe_as_a_path(name: str) -> None:
    try:
        check_run(name)
    except InvalidName as exc:
        assert str(exc).startswith("invalid run name ") and "\n" not in str(exc)
        return
    assert VALID_RUN.fullmatch(name) and ".." not in name
    assert not name.endswith((".", ".lock"))


@given(st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
       st.from_regex(r"[a-z0-9][a-z0-9._-]{0,40}[a-z0-9]", fullmatch=True))
def test_refs_round_trip(project: str, name: str) -> None:
    if ".." in name:
        return
    run = RunId(project, name)
    assert RunId.parse(run.ref) == run == RunId.parse(run.id)
    assert RunId.from_path(run.path) == run
    assert run.path.split("/")[3] == shard(name) and len(shard(name)) == 2


@given(st.text(max_size=50))
def test_metric_keys_are_checked(key: str) -> None:
    try:
        check_key(key)
    except InvalidName as exc:
        assert "\n" not in str(exc)


def test_bare_name_needs_a_project() -> None:
    with pytest.raises(InvalidName, match="expected run:<project>.<name>"):
        RunId.parse("lonely")
    assert RunId.parse("lonely", default_project="p") == RunId("p", "lonely")
