"""A first-come-first-served limit on the work one instance has in flight, with an honest word to whoever waits.

The bot is CPU-bound: past a few turns at once per Rasa process, more concurrent turns only make every turn
slower, until all of them hit the client's timeout together. :class:`Capacity` lets ``limit`` turns run and queues
the rest in arrival order; a turn that has waited ``busy_after`` seconds without starting is told its place in
the queue once (``on_busy(position)``), and then keeps its place until a slot frees: it is answered when capacity
returns, never dropped. One instance's queue: with several API instances each keeps its own.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

__all__ = ["Capacity", "OnBusy"]

log = logging.getLogger(__name__)

OnBusy = Callable[[int], Awaitable[None]]


class Capacity:
    def __init__(self, limit: int, busy_after: float) -> None:
        if limit < 1:
            raise ValueError("capacity limit must be at least 1")
        self.limit = limit
        self.busy_after = busy_after
        self.running = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def position(self, ticket: asyncio.Future[None]) -> int:
        """1 for the next turn to start."""
        return self._waiting.index(ticket) + 1

    @asynccontextmanager
    async def slot(self, on_busy: OnBusy | None = None) -> AsyncIterator[None]:
        """Hold one of the ``limit`` slots for the block; wait for one in arrival order when all are taken."""
        await self._acquire(on_busy)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, on_busy: OnBusy | None) -> None:
        if self.running < self.limit and not self._waiting:
            self.running += 1
            return
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(ticket)
        try:
            try:
                # shield: the timeout must not cancel the ticket, which keeps the turn's place in the queue
                await asyncio.wait_for(asyncio.shield(ticket), self.busy_after)
                return
            except asyncio.TimeoutError:
                pass
            if on_busy is not None:
                try:
                    await on_busy(self.position(ticket))
                except Exception:  # telling the user is best effort; the turn keeps its place
                    log.warning("could not tell a waiting turn its place", exc_info=True)
            await ticket
        except BaseException:
            self._abandon(ticket)
            raise

    def _abandon(self, ticket: asyncio.Future[None]) -> None:
        """A waiting turn gave up (its task was cancelled): leave the queue, or pass on a slot it was just given."""
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        elif ticket.done() and not ticket.cancelled():
            self._release()

    def _release(self) -> None:
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                ticket.set_result(None)  # the slot passes straight to the next turn: running stays the same
                return
        self.running -= 1
