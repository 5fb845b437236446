"""The shared secrets of the processes (API, Rasa, action server), from the environment.

Outside development every one must be set in the environment; a missing one stops start-up. In development
a missing one is generated once (random, 32 bytes) and kept in ``var/secrets.json`` (mode 0600), so a fresh
checkout is safe without configuration and every process of ``make run`` shares the same values. No secret has
a default value that could be accepted anywhere.

| name | who signs or presents it | who checks it |
|---|---|---|
| ``APP_SECRET`` | enterprise/staff/visitor tokens, bot grants | API, Rasa's REST channel |
| ``SERVICE_TOKEN`` | the action server (and Rasa's channel) calling ``/api/internal`` | API |
| ``ACTIONS_TOKEN`` | Rasa calling the action server | action server |
| ``RASA_JWT_SECRET`` | the API and ``make retrain`` calling Rasa's HTTP API | Rasa |
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SECRET_NAMES", "MIN_LENGTH", "MissingSecret", "development_store", "secret", "all_secrets"]

SECRET_NAMES = ("APP_SECRET", "SERVICE_TOKEN", "ACTIONS_TOKEN", "RASA_JWT_SECRET")
MIN_LENGTH = 16
ROOT = Path(__file__).resolve().parents[1]


class MissingSecret(RuntimeError):
    """A secret is missing (or too short) where none may be generated."""


def _store_path() -> Path:
    return Path(os.environ.get("SECRETS_FILE") or ROOT / "var" / "secrets.json")


def development_store(path: Path | None = None) -> dict[str, str]:
    """The development secrets, generated on first use; every name of ``SECRET_NAMES`` is present."""
    path = path or _store_path()
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    missing = [name for name in SECRET_NAMES if len(stored.get(name) or "") < MIN_LENGTH]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(stored, handle)
        os.replace(partial, path)  # two processes starting together both end up reading one complete file
        stored = json.loads(path.read_text(encoding="utf-8"))
    return stored


def secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """``name`` from the environment; in development (``APP_ENV``, default development) the generated one."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    value = env.get(name)
    if value:
        if len(value) < MIN_LENGTH:
            raise MissingSecret(f"{name} must be at least {MIN_LENGTH} characters")
        return value
    if env.get("APP_ENV", "development") != "development":
        raise MissingSecret(f"{name} must be set in the environment outside development "
                            f"(APP_ENV={env.get('APP_ENV')})")
    return development_store()[name]


def all_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every shared secret, for a launcher that passes them to its child processes."""
    return {name: secret(name, environ) for name in SECRET_NAMES}
