"""Pages of the web view from their templates (web/templates/ui_*.html.j2), autoescaped:
user text (run names, params, event messages) is always data, never markup."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("contexta_git.web", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["number"] = number
    env.globals["zip"] = zip
    return env


def number(value: Any) -> str:
    """A value as the CLI prints it: floats to 6 significant digits, None as nothing."""
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def render(template: str, context: dict[str, Any]) -> bytes:
    return environment().get_template(template).render(context).encode("utf-8")
