"""User text is data: every command prints it as written, never as rich markup, never
as a control sequence that reaches the terminal."""

from __future__ import annotations

import ast
import io
import re
import unicodedata
from contextlib import redirect_stdout
from pathlib import Path

from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from contexta_git.cli.main import cli
from contexta_git.cli.render import console
from contexta_git.cli.text import plain, styled
from tests.release.certs import ssh_key, use_ssh

ESC = "\x1b"
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
BIDI = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def invoke(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--repo", str(repo), *args])
    return result.exit_code, result.output


def record(repo: Path, name: str, *args: str) -> None:
    code, out = invoke(repo, "record", "-p", "p", "-n", name, "--no-environment", *args)
    assert code == 0, out


def line_of(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(start))


def test_show_prints_brackets_literally_and_no_raw_escape(repo: Path) -> None:
    record(repo, "m1", "--metric", "acc=0.5", "--param", "note=oops[/bold]",
           "--param", "tag=[WARN] low [red]disk", "--param", "dir=C:\\data\\",
           "--param", f"esc=a{ESC}[31mred{ESC}[0m",
           "--event", f"data.check=[WARN] split [/bold]{ESC}]0;title\x07 ok\rFAKE\bX")
    code, out = invoke(repo, "show", "m1")
    assert code == 0, out
    assert "note=oops[/bold]" in out and "tag=[WARN] low [red]disk" in out
    assert "dir=C:\\data\\," in out
    assert "esc=a\\x1b[31mred\\x1b[0m" in out
    assert "event [info] data.check: [WARN] split [/bold]\\x1b]0;title\\x07 ok\\rFAKE\\x08X" in out
    assert ESC not in out and not RAW_CONTROL.search(out)


def test_runs_marks_quarantined_runs_and_show_says_so(repo: Path) -> None:
    record(repo, "good", "--metric", "acc=0.9")
    record(repo, "bad", "--metric", "acc=0.95")
    assert invoke(repo, "quarantine", "bad", "--reason", "[/x] leaky [bold]split")[0] == 0
    code, out = invoke(repo, "runs", "--include-quarantined")
    assert code == 0, out
    assert "completed [quarantined]" in line_of(out, "run:p.bad")
    assert "[quarantined]" not in line_of(out, "run:p.good")
    assert "run:p.bad" not in invoke(repo, "runs")[1]
    assert "completed [quarantined]" in line_of(invoke(repo, "runs", "--quarantined")[1], "run:p.bad")
    code, out = invoke(repo, "show", "bad")
    assert code == 0 and out.startswith("run:p.bad  completed  QUARANTINED\n"), out
    assert "contexta.quarantine: [/x] leaky [bold]split" in out


def test_verify_prints_a_bracketed_quarantine_reason_and_exits_1(repo: Path, tmp_path: Path) -> None:
    use_ssh(repo, ssh_key(tmp_path / "keys"))
    record(repo, "good", "--metric", "acc=0.95")
    (tmp_path / "quality.toml").write_text("[metrics.acc]\nmin = 0.9\n")
    code, out = invoke(repo, "certify", "good", "--policy", str(tmp_path / "quality.toml"),
                       "--client", "C", "--model", "M", "--id", "c1")
    assert code == 0, out
    assert invoke(repo, "verify", "c1")[0] == 0
    assert invoke(repo, "quarantine", "good", "--reason", f"[/x] bad{ESC}[2J")[0] == 0
    for args in (["c1"], ["--all"]):
        code, out = invoke(repo, "verify", *args)
        assert code == 1, out
        assert out.startswith("INVALID contexta/cert/c1:\n")
        assert "was quarantined after certification ([/x] bad\\x1b[2J)" in out
        assert ESC not in out


def test_diff_prints_bracketed_params_and_emoji_like_names_literally(repo: Path) -> None:
    record(repo, "a", "--metric", "eval:100:acc=0.5", "--param", "x=[bold]", "--param", "y=[WARN]")
    record(repo, "b", "--metric", "eval:100:acc=0.7", "--param", "x=[/bold]",
           "--param", f"y=[WARN]{ESC}[1A")
    code, out = invoke(repo, "diff", "a", "b")
    assert code == 0, out
    assert "param x: [bold] -> [/bold]" in out
    assert "param y: [WARN] -> [WARN]\\x1b[1A" in out
    assert "eval:100:acc" in line_of(out, "(run)")
    code, out = invoke(repo, "diff", "a", "b", "--md")
    assert code == 0 and "| x | [bold] | [/bold] |" in out and ESC not in out, out


def test_gate_prints_metric_names_as_written(repo: Path, tmp_path: Path) -> None:
    record(repo, "a", "--metric", "eval:100:acc=0.5", "--metric", "top:1st_place_medal:=1")
    policy = tmp_path / "quality.toml"
    policy.write_text('[metrics."eval:100:acc"]\nmin = 0.6\n[metrics."top:1st_place_medal:"]\nmin = 0\n')
    code, out = invoke(repo, "gate", "a", "--policy", str(policy))
    assert code == 1, out
    assert line_of(out, "eval:100:acc").endswith("FAIL    0.5 < min 0.6")
    assert "PASS" in line_of(out, "top:1st_place_medal:")
    assert out.endswith("Decision: FAIL\n")
    code, out = invoke(repo, "gate", "a", "--policy", str(policy), "--format", "md")
    assert code == 1 and "| eval:100:acc | any | 0.5 | >= 0.6 |" in out


def test_error_lines_show_control_characters_as_escapes(repo: Path, tmp_path: Path) -> None:
    record(repo, "a", "--metric", "acc=1")
    target = tmp_path / f"gone{ESC}[2J\x07" / "r.md"
    code, out = invoke(repo, "report", "a", "-o", str(target))
    assert code == 2
    assert out.startswith(f"Error: cannot write {tmp_path}/gone\\x1b[2J\\x07/r.md: "), out
    assert out.count("\n") == 1 and ESC not in out


def test_every_line_printed_by_the_cli_passes_the_render_helper() -> None:
    """Only text.echo prints with click and only echo_json prints JSON: a new command
    cannot print user text around the helper."""
    package = Path(__file__).parents[2] / "contexta_git" / "cli"
    offenders = []
    for source in sorted(package.glob("*.py")):
        for func in ast.walk(ast.parse(source.read_text())):
            if isinstance(func, ast.FunctionDef):
                offenders += [f"{source.name}:{func.name}" for node in ast.walk(func)
                              if isinstance(node, ast.Call) and _prints(node.func)]
    assert offenders == ["options.py:echo_json", "text.py:echo"]


def _prints(func: ast.expr) -> bool:
    """``click.echo``, ``click.secho`` or ``print``."""
    if isinstance(func, ast.Attribute):
        return (func.attr in ("echo", "secho") and isinstance(func.value, ast.Name)
                and func.value.id == "click")
    return isinstance(func, ast.Name) and func.id == "print"


def unsafe(char: str) -> bool:
    """An oracle independent of text.py's table: controls, surrogates, line and paragraph
    separators, bidi formatting characters and marks."""
    return (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
            or unicodedata.bidirectional(char) in BIDI or char in "\u200e\u200f\u061c")


tricky = st.text(st.one_of(st.characters(exclude_categories=()),
                           st.sampled_from(list("[]/\\:@#ab \x1b\r\n\t\b\x9b\u202e"))))


def rendered(line: object) -> str:
    """What the CLI's own console prints for ``line``, without the final newline."""
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        console().print(line)
    assert buffer.getvalue().endswith("\n")
    return buffer.getvalue()[:-1]


@given(tricky)
def test_plain_leaves_no_control_character_and_keeps_printable_text(text: str) -> None:
    shown = plain(text)
    assert not any(unsafe(c) for c in shown)
    if not any(unsafe(c) for c in text):
        assert shown == text
    kept = plain(text, newlines=True)
    assert not any(unsafe(c) for c in kept.replace("\n", ""))
    assert kept.count("\n") == text.count("\n")
    assert kept.replace("\n", "\\n") == shown


@given(tricky, tricky)
@example("C:\\data\\", "[bold]x\\")  # rich.markup.escape would print the last backslash twice
def test_rich_prints_the_plain_text_as_written(text: str, more: str) -> None:
    assert rendered(plain(text)) == plain(text)
    assert rendered(styled((text, "bold"), "[/]", more, (more, "red"))) == (
        plain(text) + "[/]" + plain(more) + plain(more))
    assert rendered(f"{plain(text)}[bold]{plain(more)}[/bold]") == f"{plain(text)}[bold]{plain(more)}[/bold]"


def test_control_characters_have_readable_escapes() -> None:
    assert plain("a\x1b[31mb\rc\td\x08e\x00\x7f\x9b\u202eZ\udcff") == (
        "a\\x1b[31mb\\rc\\td\\x08e\\x00\\x7f\\x9b\\u202eZ\\udcff")
    assert plain(None) == "" and plain(0.5) == "0.5"
    assert plain("two\nlines", newlines=True) == "two\nlines" and plain("two\nlines") == "two\\nlines"
