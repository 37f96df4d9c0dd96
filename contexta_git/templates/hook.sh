#!/bin/sh
# contexta-git-hook: installed by contexta-git; do not remove this line.
# A post-commit hook records a run for the new commit; a pre-push hook pushes
# contexta/runs along with your own pushes. It never makes a commit fail.
# A hook that was here before is kept as <hook>.legacy and still runs first.
HOOK='@HOOK@'
INSTALL_PYTHON='@PYTHON@'
here=$(dirname "$0")
status=0
if [ "$HOOK" = pre-push ]; then
    input=$(cat)
fi
if [ -x "$here/$HOOK.legacy" ]; then
    if [ "$HOOK" = pre-push ]; then
        printf '%s\n' "$input" | "$here/$HOOK.legacy" "$@" || status=$?
    else
        "$here/$HOOK.legacy" "$@" || status=$?
    fi
fi
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
if [ "$HOOK" = post-commit ] && [ ! -f .contexta-git.toml ] &&
    ! grep -qs 'tool\.contexta-git' pyproject.toml; then
    exit 0  # not configured here: skip starting Python at all
fi
# Python must never import from this repository: -P keeps the current folder off
# sys.path, and PYTHONPATH loses its entries that are empty or relative (both name the
# current folder) or inside this working tree. Installed packages, user site-packages
# and the rest of the environment stay as they are: the run records that environment.
top=$(pwd -P)
kept=
set -f
old_ifs=$IFS
IFS=:
for entry in ${PYTHONPATH-}; do
    case $entry in
        /*) real=$(cd "$entry" 2>/dev/null && pwd -P) || real=$entry
            case $real/ in "$top"/*) ;; *) kept=${kept:+$kept:}$entry ;; esac ;;
    esac
done
IFS=$old_ifs
set +f
if [ -n "$kept" ]; then export PYTHONPATH="$kept"; else unset PYTHONPATH; fi
if [ -n "$INSTALL_PYTHON" ] && [ -x "$INSTALL_PYTHON" ]; then
    "$INSTALL_PYTHON" -P -m contexta_git hooks run "$HOOK" "$@" </dev/null || true
elif command -v contexta-git >/dev/null 2>&1; then
    contexta-git hooks run "$HOOK" "$@" </dev/null || true
else
    echo "contexta-git: not found (neither ${INSTALL_PYTHON:-an install} nor on PATH); $HOOK skipped" >&2
fi
exit 0
