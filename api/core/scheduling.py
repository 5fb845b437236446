"""Periodic work in every instance, and the Redis lock that lets one instance at a time do a piece of it.

``run_every`` runs a blocking job in a worker thread now and every ``interval`` seconds; an error is logged
and the next tick tries again. ``held_lock`` is the one way a job (or any other work only one instance may do
at a time) takes its lock::

    with held_lock(client, "lock:outbox", 60) as lock:
        if lock is None:
            return  # another instance is at it
        ...
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

__all__ = ["run_every", "stop_task", "held_lock", "holder_token"]

log = logging.getLogger(__name__)


def run_every(name: str, interval: float, job: Callable[..., object], *args: object) -> asyncio.Task[None]:
    async def loop() -> None:
        while True:
            try:
                await asyncio.to_thread(job, *args)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", name)
            await asyncio.sleep(interval)

    return asyncio.create_task(loop(), name=name)


async def stop_task(task: asyncio.Task[None]) -> None:
    """Cancel the task and wait for it (a job already running in its thread finishes on its own)."""
    task.cancel()
    try:  # noqa: SIM105
        await task
    except asyncio.CancelledError:
        pass


def holder_token() -> str:
    """The value a lock is taken with: ``host:pid:random``, so whoever looks at the lock in Redis sees which
    process holds it (an operator, or tools.bench_faults killing the holder); the random part keeps it unique."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


@contextmanager
def held_lock(client: Redis, name: str, seconds: float, wait: float | None = None) -> Iterator[Lock | None]:
    """The Redis lock ``name`` held for the block (it expires after ``seconds`` if its holder dies), or None
    when another instance holds it — at once, or after waiting up to ``wait`` seconds. Released after the
    block; a lock that expired meanwhile is only logged: the next run of the job takes it again. Its value names
    the holder (:func:`holder_token`)."""
    if wait is None:
        lock = client.lock(name, timeout=seconds, blocking=False)
    else:
        lock = client.lock(name, timeout=seconds, blocking_timeout=wait)
    if not lock.acquire(token=holder_token()):
        log.debug("%s is held by another instance", name)
        yield None
        return
    try:
        yield lock
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("lock %s expired before release (held longer than %s s)", name, seconds)
        except RedisError:  # Redis restarting: the job's own outcome stands; the lock expires on its own
            log.warning("lock %s not released (Redis unreachable); it expires within %s s", name, seconds)
