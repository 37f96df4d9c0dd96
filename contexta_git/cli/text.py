"""The one way user text reaches the terminal.

Run names, params, event messages, quarantine reasons, branch names and error messages
are data. ``plain`` makes every control character visible (``\\x1b``, ``\\r``, ``\\u202e``),
so no escape sequence, carriage return, backspace or bidi override in a value can
repaint the terminal or fake a line; a newline stays a newline only where the caller says
the text is a multi-line document.

Rich markup is switched off rather than escaped: ``render.console`` reads no markup and
no emoji codes, so ``[/bold]``, ``[quarantined]`` or ``:100:`` in a value is printed as
written (``rich.markup.escape`` is not enough: it doubles a trailing backslash that rich
then prints twice). Styles come from ``styled``, never from tags in a string.

Every value the CLI shows passes ``plain``: through ``echo`` for lines and documents,
through ``render.fmt`` or ``styled`` for rich. JSON output needs neither: ``json.dumps``
escapes every control and non-ASCII character.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.text import Text

# C0 and C1 controls and DEL, lone surrogates (undecodable bytes in argv or files),
# the line and paragraph separators and the bidi marks, embeddings, overrides and isolates.
_OTHERS = r"\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSAFE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_UNSAFE_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# a colour or style (SGR) sequence, the only escape a drawing in colour keeps
_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def plain(value: object, *, newlines: bool = False) -> str:
    """``value`` as text safe to print: None is empty, control characters are shown as
    escapes. With ``newlines``, ``\\n`` is kept (a document of several lines)."""
    text = "" if value is None else str(value)
    pattern = _UNSAFE_BUT_NEWLINE if newlines else _UNSAFE
    return pattern.sub(_visible, text) if pattern.search(text) else text


def styled(*parts: object | tuple[object, str]) -> Text:
    """One line for rich with styles: each part is ``plain``, a ``(value, style)`` pair is
    shown in that style. Rich never reads the text as markup (see ``render.console``)."""
    from rich.text import Text  # rich loads only for commands that print with it

    return Text.assemble(*((plain(p[0]), p[1]) if isinstance(p, tuple) else plain(p)
                           for p in parts))


def colored(text: str) -> str:
    """A drawing in colour (a terminal chart): its SGR colour sequences kept, every other
    control character shown as ``plain`` shows it, newlines kept."""
    return "".join(part if i % 2 else plain(part, newlines=True)
                   for i, part in enumerate(_SGR.split(text)))


def terminal_colors() -> bool:
    """Whether stdout is a terminal that may get colours (no NO_COLOR in the environment)."""
    import os
    import sys

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def echo(value: object, *, err: bool = False, nl: bool = True, bold: bool = False,
         document: bool = False, drawing: bool = False) -> None:
    """Print ``plain(value)`` with click; a ``document`` (Markdown, HTML, XML) keeps its
    newlines; a ``drawing`` (see ``colored``) its newlines and colours. The CLI's only way
    to print text without rich."""
    text = colored(str(value)) if drawing else plain(value, newlines=document)
    click.secho(text, err=err, nl=nl, bold=bold or None)
