"""Periodic work in every instance: run a blocking job in a worker thread now and every ``interval``
seconds; an error is logged and the next tick tries again. The job itself takes a Redis lock when only
one instance may do it at a time."""
from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from typing import Callable, Iterator

from redis.exceptions import LockError

__all__ = ["run_every", "held_lock"]

log = logging.getLogger(__name__)


def run_every(name: str, interval: float, job: Callable, *args) -> asyncio.Task:
    async def loop() -> None:
        while True:
            try:
                await asyncio.to_thread(job, *args)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep ticking; the next run retries
                log.exception("%s failed", name)
            await asyncio.sleep(interval)

    return asyncio.create_task(loop(), name=name)


@contextmanager
def held_lock(client, name: str, seconds: float) -> Iterator[object | None]:
    """A Redis lock held for the block, or None when another instance holds it; released after (a lock that
    expired meanwhile is only logged: the next run of the job takes it again)."""
    lock = client.lock(name, timeout=seconds, blocking=False)
    if not lock.acquire():
        yield None
        return
    try:
        yield lock
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("lock %s expired before release", name)
