"""Fetch the browser chart library that contexta_git/web ships, from the npm registry.

    python scripts/vendor_assets.py            # fetch, check, write contexta_git/web/assets/
    python scripts/vendor_assets.py --check    # only check that the shipped files match

The package, its version and the integrity hash the registry published for its tarball
are pinned below. ``npm pack`` downloads the tarball (npm's ordinary client, with the
user's registry configuration); this script checks the tarball's sha512 against the pin
before reading anything from it, then copies the files the pages inline, the licence,
and a VERSION file into ``contexta_git/web/assets/<name>/``. Nothing is ever loaded from
a CDN: the package holds these files and every page inlines them.

To move to a new version: ``npm view uplot@<version> dist.integrity``, update the pin,
run this script, run the tests, and commit the assets with the pin.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

NAME = "uplot"
VERSION = "1.6.32"
INTEGRITY = ("sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGG"
             "zQm/ep3tOkyTxpiQIw==")
#: tarball member -> file name in the assets folder
FILES = {
    "package/dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "package/dist/uPlot.min.css": "uPlot.min.css",
    "package/LICENSE": "LICENSE",
}
TARGET = Path(__file__).resolve().parent.parent / "contexta_git" / "web" / "assets" / NAME


def integrity(data: bytes) -> str:
    """The Subresource Integrity form npm publishes: ``sha512-<base64 digest>``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(work: Path) -> bytes:
    """The pinned tarball, downloaded by ``npm pack`` into ``work`` and checked."""
    subprocess.run(["npm", "pack", "--loglevel=error", f"{NAME}@{VERSION}", "--pack-destination", str(work)],
                   check=True, stdout=subprocess.DEVNULL)
    data = (work / f"{NAME}-{VERSION}.tgz").read_bytes()
    found = integrity(data)
    if found != INTEGRITY:
        sys.exit(f"{NAME}@{VERSION}: integrity {found} is not the pinned {INTEGRITY}")
    return data


def members(tarball: Path) -> dict[str, bytes]:
    """The files of :data:`FILES`, read from the checked tarball."""
    out = {}
    with tarfile.open(tarball) as archive:
        for member, name in FILES.items():
            handle = archive.extractfile(member)
            if handle is None:
                sys.exit(f"{NAME}@{VERSION}: {member} is not a file in the tarball")
            out[name] = handle.read()
    out["VERSION"] = f"{NAME} {VERSION}\n{INTEGRITY}\n".encode()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the shipped files with the registry's, write nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fetch(Path(tmp))
        wanted = members(Path(tmp) / f"{NAME}-{VERSION}.tgz")
    if args.check:
        stale = [name for name, data in wanted.items()
                 if not (TARGET / name).is_file() or (TARGET / name).read_bytes() != data]
        for name in stale:
            print(f"{TARGET / name} differs from {NAME}@{VERSION}")
        return 1 if stale else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, data in wanted.items():
        (TARGET / name).write_bytes(data)
        print(f"wrote {TARGET / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
