"""Reminders with the real bot: a logged-in enterprise with an overdue filing and a B level opens the chat,
finds its credit and policy/risk reminders, asks how to repair, applies for repair (told to correct first, then
accepted once corrected), asks its own credit level; another enterprise sees only its own."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import httpx
import websockets
from sqlalchemy.orm import sessionmaker

from api.auth.security import create_enterprise_token
from api.core.database import make_engine
from tests.api.reminderkit import correct_deductions, make_enterprise


def seed(stack, **kwargs):
    engine = make_engine(f"sqlite:///{stack.logs / 'e2e.db'}")
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        enterprise = make_enterprise(session, **kwargs)
    engine.dispose()
    return enterprise


def corrected(stack, enterprise):
    engine = make_engine(f"sqlite:///{stack.logs / 'e2e.db'}")
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        correct_deductions(session, enterprise)
    engine.dispose()


async def recv_until(ws, predicate, timeout: float = 60.0) -> dict:
    async def loop():
        while True:
            event = json.loads(await ws.recv())
            if predicate(event):
                return event
    return await asyncio.wait_for(loop(), timeout)


def bot_kind(kind):
    return lambda e: e["type"] == "message" and e["message"]["sender"] == "bot" and \
        (e["message"]["custom"] or {}).get("kind") == kind


async def say(ws, text, payload=None):
    body = {"type": "message", "text": text, "client_id": uuid.uuid4().hex}
    if payload:
        body["payload"] = payload
    await ws.send(json.dumps(body))


async def _chat(api_url: str, token: str, steps):
    ws_url = api_url.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        visitor = (await http.post("/api/widget/session", json={"enterprise_token": token})).json()["visitor_token"]
    async with websockets.connect(f"{ws_url}/ws/widget") as ws:
        await ws.send(json.dumps({"type": "auth", "visitor_token": visitor, "enterprise_token": token}))
        hello = json.loads(await ws.recv())
        return hello, await steps(ws, hello)


def test_a_b_level_enterprise_finds_its_reminders_repairs_and_asks_its_credit(stack, api_url):
    enterprise = seed(stack, name="演示逾期有限公司", level="B")
    other = seed(stack, name="另一家守信有限公司", level="A", overdue=False, repairable=False)
    token = create_enterprise_token(enterprise.uscc, enterprise.name, secret=stack.env["APP_SECRET"], lifetime=timedelta(hours=1))

    async def steps(ws, hello):
        reminders = [m for m in hello["messages"] if (m["custom"] or {}).get("kind") == "reminder"]
        credit = next(m for m in reminders if m["custom"]["type"] == "credit")
        how = next(b for b in credit["buttons"] if b["title"] == "怎么修复")
        await say(ws, how["title"], how["payload"])
        guidance = (await recv_until(ws, bot_kind("answer")))["message"]
        apply = next(b for b in credit["buttons"] if b["title"] == "申请修复")
        await say(ws, apply["title"], apply["payload"])
        too_early = (await recv_until(ws, bot_kind("reminder_answer")))["message"]  # not corrected yet
        corrected(stack, enterprise)
        await say(ws, apply["title"], apply["payload"])
        applied = (await recv_until(ws, bot_kind("reminder_answer")))["message"]
        await say(ws, "我家信用等级是多少")
        own = (await recv_until(ws, bot_kind("credit")))["message"]
        return {"reminders": reminders, "guidance": guidance, "too_early": too_early, "applied": applied, "own": own}

    hello, seen = asyncio.run(_chat(api_url, token, steps))  # noqa: RUF059
    types = {m["custom"]["type"] for m in seen["reminders"]}
    assert "credit" in types and types & {"policy", "risk"}
    assert seen["guidance"]["custom"]["topic"].startswith("credit")
    assert seen["too_early"]["custom"]["not_ready"] == "correct_first" and not seen["too_early"]["custom"]["repairs"]
    assert "请先纠正" in seen["too_early"]["text"] and "5个工作日" not in seen["too_early"]["text"]
    assert seen["applied"]["custom"]["repairs"] and "5个工作日" in seen["applied"]["text"]
    assert seen["own"]["custom"]["level"] == "B" and seen["own"]["custom"]["deductions"]
    assert "演示逾期有限公司" in seen["own"]["text"] or "B级" in seen["own"]["text"]

    other_token = create_enterprise_token(other.uscc, other.name, secret=stack.env["APP_SECRET"], lifetime=timedelta(hours=1))

    async def ask_level(ws, hello):
        await say(ws, f"查一下{enterprise.uscc}的信用等级")  # typing another USCC unlocks nothing
        typed = (await recv_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "bot"
                                  and e["message"]["custom"]))["message"]
        await say(ws, "我家信用等级是多少")
        return typed, (await recv_until(ws, bot_kind("credit")))["message"]

    _, (typed, theirs) = asyncio.run(_chat(api_url, other_token, ask_level))
    assert "演示逾期" not in typed["text"] and typed["custom"].get("level") != "B"
    assert theirs["custom"]["level"] == "A" and "演示逾期" not in theirs["text"]
