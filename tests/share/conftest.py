"""A real git server for the sharing tests: git daemon on 127.0.0.1 with receive-pack."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A bare repository served by git daemon with receive-pack; yields its git:// URL."""
    base = tmp_path / "served"
    base.mkdir()
    seed = tmp_path / "seed"
    git(tmp_path, "init", "-q", str(seed))
    (seed / "train.py").write_text("print('train')\n")
    git(seed, "add", "train.py")
    git(seed, "commit", "-q", "-m", "initial")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(base / "server.git"))
    daemon = Path(git(tmp_path, "--exec-path").stdout.strip()) / "git-daemon"
    port = _free_port()
    proc = subprocess.Popen([str(daemon), "--export-all", "--enable=receive-pack", "--reuseaddr",
                             f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}",
                             str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # bounded: about 5 s at most
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("git daemon did not start")
        yield f"git://127.0.0.1:{port}/server.git"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
