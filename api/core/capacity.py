"""A first-come-first-served limit on the work one instance has in flight, with an honest word to whoever waits.

The bot is CPU-bound: past a few turns at once per Rasa process, more concurrent turns only make every turn
slower, until all of them hit the client's timeout together. :class:`Capacity` lets ``limit`` turns run and queues
the rest in arrival order. A turn that is not done ``busy_after`` seconds after it arrived is told, once, where it
is (``on_busy(place)``: its place in the queue, 1 being next, or 0 when it is already being worked on), and keeps
its place until it is done: it is answered when capacity returns, never dropped. One instance's queue: with
several API instances each keeps its own.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["Capacity", "OnBusy"]

log = logging.getLogger(__name__)

OnBusy = Callable[[int], Awaitable[None]]
T = TypeVar("T")


class _Turn:
    """One piece of work: its ticket while it waits in the queue, None once it holds a slot."""

    ticket: asyncio.Future[None] | None = None


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

    async def run(self, work: Callable[[], Awaitable[T]], on_busy: OnBusy | None = None) -> T:
        """``work()`` in a slot, in arrival order; ``on_busy`` hears once where it is if it is not done within
        ``busy_after`` seconds (telling is best effort: a failure to tell never stops the work)."""
        turn = _Turn()
        task = asyncio.ensure_future(self._in_slot(turn, work))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.busy_after)
            if not done and on_busy is not None:
                try:
                    await on_busy(self._place(turn))
                except Exception:
                    log.warning("could not tell a waiting turn where it is", exc_info=True)
            return await task
        finally:
            if not task.done():
                task.cancel()

    def _place(self, turn: _Turn) -> int:
        if turn.ticket is not None and turn.ticket in self._waiting:
            return self._waiting.index(turn.ticket) + 1
        return 0

    async def _in_slot(self, turn: _Turn, work: Callable[[], Awaitable[T]]) -> T:
        await self._acquire(turn)
        try:
            return await work()
        finally:
            self._release()

    async def _acquire(self, turn: _Turn) -> None:
        if self.running < self.limit and not self._waiting:
            self.running += 1
            return
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        turn.ticket = ticket
        self._waiting.append(ticket)
        try:
            await ticket
        except BaseException:
            self._abandon(ticket)
            raise
        finally:
            turn.ticket = None

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
