"""Imports every command module so that each registers itself on the group."""

from __future__ import annotations

from . import demo_cmd, read_cmds, record_cmds  # noqa: F401
from . import share_cmds  # noqa: F401
