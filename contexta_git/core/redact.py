"""Keep secrets out of git: redact by key name, by value shape, and in URLs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"

# Key segments that name a secret. A key is split on non-letters and camelCase.
_SECRET_WORDS = {
    "token", "secret", "password", "passwd", "pwd", "key", "apikey", "credential",
    "credentials", "auth", "authorization", "bearer", "private", "cookie", "passphrase",
}
# Key segments that are never secrets although a secret word stands beside them.
_SAFE_KEYS = {"metric_key", "event_key", "sort_key", "key_metric", "public_key", "keys"}
# Well-known token shapes: redacted wherever they appear as a value.
_TOKEN_SHAPES = re.compile(
    r"(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|sk-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{30,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
)


def _segments(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return [s for s in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if s]


def is_secret_key(key: str) -> bool:
    if key.lower().replace("-", "_") in _SAFE_KEYS:
        return False
    return any(seg in _SECRET_WORDS for seg in _segments(key))


# ``scheme://user:pass@`` anywhere in a string
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/@:]*(?::[^\s/@]*)?@")
# ``--api-key=X``, ``--password X``, ``DB_TOKEN=X``, ``?token=X``: a name holding a secret word,
# then its value (the name is checked again by is_secret_key, so "keyboard" stays)
_WORDS = ("token|secret|password|passwd|pwd|apikey|key|credentials?|auth|authorization|"
          "private|cookie|passphrase")
_NAMED_SECRET = re.compile(
    rf"(?<![\w.-])(?P<name>-{{0,2}}[\w.-]*?(?:{_WORDS})[\w.-]*)"
    r"(?P<sep>\s*[=:]\s*|\s+)(?P<value>[^\s,;&'\"]+)", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def _named(match: re.Match[str]) -> str:
    name = match.group("name")
    if not is_secret_key(name.lstrip("-")):
        return match.group(0)
    if not match.group("sep").strip() and not name.startswith("-"):
        return match.group(0)  # prose ("the token expired"): a bare word needs = or :
    return f"{name}{match.group('sep')}{REDACTED}"


def redact_text(text: str) -> str:
    """Secrets inside free text: token shapes, URL credentials, and the values of
    secret-looking flags and assignments (``--api-key X``, ``PASSWORD=X``)."""
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(r"\1", text)
    return _NAMED_SECRET.sub(_named, text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def redact(mapping: dict[str, Any]) -> dict[str, Any]:
    """A copy in which every value under a secret-looking key is replaced."""
    return {
        k: (REDACTED if is_secret_key(str(k)) else redact_value(v)) for k, v in mapping.items()
    }


def clean_url(url: str) -> str:
    """Drop user and password from a URL (``https://user:tok@host/x`` -> ``https://host/x``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
