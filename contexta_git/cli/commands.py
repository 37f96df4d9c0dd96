"""Imports every command module so that each registers itself on the group."""

from __future__ import annotations

from . import analysis_cmds, cert_cmds, demo_cmd, read_cmds, record_cmds  # noqa: F401
