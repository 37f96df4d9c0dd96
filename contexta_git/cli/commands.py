"""Imports every command module so that each registers itself on the group."""

from __future__ import annotations

from . import (  # noqa: F401
    alias_cmds, analysis_cmds, cert_cmds, compare_cmd, demo_cmd, plot_cmd, policy_cmds, read_cmds,
    record_cmds, remote_cmds, reproduce_cmd, share_cmds, transfer_cmds, ui_cmd, upstream_cmds,
)
