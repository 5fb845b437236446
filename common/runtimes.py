"""Where the two runtimes' interpreters are (README, "Two runtimes").

The service (API, hub, schedulers) runs on Python 3.12 in ``.venv``; the bot (Rasa server, action server) on
Python 3.10 in ``.venv-bot``, because Rasa 3.6 needs it. Whatever starts the bot's processes from the service side
(``make run``'s scripts/run.py, the end-to-end tests, ``make bench-hub``) asks here for the bot's interpreter.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ROOT", "bot_python"]

ROOT = Path(__file__).resolve().parents[1]


def bot_python(environ: Mapping[str, str] | None = None) -> str:
    """The bot runtime's python: ``BOT_PYTHON`` if set (the Makefile sets it), else ``.venv-bot/bin/python``."""
    values: Mapping[str, str] = os.environ if environ is None else environ
    return values.get("BOT_PYTHON") or str(ROOT / ".venv-bot" / "bin" / "python")
