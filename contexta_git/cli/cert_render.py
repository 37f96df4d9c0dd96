"""Tables for the gate and verify commands (rich). Only the CLI imports this module.
Every value goes through ``fmt`` or ``styled``: printed as written (see ``text``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from pathlib import Path

from rich.table import Table

from contexta_git.release.gate import GateResult
from contexta_git.release.formats import bound_text, num
from contexta_git.release.verify import ArtifactCheck, Verification
from contexta_git.release.verify_alias import AliasVerification
from contexta_git.cli.render import console, fmt
from contexta_git.cli.text import echo, styled

_STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red"}


def gate_table(result: GateResult) -> None:
    out = console()
    title = f"Gate {fmt(result.run)}" + (f" (baseline {fmt(result.baseline)})"
                                          if result.baseline else "")
    table = Table("metric", "stage", "value", "bound", "margin", "status", "detail",
                  title=title, box=None, pad_edge=False, title_justify="left")
    for r in result.rows:
        table.add_row(fmt(r.metric), fmt(r.stage or "any"), num(r.value), bound_text(r),
                      num(r.margin), styled((r.status, _STYLE[r.status])), fmt(r.reason))
    out.print(table)
    out.print(styled("Decision: ", (result.decision, _STYLE[result.decision])))


def verification_lines(results: Sequence[Verification]) -> None:
    out = console()
    if not results:
        out.print("No certificates to verify.")
    for r in results:
        if r.ok:
            doc = r.certificate
            what = (f"{doc['run']['ref']} {doc['decision']}, signed by {r.signer}, "
                    f"commit {fmt(r.commit, 12)}")
            if r.deliverable:
                out.print(styled(("VALID", "green"), f" {r.tag}: {what}"))
            else:
                out.print(styled(("NOT DELIVERABLE", "bold red"),
                                 f" {r.tag}: authentic ({what}), but its decision is "
                                 f"{r.decision}: it does not allow delivery"))
        else:
            out.print(styled(("INVALID", "bold red"), f" {r.tag}:"))
            for problem in r.problems:
                out.print(f"  - {fmt(problem)}")
        for warning in r.warnings:
            out.print(styled("  ", ("warning", "yellow"), f": {warning}"))


def alias_lines(found: AliasVerification) -> None:
    out = console()
    if found.ok:
        out.print(styled(("VALID", "green"), f" {found.alias} -> {found.run}: tag {found.tag}, "
                         f"signed by {found.signer}"))
    else:
        out.print(styled(("INVALID", "bold red"), f" {found.alias} -> {found.run}:"))
        for problem in found.problems:
            out.print(f"  - {fmt(problem)}")
    for warning in found.warnings:
        out.print(styled("  ", ("warning", "yellow"), f": {warning}"))


def artifact_lines(found: ArtifactCheck) -> None:
    out = console()
    if found.ok:
        out.print(styled(("CERTIFIED", "green"), f" {found.path} (sha256 {found.sha256}) by "
                         + ", ".join(found.certified_by)))
    else:
        rejected = ", ".join(found.rejected_by)
        out.print(styled(("NOT CERTIFIED", "bold red"), f" {found.path} (sha256 {found.sha256}): "
                         "no valid certificate names this digest"
                         + (f" (invalid or FAIL: {rejected})" if rejected else "")))


def demo_release_steps(repo: Path, run: str, step: int) -> None:
    """The demo's gate, certify and verify steps, printed."""
    from contexta_git.demo.cert import release_steps

    def show(item: object) -> None:
        if isinstance(item, GateResult):
            gate_table(item)
        elif isinstance(item, Verification):
            verification_lines([item])
        else:
            echo(item)

    release_steps(repo, run, step, lambda text: echo(text, bold=True), show)


def attestation_lines(found: Any) -> None:
    """The verdict on one attestation file."""
    if found.ok:
        echo(f"VALID {found.file}: certificate {found.certificate}, signed by {found.signer}"
             + (f", model sha256 {found.model_sha256} is a subject" if found.model_sha256 else ""))
    else:
        echo(f"INVALID {found.file}")
        for problem in found.problems:
            echo(f"  - {problem}")
    for warning in found.warnings:
        echo(f"  warning: {warning}")
