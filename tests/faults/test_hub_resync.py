"""After Redis comes back, an instance's sockets are asked to reconnect (1012): what was published while its
subscription was down never reached them, and a reconnecting page reads it from the database. A private
redis-server (tools.bench.stack.PrivateRedis), since it is killed."""
import asyncio
import time

import redis.asyncio as aioredis

from api.hub.events import Hub
from tools.bench.stack import PrivateRedis


class Socket:
    def __init__(self):
        self.closed = []

    async def close(self, code=1000, reason=""):
        self.closed.append(code)


class Connection:
    def __init__(self):
        self.ws = Socket()
        self.events = []

    async def deliver(self, event):
        self.events.append(event)


def test_sockets_are_asked_to_reconnect_when_the_subscription_comes_back():
    server = PrivateRedis()
    server.start()

    async def scenario():
        hub = Hub(aioredis.Redis.from_url(server.url(0), decode_responses=True))
        await hub.start()
        widget = Connection()
        hub.attach("hub:who:v:1", widget)
        await hub.redis.publish("hub:who:v:1", '{"type": "message"}')
        for _ in range(50):
            if widget.events:
                break
            await asyncio.sleep(0.1)
        assert widget.events and widget.ws.closed == []
        await asyncio.to_thread(server.kill)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(server.start)
        deadline = time.monotonic() + 15
        while not widget.ws.closed and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a stand-in
            await asyncio.sleep(0.1)
        await hub.stop()
        return widget.ws.closed

    try:
        assert asyncio.run(scenario()) == [1012]
    finally:
        server.remove()
