"""Action-server settings, read once from the environment and checked at start-up.

Secrets come from common.secretstore: set in the environment, or generated under var/ in development."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from common.secretstore import secret

__all__ = ["ActionSettings", "get_settings"]


@dataclass(frozen=True)
class ActionSettings:
    app_env: str
    api_url: str
    service_token: str  # presented to the API's /api/internal routes
    actions_token: str  # what Rasa must present to this server (bot/endpoints*.yml)
    api_timeout: float
    host: str
    port: int

    @classmethod
    def from_env(cls) -> ActionSettings:
        return cls(
            app_env=os.environ.get("APP_ENV", "development"),
            api_url=os.environ.get("API_URL", "http://127.0.0.1:8000").rstrip("/"),
            service_token=secret("SERVICE_TOKEN"),
            actions_token=secret("ACTIONS_TOKEN"),
            api_timeout=float(os.environ.get("API_TIMEOUT", "5")),
            host=os.environ.get("ACTIONS_HOST", "127.0.0.1"),
            port=int(os.environ.get("ACTIONS_PORT", "5055")),
        )


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    return ActionSettings.from_env()
