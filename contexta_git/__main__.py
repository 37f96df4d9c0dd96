"""``python -m contexta_git`` runs the command line.

``python -P -m contexta_git hooks run HOOK`` is what the installed hook scripts run: the
same words as ``contexta-git hooks run HOOK``, naming only the package, so a script
installed by one release keeps working with the next however its modules move. That
command goes straight to the hook without loading the rest of the command line.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:3] == ["hooks", "run"]:
        from contexta_git.share.hook_run import main as run_hook

        sys.exit(run_hook(sys.argv[3:]))
    from contexta_git.cli.main import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
