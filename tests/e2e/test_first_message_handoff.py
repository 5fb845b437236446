"""A new widget whose very first message is 转人工 reaches a seat (issue 16's race).

The hub once sent the first message of a new conversation to Rasa while it was still storing the conversation:
the bot's handoff action asked the API for a person under a sender id the API could not find yet (404), and the
enterprise was told no seat was available. Now the conversation is committed before the bot sees the message.

The race is made certain rather than left to luck: while the first message is on its way, the test holds the
e2e database's write lock (``BEGIN IMMEDIATE`` on the SQLite file, as a busy database would), until the bot's
handoff request has reached the API or a few seconds have passed. Reads go on meanwhile (WAL); writes wait.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid

import httpx
import websockets

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.test_hub_chat import is_bot_kind, recv_until

HANDOFF_ROUTE = "POST /api/internal/handoffs"
HOLD_SECONDS = 3.0  # under SQLite's 5 s busy timeout: the hub's write waits, it does not fail


def _log_size(path) -> int:
    return path.stat().st_size if path.exists() else 0


async def _hold_writes_until_the_handoff_is_asked(database, api_log, offset: int, send) -> None:
    """Send the message with the database busy; release it once the bot asked for a person, or after HOLD_SECONDS."""
    lock = sqlite3.connect(database, timeout=10, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        await send()
        deadline = time.monotonic() + HOLD_SECONDS
        while time.monotonic() < deadline:
            with api_log.open("rb") as log:
                log.seek(offset)
                if HANDOFF_ROUTE.encode() in log.read():
                    break
            await asyncio.sleep(0.05)
        lock.execute("ROLLBACK")
    finally:
        lock.close()


async def _first_message_hands_off(stack) -> dict:
    api_url, ws_url = stack.api, stack.api.replace("http", "ws", 1)
    database = stack.env["DATABASE_URL"].split("///", 1)[1]
    api_log = stack.logs / "api.log"
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        token = (await http.post("/api/widget/session", json={})).json()["visitor_token"]
        login = await http.post("/api/auth/token", data={"username": "ganbu1", "password": DEMO_PASSWORD})
        staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
        async with websockets.connect(f"{ws_url}/ws/widget") as widget, \
                websockets.connect(f"{ws_url}/ws/console") as console:
            await widget.send(json.dumps({"type": "auth", "visitor_token": token}))
            await console.send(json.dumps({"type": "auth", "token": login.json()["access_token"]}))
            hello = json.loads(await widget.recv())
            assert hello["type"] == "hello" and hello["conversation"] is None  # a new visitor: no conversation yet
            assert json.loads(await console.recv())["seat"]["badge"] == "税务干部"
            await console.send(json.dumps({"type": "presence", "status": "online"}))
            await recv_until(console, lambda e: e["type"] == "presence" and e["status"] == "online")

            async def send_first_message():
                await widget.send(json.dumps({"type": "message", "text": "转人工", "client_id": uuid.uuid4().hex}))

            await _hold_writes_until_the_handoff_is_asked(database, api_log, _log_size(api_log), send_first_message)
            handoff = (await recv_until(widget, is_bot_kind("handoff")))["message"]
            # not "offline" (人工坐席暂时无法接入): a seat was online all along
            assert handoff["custom"]["status"] == "queued", handoff["text"]
            joined = await recv_until(widget, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")
            mine = await recv_until(console, lambda e: e["type"] == "conversation" and e["conversation"]
                                    and e["conversation"]["mode"] == "human")
            closed = await http.post(f"/api/seats/conversations/{mine['conversation']['id']}/close",
                                     json={"summary": "已转接"}, headers=staff)
            assert closed.status_code == 200, closed.text
    return {"handoff": handoff, "joined": joined, "mine": mine}


def test_a_first_message_of_zhuan_ren_gong_reaches_the_seat_not_no_seat(stack):
    seen = asyncio.run(_first_message_hands_off(stack))
    handoff = seen["handoff"]
    assert "暂时无法接入" not in handoff["text"] and "转接" in handoff["text"]
    assert seen["joined"]["message"]["text"].startswith("税务干部 王芳已接入")
    assert seen["mine"]["conversation"]["id"] == handoff["conversation_id"] == seen["joined"]["message"]["conversation_id"]
