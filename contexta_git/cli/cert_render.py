"""Tables for the gate and verify commands (rich). Only the CLI imports this module."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from contexta_git.release.gate import GateResult
from contexta_git.release.formats import bound_text, num
from contexta_git.release.verify import ArtifactCheck, Verification
from contexta_git.cli.render import console

_STYLE = {"PASS": "green", "WARN": "yellow", "FAIL": "bold red"}


def gate_table(result: GateResult) -> None:
    out = console()
    title = f"Gate {result.run}" + (f" (baseline {result.baseline})" if result.baseline else "")
    table = Table("metric", "stage", "value", "bound", "margin", "status", "detail",
                  title=title, box=None, pad_edge=False, title_justify="left")
    for r in result.rows:
        table.add_row(r.metric, r.stage or "any", num(r.value), bound_text(r), num(r.margin),
                      f"[{_STYLE[r.status]}]{r.status}[/]", r.reason)
    out.print(table)
    out.print(f"Decision: [{_STYLE[result.decision]}]{result.decision}[/]")


def verification_lines(results: Sequence[Verification]) -> None:
    out = console()
    if not results:
        out.print("No certificates to verify.")
    for r in results:
        tag = escape(r.tag)
        if r.ok:
            doc = r.certificate
            what = escape(f"{doc['run']['ref']} {doc['decision']}, signed by {r.signer}, "
                          f"commit {(r.commit or '')[:12]}")
            if r.deliverable:
                out.print(f"[green]VALID[/] {tag}: {what}")
            else:
                out.print(f"[bold red]NOT DELIVERABLE[/] {tag}: authentic ({what}), but its "
                          f"decision is {escape(str(r.decision))}: it does not allow delivery")
        else:
            out.print(f"[bold red]INVALID[/] {tag}:")
            for problem in r.problems:
                out.print(f"  - {escape(problem)}")
        for warning in r.warnings:
            out.print(f"  [yellow]warning[/]: {escape(warning)}")


def artifact_lines(found: ArtifactCheck) -> None:
    out = console()
    if found.ok:
        out.print(f"[green]CERTIFIED[/] {found.path} (sha256 {found.sha256}) by "
                  + ", ".join(found.certified_by))
    else:
        out.print(f"[bold red]NOT CERTIFIED[/] {found.path} (sha256 {found.sha256}): no valid "
                  "certificate names this digest"
                  + (f" (invalid or FAIL: {', '.join(found.rejected_by)})" if found.rejected_by else ""))


def demo_release_steps(repo: Path, run: str, step: int) -> None:
    """The demo's gate, certify and verify steps, printed."""
    import click

    from contexta_git.demo.cert import release_steps

    def show(item: object) -> None:
        if isinstance(item, GateResult):
            gate_table(item)
        elif isinstance(item, Verification):
            verification_lines([item])
        else:
            click.echo(str(item))

    release_steps(repo, run, step, lambda text: click.secho(text, bold=True), show)
