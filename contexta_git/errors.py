"""Every error contexta-git raises on purpose: one base class, one line each.

The CLI prints ``Error: <message>`` and exits with ``exit_code``; library callers
catch :class:`ContextaError` and read the fields.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1  # a gate failed, a verification failed
EXIT_ERROR = 2  # bad input, missing run, unusable repository: nothing was evaluated or written
EXIT_CRASH = 70  # an unexpected internal error (a bug): please report it


class ContextaError(Exception):
    """Base class: a message that fits on one line, and an exit code."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class InvalidName(ContextaError):
    def __init__(self, what: str, name: str, reason: str) -> None:
        self.what, self.name, self.reason = what, name, reason
        shown = name if len(name) <= 40 else name[:37] + "..."
        super().__init__(f"invalid {what} name {shown!r}: {reason}")


class InvalidValue(ContextaError):
    """A metric value, param, file or option that cannot be accepted."""


class NotARepository(ContextaError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"not a git repository (or any parent up to /): {path}")


class NoIdentity(ContextaError):
    def __init__(self) -> None:
        super().__init__(
            "no git identity: set it with git config user.name 'Your Name' "
            "and git config user.email you@example.com"
        )


class ForeignBranch(ContextaError):
    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(
            f"{ref} exists but was not written by contexta-git (no FORMAT file at its tip); "
            "rename that branch or pass another repository"
        )


class RunNotFound(ContextaError):
    def __init__(self, run: str, suggestions: Iterable[str] = ()) -> None:
        self.run = run
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no run {run!r}{hint}")


class AmbiguousRun(ContextaError):
    def __init__(self, run: str, matches: Iterable[str]) -> None:
        self.run = run
        self.matches = sorted(matches)
        super().__init__(
            f"run name {run!r} is ambiguous: {', '.join(self.matches)}; use run:<project>.<name>"
        )


class RunExists(ContextaError):
    def __init__(self, run: str) -> None:
        self.run = run
        super().__init__(f"run {run} already exists; choose another name")


class RefMoved(ContextaError):
    def __init__(self, ref: str, attempts: int) -> None:
        self.ref, self.attempts = ref, attempts
        super().__init__(f"{ref} kept moving under concurrent writers; gave up after {attempts} tries")


class RefLocked(ContextaError):
    def __init__(self, lock: str, seconds: float) -> None:
        self.lock = lock
        super().__init__(
            f"{lock} is held (for {max(seconds, 0):.0f}s now) and did not clear: a writer crashed "
            "while moving the branch, or one is still running; if no git or contexta-git process "
            f"is running, remove it: rm {lock}"
        )


class WriteFailed(ContextaError):
    """The operating system refused a write (read-only, no space, a file-size limit)."""

    def __init__(self, path: str, cause: str) -> None:
        self.path, self.cause = path, cause
        super().__init__(f"cannot write {path}: {cause}; nothing was recorded")


class CorruptRun(ContextaError):
    """A run folder on the branch that cannot be read, named by its path on the branch
    (``file`` is the record file at fault, or None when the folder itself is)."""

    def __init__(self, folder: str, file: str | None, reason: str) -> None:
        self.folder, self.file, self.reason = folder, file, reason
        path = "/".join(part for part in (folder, file) if part)
        shown = path if path.isprintable() else ascii(path)
        super().__init__(f"unreadable run {shown}: {reason}")
