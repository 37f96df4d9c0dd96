"""The README's command reference is generated from --help and kept current; CI runs
the README's test command, ruff, mypy and cog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.cli.reference import command_paths, help_text, reference

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"<!-- \[\[\[cog\n.*?\]\]\] -->\n(.*?)<!-- \[\[\[end\]\]\] -->", re.S)


def _generated() -> str:
    found = BLOCK.findall(README)
    assert len(found) == 1, "README.md needs exactly one cog block"
    return found[0]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "contexta-git")
def test_every_command_is_in_the_readme_reference_with_its_current_help(
        path: tuple[str, ...]) -> None:
    shown = CliRunner().invoke(cli, [*path, "--help"], prog_name="contexta-git",
                               terminal_width=80)
    assert shown.exit_code == 0
    assert help_text(path) == shown.output.rstrip("\n")
    heading = f"### `{' '.join(('contexta-git', *path))}`\n\n```text\n{help_text(path)}\n```"
    assert heading in _generated(), f"{path} is missing or stale: run cog -r README.md"


def test_reference_covers_every_visible_command_and_nothing_else() -> None:
    assert _generated() == reference()
    listed = re.findall(r"^### `contexta-git ?([^`]*)`$", _generated(), re.M)
    expected = {" ".join((*prefix, name)) for prefix, group in _groups()
                for name, cmd in group.commands.items() if not cmd.hidden}
    assert set(listed) == expected | {""}
    assert {"policy init", "hooks install", "init"} <= set(listed)


def _groups() -> list[tuple[tuple[str, ...], object]]:
    import click

    out: list[tuple[tuple[str, ...], object]] = [((), cli)]
    for name, cmd in cli.commands.items():
        if isinstance(cmd, click.Group):
            out.append(((name,), cmd))
    return out


def test_ci_runs_the_readme_test_command_and_the_shape_checks() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    quickstart = re.search(r"```sh\n(python3 -m venv .venv && .*pytest -q)\n```", README)
    assert quickstart is not None
    test_command = quickstart.group(1).rsplit(" && ", 1)[1]
    assert test_command == ".venv/bin/python -m pytest -q"
    assert ci[-1] == test_command
    for check in (".venv/bin/ruff check .", ".venv/bin/mypy contexta_git",
                  ".venv/bin/cog --check README.md"):
        assert check in ci
