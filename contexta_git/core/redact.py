"""Keep secrets out of git: by key name, by value shape, in URLs and on command lines.

``records.dumps`` runs ``redact_record`` on every document it serialises, so every
record that reaches the runs branch passes here, whichever code path wrote it.

* **Key names.** A key is split into words (``DB_PASS`` -> db, pass; ``apiKey`` -> api,
  key). It names a secret when a word is one of ``_ANYWHERE`` (password, secret, ...),
  when its *last* word is one of ``_LAST`` (``api_key``, ``hf_token``, ``db_pass``) and the
  word before it does not make it an ordinary name (``pad_token``, ``rng_key``), or when
  a word ends in password / secret / token (``PGPASSWORD``). Its value becomes
  ``[redacted]``, unless it is a boolean (a flag, never a secret).
* **Shapes.** Well-known token formats (GitHub, GitLab, OpenAI, Stripe, Google, Slack,
  npm, PyPI, Hugging Face, AWS key ids, SendGrid, JWTs), PEM private key blocks and
  chat webhooks are replaced wherever they appear.
* **Named values in text.** ``--password X``, ``--password 'a b'``, ``'--api-key=a b'``,
  ``PGPASSWORD=X``, ``password=a,b``, ``"password": "x"``, ``?token=X`` and the signature
  parameters of presigned S3 and Azure SAS URLs: the whole value goes, up to the space,
  quote or ``&`` that ends it.
* **URL credentials**: ``scheme://user:pass@`` loses ``user:pass@``.

No entropy guessing: git ids and sha256 digests are hex of high entropy and must stay.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "[redacted]"

# -- key names ---------------------------------------------------------------------------
_ANYWHERE = {"password", "passwd", "passphrase", "secret", "secrets", "credential",
             "credentials", "apikey", "cookie", "authorization", "bearer", "privatekey"}
_LAST = {"token", "key", "pass", "pwd", "auth"}
_SUFFIXES = ("password", "passwd", "secret", "apikey", "token")
# a word before the last one that makes the name an ordinary one
_ORDINARY_BEFORE = {
    "key": {"metric", "event", "sort", "public", "rng", "prng", "random", "jax", "cache",
            "primary", "foreign", "partition", "group", "join", "label", "text", "image",
            "input", "output", "target", "column", "dict", "feature", "lookup", "index",
            "hash", "map", "shard", "row", "query", "attention", "dataset", "data"},
    "token": {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "start", "end", "stop",
              "special", "image", "audio", "video", "decoder", "max", "min", "num"},
    "pass": {"forward", "backward", "first", "second", "single", "multi", "one", "two", "num"},
    "auth": {"use", "no", "skip", "require", "enable", "disable"},
}
# query parameters that carry signatures (presigned S3, Azure SAS, GCS)
_QUERY_SECRETS = {"sig", "signature", "x-amz-signature", "x-amz-credential",
                  "x-amz-security-token", "x-goog-signature", "x-goog-credential"}


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [s for s in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if s]


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    words = _words(key)
    if not words:
        return False
    if any(w in _ANYWHERE or (w.endswith(_SUFFIXES) and w not in _LAST) for w in words):
        return True
    last = words[-1]
    if last not in _LAST:
        return False
    return len(words) == 1 or words[-2] not in _ORDINARY_BEFORE.get(last, set())


def _is_query_secret(name: str) -> bool:
    return name.lower() in _QUERY_SECRETS or is_secret_key(name)


# -- shapes ------------------------------------------------------------------------------
_PEM = re.compile(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----.*?"
                  r"(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL)
_WEBHOOKS = re.compile(r"https://(?:hooks\.slack\.com/(?:services|workflows|triggers)"
                       r"|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks)/[A-Za-z0-9/_-]+")
_TOKEN_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|sk-(?=[\w-]*[A-Z])(?=[\w-]*[0-9])[A-Za-z0-9_-]{20,}"
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|npm_[A-Za-z0-9]{36}|pypi-Ag[A-Za-z0-9_-]{40,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|hf_[A-Za-z0-9]{30,}|SG\.[\w-]{16,}\.[\w-]{16,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})")
# ``Bearer X`` / ``Basic X``: X must look random (a digit, ``=``, ``+``, ``/`` or an inner
# capital), so that prose such as "Basic statistics" stays
_BEARER = re.compile(r"\b((?i:Bearer|Basic))\s+(?=[\w.~+/=-]*(?:[0-9=+/]|[a-z][A-Z]))"
                     r"[A-Za-z0-9._~+/=-]{8,}")
# a cheap test, on the lower-cased text, that a string may hold anything the passes
# below would change (an alternation of literals without IGNORECASE is 15x faster)
_MAYBE = re.compile(r"token|secret|pass|pwd|key|credential|auth|cookie|bearer|basic|sig|priv"
                    r"|://|@|gh[pousr]_|github_pat_|glpat-|sk[-_]|rk_|whsec_|xox|akia|asia|hf_"
                    r"|eyj|aiza|npm_|pypi-|sg\.")

# -- named values ------------------------------------------------------------------------
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)(?:[^\s/@:]*(?::[^\s/@]*)?@)+")
_QUERY = re.compile(r"(?<=[?&])(?P<name>[A-Za-z0-9_.-]+)=(?P<value>[^&#\s'\"<>]*)")
_QUOTED_VALUE = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
# ``"password": "x"``, ``'password': 'x'`` (JSON, Python and YAML mappings)
_QUOTED_NAME = re.compile(r"(?P<q>[\"'])(?P<name>[\w .-]{1,80})(?P=q)(?P<sep>\s*[:=]\s*)"
                          rf"(?P<value>{re.escape(REDACTED)}|{_QUOTED_VALUE}|[^\s,}}\]]+)")
# ``'--api-key=a b'``: one quoted argument, the value runs to the closing quote
_QUOTED_ARG = re.compile(r"(?P<q>[\"'])(?P<name>-{0,2}[A-Za-z_][\w.-]*)(?P<sep>=)"
                         r"(?P<value>[^\"'\n]*)(?P=q)")
_TRIGGER = "token|secret|pass|pwd|key|credential|auth|cookie|bearer|priv"
# ``--api-key X``, ``--password 'a b'``, ``DB_PASSWORD=X``, ``password: x``
_NAMED = re.compile(rf"(?<![\w.?&/-])(?P<name>-{{0,2}}(?=[A-Za-z_])[\w.-]*?(?:{_TRIGGER})[\w.-]*)"
                    rf"(?P<sep>\s*[=:]\s*|\s+)(?P<value>{_QUOTED_VALUE}|[^\s'\"]+)", re.IGNORECASE)


def _hidden(value: str) -> str:
    """``value`` replaced, keeping the quotes around it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return f"{value[0]}{REDACTED}{value[0]}"
    return REDACTED


def _named(match: re.Match[str]) -> str:
    name, sep, value = match.group("name"), match.group("sep"), match.group("value")
    if not is_secret_key(name.lstrip("-")) or value.strip("'\"") == REDACTED:
        return match.group(0)
    if not sep.strip() and not name.startswith("-"):
        return match.group(0)  # prose ("the token expired"): a bare word needs = or :
    return f"{name}{sep}{_hidden(value)}"


def _quoted(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("name").lstrip("-")):
        return match.group(0)
    q, value = match.group("q"), match.group("value")
    hidden = value if value.strip("'\"") == REDACTED else _hidden(value)
    if match.re is _QUOTED_ARG:
        return f"{q}{match.group('name')}={REDACTED}{q}"
    return f"{q}{match.group('name')}{q}{match.group('sep')}{hidden}"


def _query(match: re.Match[str]) -> str:
    if not _is_query_secret(match.group("name")) or not match.group("value"):
        return match.group(0)
    return f"{match.group('name')}={REDACTED}"


def redact_text(text: str) -> str:
    """Secrets inside free text: token shapes, private keys, webhooks, URL credentials and
    signatures, and the whole value of secret-looking flags and assignments."""
    if not _MAYBE.search(text.lower()):
        return text
    text = _PEM.sub(REDACTED, text)
    text = _WEBHOOKS.sub(REDACTED, text)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(r"\1", text)
    if "=" in text:
        text = _QUERY.sub(_query, text)
        text = _QUOTED_ARG.sub(_quoted, text)
    text = _QUOTED_NAME.sub(_quoted, text)
    return _NAMED.sub(_named, text)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line with every secret argument replaced whole: the value after a
    secret flag (``--password 'a b'``), after ``=`` in one (``--api-key=a b``) or in an
    assignment (``PGPASSWORD=x``, ``db.password=x``); other arguments as redact_text."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        flag = re.fullmatch(r"--?[A-Za-z][\w.-]*", arg) is not None
        if hide_next and not flag:
            out.append(REDACTED)
            hide_next = False
            continue
        hide_next = False
        name, sep, _value = arg.partition("=")
        if sep and re.fullmatch(r"-{0,2}[A-Za-z_+][\w.-]*", name) and is_secret_key(name.lstrip("-+")):
            out.append(f"{name}={REDACTED}")
        elif flag and is_secret_key(arg.lstrip("-")):
            out.append(arg)
            hide_next = True
        else:
            out.append(redact_text(arg))
    return out


# -- documents ---------------------------------------------------------------------------
#: tables whose keys are settings chosen by the user: every key is checked
USER_TABLES = frozenset({"params", "tags", "attributes", "variables"})
#: tables whose keys name things (distributions), not settings: values are still scanned
NAME_TABLES = frozenset({"packages", "key_packages"})
#: fields of the record format itself: ``key`` holds a metric's or an event's name
FORMAT_FIELDS = frozenset({"key"})


def redact_value(value: Any, user: bool = True) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return redact(value) if user else redact_record(value)
    if isinstance(value, (list, tuple)):
        return [redact_value(v, user) for v in value]
    return value


def _hide(value: Any) -> Any:
    return value if isinstance(value, bool) or value is None else REDACTED


def redact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A copy in which every value under a secret-looking key is replaced (at any
    depth) and every string is scanned."""
    return {k: _hide(v) if is_secret_key(str(k)) else redact_value(v) for k, v in mapping.items()}


def redact_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A record document as it may be written: like ``redact``, except that the record
    format's own fields and the names in ``NAME_TABLES`` are not taken for secrets."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in USER_TABLES and isinstance(value, Mapping):
            out[key] = redact(value)
        elif key in NAME_TABLES and isinstance(value, Mapping):
            out[key] = {name: redact_value(v, False) for name, v in value.items()}
        elif key not in FORMAT_FIELDS and is_secret_key(str(key)):
            out[key] = _hide(value)
        else:
            out[key] = redact_value(value, False)
    return out


def clean_url(url: str) -> str:
    """A URL without user and password (``https://user:tok@host/x`` -> ``https://host/x``)
    and with the values of secret query parameters (``?private_token=``, ``&sig=``)
    replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    query = _QUERY.sub(_query, f"?{parts.query}")[1:] if parts.query else ""
    if parts.username is None and parts.password is None:
        return urlunsplit(parts._replace(query=query)) if query != parts.query else url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))
