"""The seeds' configuration objects: which project, and which repository holds its runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class WorkspaceConfig:
    """``root_path`` names the git repository: an existing repository (or a folder inside
    one) is used as it is; a folder that is in no repository gets a new one."""

    root_path: str | os.PathLike[str] = field(default_factory=lambda: Path(".contexta"))


@dataclass(frozen=True)
class UnifiedConfig:
    project_name: str = "default"
    workspace: WorkspaceConfig = field(default_factory=WorkspaceConfig)
