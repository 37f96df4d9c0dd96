"""Certificate tag names and the text of tag objects."""

from __future__ import annotations

from dataclasses import dataclass

from contexta_git.core.names import CERT_TAG_PREFIX, check_run

_ARMOR_STARTS = (b"-----BEGIN PGP SIGNATURE-----", b"-----BEGIN SSH SIGNATURE-----",
                 b"-----BEGIN SIGNED MESSAGE-----")


def tag_ref(cert: str) -> str:
    """``refs/tags/contexta/cert/<id>`` from an id, ``contexta/cert/<id>`` or the full ref."""
    if cert.startswith("refs/tags/"):
        body = cert.removeprefix(CERT_TAG_PREFIX)
    else:
        body = cert.removeprefix("contexta/cert/")
    return CERT_TAG_PREFIX + check_run(body)


@dataclass(frozen=True)
class TagObject:
    object: str
    type: str
    name: str
    tagger: str
    message: bytes
    signature: bytes | None


def parse_tag(raw: bytes) -> TagObject:
    """Split a tag object into its headers, message and trailing signature (if any)."""
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, str] = {}
    for line in head.decode(errors="replace").splitlines():
        key, _, value = line.partition(" ")
        fields.setdefault(key, value)
    signature = None
    cut: int | None = None
    for armor in _ARMOR_STARTS:
        found = body.find(b"\n" + armor)
        pos = 0 if body.startswith(armor) else (found + 1 if found >= 0 else -1)
        if pos >= 0 and (cut is None or pos < cut):
            cut = pos
    if cut is not None:
        body, signature = body[:cut], body[cut:]
    return TagObject(fields.get("object", ""), fields.get("type", ""), fields.get("tag", ""),
                     fields.get("tagger", ""), body, signature)
