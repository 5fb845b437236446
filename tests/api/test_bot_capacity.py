"""The bot's capacity: a bounded number of turns in flight, the rest answered in arrival order with an honest
"queued" word to the widget, and several Rasa instances sharing the turns by conversation.

Rasa is stood in for by tiny real HTTP servers on loopback that answer its REST channel after a delay (a real Rasa
is too quick to fill on demand; tests/e2e talk to the real one)."""
from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time

import pytest

from api.core.capacity import Capacity
from api.core.rasa import BotUnavailable, RasaClient, rasa_urls
from api.hub.models import Conversation
from tests.api.hubkit import drain, hub_client, receive_until, say, widget_socket, widget_token


class SlowRasa:
    """Answers ``POST /webhooks/rest/webhook`` with one text after ``delay`` seconds; counts what it took and how
    many turns it held at once."""

    def __init__(self, delay: float = 0.0, name: str = "rasa"):
        self.delay, self.name, self.senders, self.concurrent, self.peak = delay, name, [], 0, 0
        self.guard = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._json([])

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.guard:
                    outer.concurrent += 1
                    outer.peak = max(outer.peak, outer.concurrent)
                    outer.senders.append(body["sender"])
                time.sleep(outer.delay)
                with outer.guard:
                    outer.concurrent -= 1
                self._json([{"recipient_id": body["sender"], "text": f"{outer.name}答：{body['message']}"}])

            def _json(self, payload):
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_rasa():
    started = []

    def start(delay=0.0, name="rasa"):
        started.append(SlowRasa(delay, name))
        return started[-1]

    yield start
    for server in started:
        server.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# ---------- Capacity ----------

def test_capacity_runs_at_most_its_limit_and_the_rest_in_arrival_order():
    async def scenario():
        capacity, running, peak, order = Capacity(2, busy_after=5), 0, 0, []

        async def work(i):
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            order.append(i)
            await asyncio.sleep(0.02)
            running -= 1

        async def turn(i):
            await capacity.run(lambda: work(i))

        tasks = []
        for i in range(8):
            tasks.append(asyncio.create_task(turn(i)))
            await asyncio.sleep(0)  # each arrives after the one before
        await asyncio.gather(*tasks)
        return peak, order, capacity.running, capacity.queued

    peak, order, running, queued = asyncio.run(scenario())
    assert peak == 2
    assert order == list(range(8))
    assert (running, queued) == (0, 0)


def test_a_turn_that_waits_long_hears_its_place_once_and_is_still_answered():
    async def scenario():
        capacity, heard = Capacity(1, busy_after=0.05), {}
        release = asyncio.Event()

        def teller(i):
            async def busy(position):
                heard.setdefault(i, []).append(position)
            return busy

        first = asyncio.create_task(capacity.run(release.wait, teller("running")))
        await asyncio.sleep(0)

        async def answer(i):
            return i

        waiting = [asyncio.create_task(capacity.run(lambda i=i: answer(i), teller(i))) for i in range(3)]
        await asyncio.sleep(0.2)
        release.set()
        done = await asyncio.gather(*waiting)
        await first
        return heard, done

    heard, done = asyncio.run(scenario())
    # the three in line hear their places; the one being worked on hears that it is (0)
    assert heard == {"running": [0], 0: [1], 1: [2], 2: [3]}
    assert done == [0, 1, 2]


def test_a_quick_turn_hears_nothing():
    async def scenario():
        capacity, heard = Capacity(2, busy_after=0.5), []

        async def busy(position):
            heard.append(position)

        async def quick():
            return "答"

        return await capacity.run(quick, busy), heard

    assert asyncio.run(scenario()) == ("答", [])


def test_a_waiting_turn_that_is_cancelled_gives_up_its_place_and_never_leaks_a_slot():
    async def scenario():
        capacity = Capacity(1, busy_after=5)
        release = asyncio.Event()

        first = asyncio.create_task(capacity.run(release.wait))
        await asyncio.sleep(0)
        gone = asyncio.create_task(capacity.run(asyncio.Event().wait))
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        after_cancel = capacity.queued
        release.set()
        await first
        async def inside_count():
            return capacity.running

        inside = await capacity.run(inside_count)
        return after_cancel, inside, capacity.running

    after_cancel, inside, running = asyncio.run(scenario())
    assert after_cancel == 0
    assert (inside, running) == (1, 0)


def test_capacity_refuses_a_limit_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        Capacity(0, busy_after=1)


# ---------- the Rasa client over several instances ----------

def test_rasa_url_may_list_several_instances_and_must_name_one():
    assert rasa_urls(" http://a:5005/ , http://b:5005") == ["http://a:5005", "http://b:5005"]
    with pytest.raises(ValueError, match="no Rasa instance"):
        rasa_urls(" , ")


def test_a_conversation_stays_with_one_instance_and_conversations_spread_over_all(slow_rasa):
    first, second = slow_rasa(name="一号"), slow_rasa(name="二号")

    async def scenario():
        client = RasaClient(f"{first.url},{second.url}")
        try:
            for sender in [f"conv-{i}" for i in range(20)]:
                for _ in range(2):
                    await client.send(sender, "你好")
        finally:
            await client.close()

    asyncio.run(scenario())
    assert first.senders and second.senders
    assert not set(first.senders) & set(second.senders)  # both turns of each conversation went to the same one


def test_a_refused_instance_passes_the_turn_to_the_next(slow_rasa):
    alive = slow_rasa(name="在线")

    async def scenario():
        client = RasaClient(f"{closed_port_url()},{alive.url}")
        try:
            return [await client.send(f"conv-{i}", "你好") for i in range(6)]
        finally:
            await client.close()

    answers = asyncio.run(scenario())
    assert all(a[0].text == "在线答：你好" for a in answers)
    assert len(alive.senders) == 6


def test_a_slow_instance_is_not_asked_twice_and_the_turn_is_unavailable(slow_rasa):
    slow, other = slow_rasa(delay=1.0), slow_rasa()

    async def scenario():
        client = RasaClient(f"{slow.url},{other.url}", timeout=0.3)
        sender = next(s for s in (f"conv-{i}" for i in range(50)) if client.instances_for(s)[0] == slow.url)
        try:
            with pytest.raises(BotUnavailable):
                await client.send(sender, "你好")
        finally:
            await client.close()

    asyncio.run(scenario())
    assert len(slow.senders) == 1 and other.senders == []


def test_the_client_keeps_rasa_to_its_limit_per_instance(slow_rasa):
    rasa = slow_rasa(delay=0.1)

    async def scenario():
        client = RasaClient(rasa.url, inflight=2, busy_after=10)
        try:
            await asyncio.gather(*(client.send(f"conv-{i}", "你好") for i in range(8)))
        finally:
            await client.close()

    asyncio.run(scenario())
    assert len(rasa.senders) == 8 and rasa.peak == 2


# ---------- the widget when the bot is at capacity ----------

def test_past_capacity_the_widget_hears_its_place_at_once_and_gets_the_answer_later(settings, world, slow_rasa):
    rasa = slow_rasa(delay=1.2)
    settings = settings.model_copy(update={"rasa_url": rasa.url, "bot_inflight_per_instance": 1,
                                           "bot_busy_after_seconds": 0.3})
    with hub_client(settings, world.service_dept.id) as client:
        tokens = [widget_token(client) for _ in range(2)]
        with widget_socket(client, tokens[0]) as first, widget_socket(client, tokens[1]) as second:
            receive_until(first, lambda e: e["type"] == "hello")
            receive_until(second, lambda e: e["type"] == "hello")
            say(first, "第一个问题")
            receive_until(first, lambda e: e["type"] == "typing" and e["on"])  # the first turn holds the bot
            say(second, "第二个问题")
            busy = receive_until(second, lambda e: e["type"] in ("busy", "message") and
                                 (e["type"] == "busy" or e["message"]["sender"] == "bot"), timeout=5)
            answer = receive_until(second, lambda e: e["type"] == "message" and e["message"]["sender"] == "bot",
                                   timeout=10)
    assert busy["type"] == "busy" and busy["position"] == 1
    assert "排队" in busy["text"] and "您是下一位" in busy["text"]
    assert answer["message"]["text"] == "rasa答：第二个问题"


# ---------- the widget's turns ----------

def test_a_new_conversations_first_message_goes_to_rasa_under_the_sender_it_is_stored_with(settings, world, db,
                                                                                           slow_rasa):
    """The first message is sent to Rasa while the conversation is stored (under the sender id the socket chose), the
    next under the same one; each answer reaches the widget once, though it comes both straight from the turn and
    through Redis."""
    rasa = slow_rasa(delay=0.2)
    settings = settings.model_copy(update={"rasa_url": rasa.url})
    with hub_client(settings, world.service_dept.id) as client, widget_socket(client, widget_token(client)) as ws:
        receive_until(ws, lambda e: e["type"] == "hello")
        answers = []
        for text in ("第一个问题", "第二个问题"):
            say(ws, text)
            answers.append(receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "bot"))
        rest = drain(ws)
    assert [a["message"]["text"] for a in answers] == ["rasa答：第一个问题", "rasa答：第二个问题"]
    assert not [e for e in rest if e["type"] == "message"]  # no second copy of either answer
    conversation = db.get(Conversation, answers[0]["message"]["conversation_id"])
    assert rasa.senders == [conversation.rasa_sender] * 2
