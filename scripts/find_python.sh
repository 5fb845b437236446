#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: on PATH, or under `pyenv root`. Rasa 3.6 needs 3.8–3.10.
set -eu
for candidate in python3.10 python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    command -v "$candidate"; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root); else root="${PYENV_ROOT:-$HOME/.pyenv}"; fi
for candidate in $(ls -d "$root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -V -r); do
  [ -x "$candidate" ] && { echo "$candidate"; exit 0; }
done
echo "Python 3.10 not found on PATH or under $root/versions; install it (e.g. pyenv install 3.10)" >&2
exit 1
