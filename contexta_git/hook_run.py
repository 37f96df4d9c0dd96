"""What hook scripts from earlier versions start: ``python -m contexta_git.hook_run HOOK``.

Those scripts put the repository first on Python's import path, so a file planted there
(``tomllib.py``, ``pygit2.py``) would run. This module imports nothing that could come
from there: it says how to update the script, then starts the hook again the way current
scripts do (``python -P -m contexta_git hooks run``, PYTHONPATH kept to absolute entries
outside the working tree). Keep it small and free of imports beyond ``os`` and ``sys``.
"""

from __future__ import annotations

import os
import sys


def _outside(entry: str, top: str) -> bool:
    real = os.path.realpath(entry)
    return os.path.isabs(entry) and real != top and not real.startswith(top + os.sep)


def main() -> None:
    hook = sys.argv[1] if len(sys.argv) > 1 else "post-commit"
    print(f"contexta-git: this {hook} hook was installed by an older contexta-git; "
          f"run `contexta-git hooks install --hook {hook}` to update it", file=sys.stderr)
    sys.stderr.flush()
    top = os.path.realpath(os.getcwd())
    env = dict(os.environ)
    kept = [e for e in env.pop("PYTHONPATH", "").split(os.pathsep) if e and _outside(e, top)]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    command = [sys.executable, "-P", "-m", "contexta_git", "hooks", "run", *sys.argv[1:]]
    os.execve(sys.executable, command, env)


if __name__ == "__main__":
    main()
