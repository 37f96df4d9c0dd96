"""Gate, certify, verify and card: the release commands."""

from __future__ import annotations

from pathlib import Path

import click

from contexta_git.cli.main import cli
from contexta_git.cli.options import write_output, echo_json, json_option, project_option, runs_of
from contexta_git.cli.text import echo

policy_option = click.option("--policy", type=click.Path(dir_okay=False), required=True,
                             help="Policy file (TOML): one [metrics.<name>] table per metric.")
baseline_option = click.option("--baseline", help="Baseline run for change checks "
                               "(overrides the policy's baseline).")


@cli.command()
@click.argument("run")
@policy_option
@baseline_option
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "junit"]),
              default="text", show_default=True, help="Output format.")
@click.pass_context
def gate(ctx: click.Context, run: str, policy: str, baseline: str | None, project: str | None,
         fmt: str) -> None:
    """Check RUN against a policy: a row per check and the decision.
    Exit 0 on PASS or WARN, 1 on FAIL, 2 when the gate cannot be evaluated."""
    from contexta_git.release.gate import gate as do_gate
    from contexta_git.release.formats import gate_junit, gate_markdown
    from contexta_git.release.policy import load_policy

    result = do_gate(runs_of(ctx), run, load_policy(policy), baseline=baseline, project=project)
    if fmt == "json":
        echo_json(result.to_dict())
    elif fmt == "md":
        echo(gate_markdown(result), document=True)
    elif fmt == "junit":
        echo(gate_junit(result), document=True, nl=False)
    else:
        from contexta_git.cli.cert_render import gate_table

        gate_table(result)
    ctx.exit(0 if result.passed else 1)


@cli.command()
@click.argument("run")
@policy_option
@click.option("--client", required=True, help="Who the certificate is for.")
@click.option("--model", required=True, help="Model name and version being delivered.")
@click.option("--id", "cert_id", help="Certificate id (default: <run>-<UTC date-time>).")
@click.option("--allow-fail", is_flag=True, help="Certify even a failing gate (records FAIL).")
@click.option("--no-sign", is_flag=True, help="Make an unsigned annotated tag (verify rejects it).")
@click.option("--attestation", is_flag=True,
              help="Also write a signed in-toto attestation (DSSE) beside the certificate.")
@baseline_option
@project_option
@json_option
@click.pass_context
def certify(ctx: click.Context, run: str, policy: str, client: str, model: str,
            cert_id: str | None, allow_fail: bool, no_sign: bool, attestation: bool,
            baseline: str | None, project: str | None, as_json: bool) -> None:
    """Gate RUN, then commit certificates/<id>/ and seal it with the signed tag
    contexta/cert/<id> (signed with your git signing configuration)."""
    from contexta_git.release.certify import certify as do_certify
    from contexta_git.release.policy import load_policy

    done = do_certify(runs_of(ctx), run, load_policy(policy), client=client, model=model,
                      cert_id=cert_id, allow_fail=allow_fail, sign=not no_sign,
                      baseline=baseline, project=project, attestation=attestation)
    if as_json:
        echo_json({"id": done.id, "tag": done.tag, "commit": done.commit, "signed": done.signed,
                   "decision": done.decision, "tag_object": done.tag_object})
        return
    echo(f"Certified {done.document['run']['ref']} as {done.id}: {done.decision}")
    echo(f"  commit {done.commit} holds certificates/{done.id}/certificate.toml")
    seal = "signed" if done.signed else "UNSIGNED (--no-sign): verify will reject it"
    echo(f"  tag {done.tag.removeprefix('refs/tags/')} ({seal})")
    if attestation:
        echo(f"  attestation certificates/{done.id}/attestation.intoto.json (export it with "
             f"contexta-git attestation {done.id} -o FILE)")


@cli.command()
@click.argument("cert", required=False)
@click.option("--all", "check_all", is_flag=True, help="Verify every certificate.")
@click.option("--artifact", type=click.Path(dir_okay=False),
              help="Say whether this file's sha256 belongs to a validly certified run.")
@click.option("--alias", "alias", metavar="PROJECT@ALIAS",
              help="Verify the signed tag of the alias's current move against the runs branch.")
@click.option("--attestation", type=click.Path(dir_okay=False, path_type=Path),
              help="Verify this in-toto attestation: signature, subjects, certificate.")
@click.option("--model-file", type=click.Path(dir_okay=False, path_type=Path),
              help="With --attestation: the model file that must be one of its subjects.")
@json_option
@click.pass_context
def verify(ctx: click.Context, cert: str | None, check_all: bool, artifact: str | None,
           alias: str | None, attestation: Path | None, model_file: Path | None,
           as_json: bool) -> None:
    """Verify CERT (id or tag name) offline: signature with git verify-tag and a trusted
    signer, then the tag, the certified commit, every number, the recomputed gate and
    quarantines. Exit 0 only if valid and the decision allows delivery (not FAIL)."""
    from contexta_git.release import verify as v
    from contexta_git.cli.cert_render import artifact_lines, verification_lines

    if sum(map(bool, (cert, check_all, artifact, alias, attestation))) != 1:
        raise click.UsageError("give exactly one of CERT, --all, --artifact, --alias or "
                               "--attestation")
    if model_file is not None and attestation is None:
        raise click.UsageError("--model-file goes with --attestation")
    if attestation is not None:
        ctx.exit(_verify_attestation(ctx, attestation, model_file, as_json))
    runs = runs_of(ctx)
    if alias:
        from contexta_git.cli.cert_render import alias_lines
        from contexta_git.release.verify_alias import verify_alias

        checked = verify_alias(runs, alias)
        echo_json(checked.to_dict()) if as_json else alias_lines(checked)
        ctx.exit(0 if checked.ok else 1)
    if artifact:
        found = v.verify_artifact(runs, artifact)
        echo_json(found.__dict__) if as_json else artifact_lines(found)
        ctx.exit(0 if found.ok else 1)
    results = v.verify_all(runs) if check_all else [v.verify(runs, str(cert))]
    if as_json:
        echo_json([r.to_dict() for r in results])
    else:
        verification_lines(results)
    ctx.exit(0 if results and all(r.deliverable for r in results) else 1)


@cli.command()
@click.argument("run")
@click.option("--policy", type=click.Path(dir_okay=False), help="Show these thresholds.")
@click.option("--certificate", help="Reference (and verify) this certificate id.")
@click.option("--model", help="Model name (default: the certificate's, else the run's).")
@click.option("--intended-use", help="Intended use (default: the run's tag intended_use).")
@click.option("--limitations", help="Limitations (default: the run's tag limitations).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
@project_option
@click.pass_context
def card(ctx: click.Context, run: str, policy: str | None, certificate: str | None,
         model: str | None, intended_use: str | None, limitations: str | None,
         output: str | None, project: str | None) -> None:
    """Render a Markdown model card for RUN with Hugging Face model-index front matter."""

    from contexta_git.release.card import card as do_card
    from contexta_git.release.policy import load_policy

    text = do_card(runs_of(ctx), run, policy=load_policy(policy) if policy else None,
                   certificate=certificate, model=model, intended_use=intended_use,
                   limitations=limitations, project=project)
    if output:
        write_output(output, text)
        echo(f"Wrote {output}")
    else:
        echo(text, document=True, nl=False)


def _verify_attestation(ctx: click.Context, path: Path, model: Path | None, as_json: bool) -> int:
    from contexta_git.cli.cert_render import attestation_lines
    from contexta_git.errors import NotARepository
    from contexta_git.release.verify_attestation import verify_attestation

    try:
        runs = runs_of(ctx)
    except NotARepository:
        if ctx.obj and ctx.obj.get("repo"):
            raise
        runs = None  # a client without the repository: signature and subjects only
    found = verify_attestation(runs, path, model)
    echo_json(found.to_dict()) if as_json else attestation_lines(found)
    return 0 if found.ok else 1


@cli.command()
@click.argument("name", metavar="RUN|CERT")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (default: standard output).")
@project_option
@click.pass_context
def attestation(ctx: click.Context, name: str, output: Path | None, project: str | None) -> None:
    """Export the signed in-toto attestation of a certificate (or of RUN's latest one)."""
    from contexta_git.release.verify_attestation import exported

    cert_id, data = exported(runs_of(ctx), name, project)
    if output is None:
        echo(data.decode(), document=True, nl=False)
        return
    write_output(str(output), data.decode())
    echo(f"Wrote the attestation of certificate {cert_id} to {output}", err=True)
