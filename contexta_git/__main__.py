"""``python -m contexta_git`` runs the command line."""

from contexta_git.cli.main import main

main()
