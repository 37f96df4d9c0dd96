"""The house's floors: every import inside the package points down the layer list.

cli -> demo, compat, integrations, share, web -> release, analysis, record -> store -> git -> core.
``errors`` is below everything; ``config`` and ``contract`` (upstream's public module
paths) belong to compat; ``hook_run`` is the stub old hooks still call."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "contexta_git"
LEVEL = {"errors": 0, "core": 1, "git": 2, "store": 3, "record": 4, "analysis": 4,
         "release": 4, "integrations": 5, "share": 5, "compat": 5, "config": 5, "contract": 5,
         "demo": 5, "web": 5,
         "cli": 6, "hook_run": 6, "__main__": 7, "__init__": 7}
# one room may use another on its own floor only in this direction
SAME_FLOOR = {("compat", "config"), ("compat", "contract")}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("contexta_git"):
            found += [node.module] if node.module != "contexta_git" else [
                f"contexta_git.{a.name}" for a in node.names if a.name != "__version__"]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("contexta_git.")]
    return found


def test_every_import_points_down() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        here = rel.parts[0]
        for target in imports(path):
            there = room(target)
            if there == here:
                continue
            if LEVEL[there] < LEVEL[here] or (here, there) in SAME_FLOOR:
                continue
            wrong.append(f"{rel} imports {target}")
    assert wrong == []


def test_at_most_six_modules_at_the_top() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 6
