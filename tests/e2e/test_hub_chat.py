"""Through the hub with the real bot: the widget's WebSocket → Rasa → actions → back, and a handoff to
a demo seat logged in to the console, all over real sockets."""
from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import websockets

from tests.e2e.conftest import DEMO_PASSWORD


async def recv_until(ws, predicate, timeout: float = 60.0) -> dict:
    async def loop():
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event
    return await asyncio.wait_for(loop(), timeout)


def is_bot_kind(kind):
    return lambda e: e["type"] == "message" and e["message"]["sender"] == "bot" and \
        (e["message"]["custom"] or {}).get("kind") == kind


async def _ask_then_hand_off(api_url: str) -> dict:
    ws_url = api_url.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        token = (await http.post("/api/widget/session", json={})).json()["visitor_token"]
        login = await http.post("/api/auth/token", data={"username": "ganbu1", "password": DEMO_PASSWORD})
        staff_token = login.json()["access_token"]
        async with websockets.connect(f"{ws_url}/ws/widget") as widget, \
                websockets.connect(f"{ws_url}/ws/console") as console:
            await widget.send(json.dumps({"type": "auth", "visitor_token": token}))  # tokens in frames, not URLs
            await console.send(json.dumps({"type": "auth", "token": staff_token}))
            assert json.loads(await widget.recv())["type"] == "hello"
            assert json.loads(await console.recv())["seat"]["badge"] == "税务干部"
            await console.send(json.dumps({"type": "presence", "status": "online"}))  # it may have been left busy
            await recv_until(console, lambda e: e["type"] == "presence" and e["status"] == "online")
            await widget.send(json.dumps({"type": "message", "text": "小规模纳税人月销售额多少以下免征增值税",
                                          "client_id": uuid.uuid4().hex}))
            answer = (await recv_until(widget, is_bot_kind("answer")))["message"]
            await widget.send(json.dumps({"type": "message", "text": "转人工", "payload": "/request_human",
                                          "client_id": uuid.uuid4().hex}))
            handoff = (await recv_until(widget, is_bot_kind("handoff")))["message"]
            joined = await recv_until(widget, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")
            mine = await recv_until(console, lambda e: e["type"] == "conversation" and e["conversation"]
                                    and e["conversation"]["mode"] == "human")
            conversation_id = mine["conversation"]["id"]
            sent = await http.post(f"/api/seats/conversations/{conversation_id}/messages", json={"text": "您好，请讲"},
                                   headers={"Authorization": f"Bearer {staff_token}"})
            assert sent.status_code == 201
            from_staff = await recv_until(widget, lambda e: e["type"] == "message" and e["message"]["sender"] == "staff")
            await widget.send(json.dumps({"type": "message", "text": "我想问开票的问题", "client_id": uuid.uuid4().hex}))
            to_staff = await recv_until(console, lambda e: e["type"] == "message" and e["message"]["sender"] == "user"
                                        and e["message"]["text"] == "我想问开票的问题")
            await http.post(f"/api/seats/conversations/{conversation_id}/close", json={"summary": "已解答"},
                            headers={"Authorization": f"Bearer {staff_token}"})
        history = (await http.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"})).json()
    return {"answer": answer, "handoff": handoff, "joined": joined, "from_staff": from_staff, "to_staff": to_staff,
            "history": history}


def test_the_bot_answers_through_the_hub_then_a_seat_takes_over(api_url):
    seen = asyncio.run(_ask_then_hand_off(api_url))
    answer = seen["answer"]
    assert answer["custom"]["topic"] == "vat-small-scale-exemption" and answer["custom"]["sources"]
    stored = next(m for m in seen["history"]["messages"] if m["id"] == answer["id"])
    # the intent and confidence came in the envelope (actions.base); the hub kept them and took them out
    assert stored["intent"] == "ask_tax_question" and stored["confidence"] is not None
    assert "nlu" not in answer["custom"] and "nlu" not in stored["custom"]
    assert seen["handoff"]["custom"]["tier"] == "staff" and seen["handoff"]["custom"]["status"] == "queued"
    assert seen["joined"]["message"]["text"].startswith("税务干部 王芳已接入")
    assert seen["from_staff"]["message"]["text"] == "您好，请讲"
    assert seen["to_staff"]["message"]["conversation_id"] == seen["joined"]["message"]["conversation_id"]
    senders = [m["sender"] for m in seen["history"]["messages"]]
    # the bot said nothing while the seat held the conversation
    after_join = senders[senders.index("staff"):]
    assert "bot" not in after_join
    assert seen["history"]["conversation"]["mode"] == "closed" and seen["history"]["conversation"]["can_rate"]
