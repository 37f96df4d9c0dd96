"""A repository's ``*.toml`` files may be symbolic links (git stores them): one to a
device or a pipe (``/dev/zero``, a FIFO) would make the run page read forever, one to a
file outside the repository would be opened and offered as a policy. The list of
policies a run page offers holds neither."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from contexta_git.store.runs import Runs
from contexta_git.web.run_page import policies
from contexta_git.web.site import Settings, page
from tests.web.sample import build


def test_a_link_to_a_pipe_or_out_of_the_repository_is_never_read(repo: Path,
                                                                  tmp_path: Path) -> None:
    build(repo, certificate=False)
    (repo / "policies").mkdir(exist_ok=True)
    (repo / "policies" / "mine.toml").write_text("[metrics.accuracy]\nmin = 0.1\n")
    outside = tmp_path / "outside.toml"
    outside.write_text("[metrics.accuracy]\nmin = 0.2\n")
    (repo / "policies" / "out.toml").symlink_to(outside)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    (repo / "stuck.toml").symlink_to(pipe)
    answers: list[object] = []
    worker = threading.Thread(target=lambda: answers.append(
        (policies(repo), page(Runs.open(repo), "runs/vision/tuned.html", {}, Settings()).status)),
        daemon=True)
    worker.start()
    worker.join(10)
    stuck = worker.is_alive()
    if stuck:  # let the reader go: open the pipe for writing and close it
        os.close(os.open(pipe, os.O_WRONLY))
        worker.join(10)
    assert not stuck, "the run page read from a pipe"
    assert len(answers) == 1
    offered, status = answers[0]  # type: ignore[misc]
    assert status == 200 and "policies/mine.toml" in offered
    assert "policies/out.toml" not in offered and "stuck.toml" not in offered


def test_a_policy_name_with_a_nul_byte_is_a_400_naming_it(repo: Path) -> None:
    build(repo, certificate=False)
    answer = page(Runs.open(repo), "runs/vision/tuned.html", {"policy": ["a\0.toml"]}, Settings())
    assert answer.status == 200  # the run page itself, the gate's error on it
    assert b"is not a file inside the repository" in answer.body


def test_a_policies_folder_that_is_a_link_is_not_walked(repo: Path) -> None:
    """``policies`` committed as a link (to ``/``, or back to the repository, which then
    walks ``.git`` too) would have each run page walk that whole tree."""
    build(repo, certificate=False)
    (repo / "policies").symlink_to(".")
    offered = policies(repo)
    assert "quality.toml" in offered
    assert not [name for name in offered if name.startswith("policies/")], offered
