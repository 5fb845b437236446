#!/usr/bin/env bash
# Print the path of a Python interpreter of one of the given minor versions (first found wins, in the order given):
# on PATH, or under `pyenv root`. The bot runtime needs 3.10 (Rasa 3.6 supports 3.8–3.10); the service runs on
# 3.12 or 3.13.   scripts/find_python.sh 3.12 3.13
set -eu
[ $# -gt 0 ] || set -- 3.10
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root); else root="${PYENV_ROOT:-$HOME/.pyenv}"; fi
for version in "$@"; do
  for candidate in "python$version" python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] != '$version')" 2>/dev/null; then
      # a pyenv shim answers for the version it would run: print the interpreter itself
      "$candidate" -c 'import sys; print(sys.executable)'; exit 0
    fi
  done
  for candidate in $(ls -d "$root"/versions/"$version".*/bin/python"$version" 2>/dev/null | sort -V -r); do
    [ -x "$candidate" ] && { echo "$candidate"; exit 0; }
  done
done
echo "Python $* not found on PATH or under $root/versions; install one (e.g. pyenv install $1)" >&2
exit 1
