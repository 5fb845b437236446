"""Action-server settings, read once from the environment and checked at start-up."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ActionSettings", "get_settings", "DEV_SECRET"]

DEV_SECRET = "dev-secret-change-me"


@dataclass(frozen=True)
class ActionSettings:
    app_env: str
    app_secret: str
    api_url: str
    service_token: str
    api_timeout: float

    @classmethod
    def from_env(cls) -> "ActionSettings":
        env = os.environ.get("APP_ENV", "development")
        secret = os.environ.get("APP_SECRET", DEV_SECRET)
        token = os.environ.get("SERVICE_TOKEN", DEV_SECRET)
        if env != "development" and DEV_SECRET in (secret, token):
            raise RuntimeError("APP_SECRET and SERVICE_TOKEN must be set outside development (APP_ENV=%s)" % env)
        return cls(
            app_env=env,
            app_secret=secret,
            api_url=os.environ.get("API_URL", "http://127.0.0.1:8000").rstrip("/"),
            service_token=token,
            api_timeout=float(os.environ.get("API_TIMEOUT", "5")),
        )


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    return ActionSettings.from_env()
