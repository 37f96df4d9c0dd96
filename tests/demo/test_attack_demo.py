"""Attack: `demo --keep DIR` pointed at a folder that already holds the user's files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli


@pytest.mark.parametrize("name", ["quality.toml", "allowed_signers", "demo-signing-key",
                                  "demo-signing-key.pub"])
def test_attack_demo_keep_never_overwrites_files_already_there(tmp_path: Path, name: str) -> None:
    mine = tmp_path / name
    mine.write_text("# the user's own file\n")
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.output == (f"Error: {mine} already exists: give --keep a new folder\n")
    assert mine.read_text() == "# the user's own file\n"
    assert not (tmp_path / "ml-project").exists()
