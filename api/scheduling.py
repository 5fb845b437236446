"""Periodic work in every instance: run a blocking job in a worker thread now and every ``interval``
seconds; an error is logged and the next tick tries again. The job itself takes a Redis lock when only
one instance may do it at a time."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable

__all__ = ["run_every"]

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
