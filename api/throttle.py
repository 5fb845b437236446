"""Throttles and lockouts in Redis, shared by every API instance (fixed windows; one key per subject).

A :class:`Rate` is "``count`` per ``seconds``", written ``"5/15m"`` in the settings (units s, m, h, d).
Two ways to count:

* :func:`take` counts an attempt and refuses it when the window is full (uploads, messages, new
  visitor tokens): the cost is paid before the work is done.
* :func:`refuse_if_full` + :func:`record_failure` count only failures (logins, status lookups), so an
  honest user is never refused for succeeding; the check is one Redis read, made before the expensive
  work (PBKDF2, the database).

The window of a key starts with its first count and is not extended by later ones. A refusal raises
:class:`~api.core.errors.TooManyRequests` (429 with ``Retry-After``). Keys start with ``throttle:`` so an
operator can list or clear them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema
from starlette.requests import HTTPConnection

from api.core.errors import TooManyRequests

__all__ = ["Rate", "take", "atake", "atake_all", "refuse_if_full", "record_failure", "clear", "lock", "locked_for", "unlock",
           "wait_text", "client_address", "PREFIX"]

PREFIX = "throttle:"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` per ``seconds``."""
    count: int
    seconds: int

    @classmethod
    def parse(cls, value: object) -> Rate:
        if isinstance(value, Rate):
            return value
        match = _RATE.match(str(value))
        if not match:
            raise ValueError(f"a rate is written like '5/15m' (count/[n]unit, unit s, m, h or d), not {value!r}")
        count, seconds = int(match[1]), int(match[2] or 1) * _UNITS[match[3]]
        if count < 1 or seconds < 1:
            raise ValueError("a rate needs a count and a window of at least 1")
        return cls(count, seconds)

    # a Settings field of type Rate accepts "5/15m" from the environment (pydantic_settings.NoDecode: not JSON)
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str))

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def client_address(connection: HTTPConnection) -> str:
    """The caller's address (a Request or a WebSocket) as uvicorn sees it: behind a proxy, the proxy's,
    unless uvicorn runs with --proxy-headers."""
    return connection.client.host if connection.client else "unknown"


def wait_text(seconds: int) -> str:
    """'3分钟' / '2小时' / '45秒': how long to wait, rounded up, for the Chinese messages."""
    if seconds >= 3600:
        return f"{math.ceil(seconds / 3600)}小时"
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"{max(1, seconds)}秒"


def _key(name: str, subject: str) -> str:
    return f"{PREFIX}{name}:{subject}"


def _refuse(ttl: int, rate: Rate, detail: str, code: str) -> None:
    wait = ttl if ttl and ttl > 0 else rate.seconds
    raise TooManyRequests(detail.format(wait=wait_text(wait)), code=code, retry_after=wait)


def take(client: redis.Redis, name: str, subject: str, rate: Rate, *, detail: str,
         code: str = "too_many_requests") -> int:
    """Count one attempt of ``subject``; refuse it (429) when it is past ``rate``. ``detail`` may contain
    ``{wait}``. Returns the count in the window."""
    with client.pipeline(transaction=True) as pipe:  # MULTI: the window is created and counted at once
        _count(pipe, _key(name, subject), rate)
        _, count, ttl = pipe.execute()
    return _judge(count, ttl, rate, detail, code)


async def atake(client: redis.asyncio.Redis, name: str, subject: str, rate: Rate, *, detail: str,
                code: str = "too_many_requests") -> int:
    """:func:`take` in the event loop (the widget's socket counts every message: no thread hop for it)."""
    return (await atake_all(client, [(name, subject, rate)], detail=detail, code=code))[0]


async def atake_all(client: redis.asyncio.Redis, limits: list[tuple[str, str, Rate]], *, detail: str,
                    code: str = "too_many_requests") -> list[int]:
    """:func:`atake` for several ``(name, subject, rate)`` at once, in one round trip: the attempt is counted in every
    window, and refused (429) by the first one it is past."""
    async with client.pipeline(transaction=True) as pipe:
        for name, subject, rate in limits:
            _count(pipe, _key(name, subject), rate)
        replies = await pipe.execute()
    return [_judge(replies[3 * i + 1], replies[3 * i + 2], rate, detail, code) for i, (_, _, rate) in enumerate(limits)]


def _count(pipe: redis.client.Pipeline | redis.asyncio.client.Pipeline, key: str, rate: Rate) -> None:
    pipe.set(key, 0, ex=rate.seconds, nx=True)
    pipe.incr(key)
    pipe.ttl(key)


def _judge(count: int, ttl: int, rate: Rate, detail: str, code: str) -> int:
    if count > rate.count:
        _refuse(ttl, rate, detail, code)
    return int(count)


def refuse_if_full(client: redis.Redis, name: str, subject: str, rate: Rate, *, detail: str,
                   code: str = "too_many_requests") -> None:
    """Refuse (429) when ``subject`` already has ``rate.count`` failures in its window; counts nothing."""
    key = _key(name, subject)
    with client.pipeline(transaction=False) as pipe:
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
    if count is not None and int(count) >= rate.count:
        _refuse(ttl, rate, detail, code)


def record_failure(client: redis.Redis, name: str, subject: str, rate: Rate) -> int:
    """Count one failure of ``subject`` in its window; the count so far."""
    key = _key(name, subject)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=rate.seconds, nx=True)
        pipe.incr(key)
        _, count = pipe.execute()
    return int(count)


def clear(client: redis.Redis, name: str, subject: str) -> None:
    client.delete(_key(name, subject))


def lock(client: redis.Redis, name: str, subject: str, seconds: int) -> None:
    client.set(_key(name, subject), 1, ex=seconds)


def locked_for(client: redis.Redis, name: str, subject: str) -> int:
    """Seconds the lock on ``subject`` still holds; 0 when there is none."""
    ttl = client.ttl(_key(name, subject))
    return ttl if ttl and ttl > 0 else 0


def unlock(client: redis.Redis, name: str, subject: str) -> bool:
    """Lift the lock; True when there was one."""
    return bool(client.delete(_key(name, subject)))
