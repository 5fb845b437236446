"""`make bench-faults`: nothing lost or duplicated when a process dies (issue 17, faults).

Everything runs on servers of its own, so it may kill them: a private PostgreSQL cluster (initdb into a
temporary directory, trust auth, a free port) and a private redis-server (append-only file, fsync always),
`alembic upgrade head`, the demo seats (`tools.demo.seed`) and ENTERPRISES demo enterprises
(`tools.demo.enterprises`). Then the real stack (tools.bench.stack): the action server, Rasa with its trackers and
locks in that Redis (`bot/endpoints.redis.yml`) and two API instances, behind a small TCP balancer of this
process (what a load balancer does: each new connection to the next instance that accepts it). The widgets and
the action server reach the API only through the balancer.

While N petitions are filed (default 1,000; most through the widget's 留言 route `POST /api/widget/leave-message`,
one in ten through the chat — the petition form, turn by turn over the widget's WebSocket to Rasa, the action
server and `POST /api/internal/petitions`), every process is killed in turn and started again at once, as a
supervisor would: kill -9 Rasa, kill -9 the action server, kill -9 API instance 1, then a reminder campaign is
scheduled and kill -9 hits whichever API instance holds its sender's Redis lock (`lock:campaign-send`: the lock's
value names host and pid, api.core.scheduling.holder_token) while it sends; then Redis is killed (-9) and
restarted, then PostgreSQL is stopped as by a crash (immediate) and restarted.

The clients behave as the widget does: each 留言 has one ``client_id`` and is resent with it after any error
until it is registered; a chat message has its ``client_id`` and after a dropped connection the widget reconnects
(through the balancer, to a live instance) and resends a message that has no answer yet with the same id. The
hub's honest "bot unavailable" line (Rasa down) and the form's "登记系统暂时无法连接" are answers the enterprise has
to act on: the client then sends the same words again after a pause, and these re-sends are counted ("retyped").

Afterwards, from the database: petitions expected vs stored (each filing carries a unique mark in its text: 0
lost, 0 duplicated; the ticket the client was told is the stored one), user messages stored twice (same
client_id), reminders per enterprise and campaign (and chat deliveries per reminder, SMS per outbox row in the
recording sender's file), whether the campaign finished and its counters agree with its reminders, and whether
the SLA sweep still runs (a filed petition's handover deadline is moved into the past: its overdue mark must
appear). Figures and logs: var/bench/faults/ (report.json). A smaller run is tests/faults/test_kill_and_restart.py.

    .venv/bin/python -m tools.bench_faults [--filings 1000] [--chat-every 10] [--enterprises 20000]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import faulthandler
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from common.identifiers import make_uscc
from tools.bench.stack import BIN, MODEL, ROOT, PrivatePostgres, PrivateRedis, Stack, free_port

__all__ = ["Config", "run_faults", "verdict", "main"]

OUT = ROOT / "var" / "bench" / "faults"
PASSWORD = "faults-password"
BOT_DOWN_PREFIX = "抱歉，智能助手暂时无法回复"
BOT_RETRY_DELAYS = (5, 10, 20, 30, 30, 30)  # the widget's BOT_RETRY_DELAYS_MS
MARK = re.compile(r"故障演练(\d+)号")
FAULTS = ("rasa", "actions", "api", "holder", "redis", "postgres")


@dataclass
class Config:
    filings: int = 1000
    chat_every: int = 10  # every n-th filing goes through the chat (the petition form); the others through 留言
    workers: int = 8
    enterprises: int = 20000
    campaign_batch: int = 500
    rule: str = "vat-small-scale-exemption"
    out: Path = OUT
    give_up_s: float = 600.0  # a filing's client stops resending after this
    settle_s: float = 300.0  # after the last filing: how long to wait for the campaign and the sweep
    faults: tuple = FAULTS


# -- a balancer --------------------------------------------------------------------------------

class Balancer:
    """A TCP balancer in a thread of its own: every new connection goes to the next backend that accepts it."""

    def __init__(self, ports: list[int]):
        self.ports, self.port, self._next = list(ports), free_port(), 0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="balancer", daemon=True)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = None
        for _ in range(len(self.ports)):
            port = self.ports[self._next % len(self.ports)]
            self._next += 1
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
                break
            except (OSError, asyncio.TimeoutError):
                continue
        if upstream is None:
            writer.close()
            return
        up_reader, up_writer = upstream

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                try:  # noqa: SIM105
                    sink.close()
                except OSError:
                    pass

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


# -- the widget --------------------------------------------------------------------------------

@dataclass
class Tally:
    """What the clients saw."""
    filed: dict = field(default_factory=dict)  # filing number -> ticket the client was told
    given_up: list = field(default_factory=list)
    leave_attempts: int = 0
    leave_errors: collections.Counter = field(default_factory=collections.Counter)
    turns_sent: int = 0
    turns_answered: int = 0
    turns_bot_down: int = 0  # turns that got the hub's "bot unavailable" line first
    bot_retries: int = 0  # resent (same client_id) after that line, as the widget does
    turns_unanswered: int = 0
    resends: int = 0  # same client_id sent again after a reconnect (the widget, not the enterprise)
    reconnects: int = 0
    retyped: int = 0  # the enterprise had to send its words again (bot down, registration unavailable)
    rate_limited: int = 0
    unanswered_traces: list = field(default_factory=list)  # what happened to each turn left unanswered


class Widget:
    """One visitor's widget: a session, a WebSocket through the balancer, and turns that survive a dropped
    connection (reconnect with ``after``, resend what has no answer yet with the same client_id)."""

    def __init__(self, http: httpx.AsyncClient, balancer: Balancer, tally: Tally):
        self.http, self.balancer, self.tally = http, balancer, tally
        self.token: str | None = None
        self.ws: websockets.ClientConnection | None = None
        self.max_id = 0
        self.seen: dict[int, dict] = {}

    async def session(self) -> str:
        while self.token is None:
            try:
                response = await self.http.post(f"{self.balancer.http}/api/widget/session", json={})
                if response.status_code == 200:
                    self.token = response.json()["visitor_token"]
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
        return self.token

    async def connect(self, deadline: float) -> None:
        await self.session()
        delay = 0.5
        while time.monotonic() < deadline:
            try:
                ws = await websockets.connect(f"{self.balancer.ws}/ws/widget", open_timeout=20, ping_interval=None,
                                              close_timeout=2, max_size=2**24)
                auth: dict[str, object] = {"type": "auth", "visitor_token": self.token}
                if self.max_id:
                    auth["after"] = self.max_id
                await ws.send(json.dumps(auth))
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if event.get("type") == "hello":
                        for message in event.get("messages") or []:
                            self._keep(message)
                        self.ws = ws
                        return
            except (OSError, asyncio.TimeoutError, websockets.WebSocketException, ValueError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4)
        raise TimeoutError("could not connect")

    def _keep(self, message: dict) -> None:
        self.seen[message["id"]] = message
        self.max_id = max(self.max_id, message["id"])

    def _echo(self, client_id: str) -> dict | None:
        return next((m for m in self.seen.values() if m.get("client_id") == client_id and m["sender"] == "user"), None)

    def _after(self, client_id: str) -> list[dict]:
        """What followed the stored message with this client_id, up to the enterprise's next message."""
        echo = self._echo(client_id)
        if echo is None:
            return []
        out = []
        for i, message in sorted(self.seen.items()):
            if i <= echo["id"]:
                continue
            if message["sender"] == "user":
                break
            out.append(message)
        return out

    def _answers(self, client_id: str) -> list[dict] | None:
        """The messages that answer the one with this client_id (the hub's "bot unavailable" line is none), or
        None when none came yet."""
        return [m for m in self._after(client_id) if not bot_down(m)] or None

    async def close(self) -> None:
        if self.ws is not None:
            try:  # noqa: SIM105
                await self.ws.close()
            except Exception:  # noqa: BLE001
                pass
            self.ws = None

    async def turn(self, text: str, timeout: float = 240) -> list[dict] | None:
        """Send one message and return its answers (bot, seat or system messages), or None when none came. As the
        widget does: after a reconnect a message without an answer is resent; after the hub's "bot unavailable"
        line it is resent with the same client_id after 5, 10, 20, 30, 30, 30 s (api/web/static/widget.js)."""
        client_id = uuid.uuid4().hex
        frame = json.dumps({"type": "message", "text": text, "client_id": client_id}, ensure_ascii=False)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self.tally.turns_sent += 1
        sent, retry_at, retries = False, None, 0
        began, trace = loop.time(), []

        def note(what: str) -> None:
            trace.append(f"{loop.time() - began:.1f}s {what}")

        while loop.time() < deadline:
            if self.ws is None:
                try:
                    await self.connect(deadline)
                except TimeoutError:
                    note("could not connect")
                    break
                note("connected")
                if sent:
                    self.tally.reconnects += 1
                    if self._answers(client_id) is not None:
                        break
                    self.tally.resends += 1
                sent = False
            assert self.ws is not None  # connected above, or the loop left
            if not sent:
                try:
                    await self.ws.send(frame)
                    sent = True
                    note("sent")
                except websockets.WebSocketException:
                    self.ws = None
                    note("send failed")
                    continue
            wait = deadline - loop.time() if retry_at is None else min(deadline, retry_at) - loop.time()
            try:
                raw = await asyncio.wait_for(self.ws.recv(), max(0.05, wait))
            except asyncio.TimeoutError:
                if retry_at is not None and loop.time() >= retry_at:
                    sent = False  # resend: the same client_id
                    self.tally.bot_retries += 1
                    retries += 1
                    retry_at = loop.time() + BOT_RETRY_DELAYS[retries] if retries < len(BOT_RETRY_DELAYS) else None
                continue
            except websockets.WebSocketException as exc:
                self.ws = None
                note(f"closed {exc}")
                await asyncio.sleep(1)  # the widget waits a second before it reconnects
                continue
            event = json.loads(raw)
            if event.get("type") == "message":
                self._keep(event["message"])
                if self._answers(client_id) is not None:
                    await self._drain(0.6)  # the rest of the bot's turn arrives together
                    break
                if retry_at is None and retries == 0 and any(bot_down(m) for m in self._after(client_id)):
                    retry_at = loop.time() + BOT_RETRY_DELAYS[0]
                    note("bot unavailable")
                elif event["message"].get("client_id") == client_id:
                    note(f"echo {event['message']['id']}")
            elif event.get("type") == "error":
                if event.get("code") == "rate_limited":
                    self.tally.rate_limited += 1
                await asyncio.sleep(1)
                sent = False
        answers = self._answers(client_id)
        if any(bot_down(m) for m in self._after(client_id)):
            self.tally.turns_bot_down += 1
        if answers is None:
            self.tally.turns_unanswered += 1
            self.tally.unanswered_traces.append({"text": text, "client_id": client_id, "trace": trace})
        else:
            self.tally.turns_answered += 1
        return answers

    async def _drain(self, quiet: float) -> None:
        while self.ws is not None:
            try:
                event = json.loads(await asyncio.wait_for(self.ws.recv(), quiet))
            except asyncio.TimeoutError:
                return
            except websockets.WebSocketException:
                self.ws = None
                return
            if event.get("type") == "message":
                self._keep(event["message"])


def bot_down(message: dict) -> bool:
    return message["sender"] == "system" and (message.get("text") or "").startswith(BOT_DOWN_PREFIX)


def _customs(answers: list[dict] | None) -> list[dict]:
    return [m["custom"] for m in answers or [] if isinstance(m.get("custom"), dict)]


SLOT_ANSWERS = {"category": "是的", "taxpayer_name": "成都某某商贸有限公司", "contact_phone": "13912345678",
                "confirm": "确认提交"}


async def file_in_chat(n: int, http: httpx.AsyncClient, balancer: Balancer, tally: Tally, give_up_s: float) -> None:
    """The petition form through the widget, answering each slot the bot asks for."""
    widget = Widget(http, balancer, tally)
    demand = f"我要投诉，办税服务厅排队排了三个小时，窗口工作人员态度很差，故障演练{n}号"
    deadline = time.monotonic() + give_up_s
    text = demand
    try:
        while time.monotonic() < deadline:
            answers = await widget.turn(text)
            customs = _customs(answers)
            created = [c for c in customs if c.get("kind") == "petition_created"]
            if created:
                tally.filed[n] = created[0]["ticket"]
                return
            kinds = {c.get("kind") for c in customs}
            down = answers is None
            if down or ("fallback" in kinds and any(c.get("reason") == "petition_unavailable" for c in customs)):
                tally.retyped += 1
                await asyncio.sleep(2)
                if not down:
                    text = "我要提诉求"  # what the bot asks for: the form was kept, it submits again
                continue
            forms = [c for c in customs if c.get("kind") == "form"]
            slot = forms[-1].get("slot") if forms else None
            if slot == "content":
                text = demand
            elif slot == "uscc":
                text = make_uscc(100000 + n)
            elif slot in SLOT_ANSWERS:
                text = SLOT_ANSWERS[slot]
            else:  # the bot lost the thread (a tracker write lost with Redis, an answer to a resend): start again
                tally.retyped += 1
                text = demand
        tally.given_up.append(n)
    finally:
        await widget.close()


async def file_leave_message(n: int, http: httpx.AsyncClient, balancer: Balancer, tally: Tally,
                             give_up_s: float) -> None:
    """留言 as the widget sends it: one client_id, resent after any error until the ticket comes back."""
    widget = Widget(http, balancer, tally)
    token = await widget.session()
    body = {"taxpayer_name": "成都某某商贸有限公司", "contact_phone": "13912345678", "client_id": uuid.uuid4().hex,
            "content": f"非服务时间留言：申请开具完税证明，请工作人员回电，故障演练{n}号"}
    deadline, delay = time.monotonic() + give_up_s, 0.3
    while time.monotonic() < deadline:
        tally.leave_attempts += 1
        try:
            response = await http.post(f"{balancer.http}/api/widget/leave-message", json=body,
                                       headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 201:
                tally.filed[n] = response.json()["ticket"]
                return
            tally.leave_errors[str(response.status_code)] += 1
        except httpx.HTTPError as exc:
            tally.leave_errors[type(exc).__name__] += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3)
    tally.given_up.append(n)


# -- faults ------------------------------------------------------------------------------------

class Faults:
    """Kills and restarts, each logged with what it took."""

    def __init__(self, stack: Stack, pg: PrivatePostgres, redis_server: PrivateRedis, config: Config):
        self.stack, self.pg, self.redis_server, self.config = stack, pg, redis_server, config
        self.log: list[dict] = []
        self.campaign_id: int | None = None

    def _restart(self, name: str) -> float:
        self.stack.restart(name)
        return self.stack.wait(name, timeout=600)

    def rasa(self) -> dict:
        self.stack.kill("rasa")
        return {"back_after_s": round(self._restart("rasa"), 1)}

    def actions(self) -> dict:
        self.stack.kill("actions")
        return {"back_after_s": round(self._restart("actions"), 1)}

    def api(self) -> dict:
        self.stack.kill("api1")
        return {"instance": 1, "back_after_s": round(self._restart("api1"), 1)}

    def holder(self) -> dict:
        """Schedule the campaign, wait until an instance sends it, kill -9 that instance."""
        import redis

        self.campaign_id = schedule_campaign(self.stack.database_url, self.config.rule)
        client = redis.Redis.from_url(self.stack.redis_url, decode_responses=True)
        deadline, holder, cursor = time.monotonic() + 120, None, 0
        while time.monotonic() < deadline:
            value: str | None = client.get("lock:campaign-send")  # type: ignore[assignment]  # decode_responses
            cursor = campaign_state(self.stack.database_url, self.campaign_id)["cursor"]
            if value and cursor > 0:
                holder = int(value.split(":")[1])
                break
            time.sleep(0.02)
        client.close()
        pids = {p.pid: n for n, p in self.stack.processes.items() if n.startswith("api")}
        name = pids.get(holder)
        if name is None:
            return {"campaign_id": self.campaign_id, "killed": None, "note": f"no API instance held the lock ({holder})"}
        self.stack.kill(name)
        return {"campaign_id": self.campaign_id, "killed": name, "campaign_cursor_at_kill": cursor,
                "back_after_s": round(self._restart(name), 1)}

    def redis(self) -> dict:
        began = time.monotonic()
        self.redis_server.kill()
        time.sleep(1)
        self.redis_server.start()
        return {"down_s": round(time.monotonic() - began, 1)}

    def postgres(self) -> dict:
        began = time.monotonic()
        self.pg.crash()
        time.sleep(1)
        self.pg.start()
        return {"down_s": round(time.monotonic() - began, 1)}

    def run(self, name: str) -> None:
        began = time.monotonic()
        at = time.strftime("%H:%M:%S")
        try:
            outcome = getattr(self, name)()
        except Exception as exc:  # noqa: BLE001 - reported, never hidden
            outcome = {"error": f"{type(exc).__name__}: {exc}"}
        self.log.append({"fault": name, "at": at, "took_s": round(time.monotonic() - began, 1), **outcome})
        print(f"  fault {name}: {self.log[-1]}", flush=True)


# -- storage helpers (in this process, straight to the private database) -----------------------

def _engine(url: str):
    from api.core.database import make_engine

    return make_engine(url)


def schedule_campaign(url: str, rule: str) -> int:
    from api.core.time import aware_now
    from api.reminder import campaigns

    engine = _engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        campaign = campaigns.create("故障演练", rule, session=session, staff_id=None, now=aware_now())
        campaigns.schedule(campaign, None, now=aware_now())
        session.commit()
        campaign_id = campaign.id
    engine.dispose()
    return campaign_id


def campaign_state(url: str, campaign_id: int) -> dict:
    from sqlalchemy import text

    engine = _engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, cursor, targeted FROM campaigns WHERE id = :i"),
                           {"i": campaign_id}).one()
    engine.dispose()
    return {"status": row.status, "cursor": row.cursor, "targeted": row.targeted}


def _query(url: str, sql: str, **params) -> list:
    from sqlalchemy import text

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def make_overdue(url: str) -> int | None:
    """Move a filed, still registered petition's handover deadline into the past; its id."""
    from sqlalchemy import text

    engine = _engine(url)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT id FROM petitions WHERE status = 'registered' AND handover_due IS NOT NULL "
                                "ORDER BY id LIMIT 1")).first()
        if row is None:
            return None
        conn.execute(text("UPDATE petitions SET handover_due = handover_due - 10 WHERE id = :i"), {"i": row.id})
    engine.dispose()
    return int(row.id)


def check(url: str, tally: Tally, config: Config, campaign_id: int | None, sms_file: Path) -> dict:
    stored = collections.defaultdict(list)
    for ticket, content in _query(url, "SELECT ticket, content FROM petitions WHERE content LIKE '%故障演练%'"):
        found = MARK.search(content)
        if found:
            stored[int(found.group(1))].append(ticket)
    filed = tally.filed
    lost = sorted(n for n in filed if n not in stored)
    duplicated = sorted(n for n, tickets in stored.items() if len(tickets) > 1)
    wrong_ticket = sorted(n for n, t in filed.items() if n in stored and t not in stored[n])
    double_messages = _query(url, "SELECT conversation_id, client_id, count(*) FROM conversation_messages WHERE client_id IS NOT NULL "
                                  "GROUP BY conversation_id, client_id HAVING count(*) > 1")
    out = {"filings": config.filings, "filed_by_clients": len(filed), "given_up_by_clients": len(tally.given_up),
           "stored": sum(len(t) for t in stored.values()), "distinct_stored": len(stored), "lost": len(lost),
           "lost_examples": lost[:10], "duplicated": len(duplicated), "duplicated_examples": duplicated[:10],
           "ticket_mismatch": len(wrong_ticket), "stored_without_client_ticket": len(set(stored) - set(filed)),
           "user_messages_stored_twice": len(double_messages)}
    if campaign_id is not None:
        state = campaign_state(url, campaign_id)
        twice = _query(url, "SELECT enterprise_id, count(*) FROM reminders WHERE campaign_id = :c "
                            "GROUP BY enterprise_id HAVING count(*) > 1", c=campaign_id)
        reminders = _query(url, "SELECT count(*) FROM reminders WHERE campaign_id = :c", c=campaign_id)[0][0]
        out["campaign"] = {"id": campaign_id, **state, "reminders": reminders,
                           "enterprises_reminded_twice": len(twice),
                           "counter_agrees": state["targeted"] == reminders}
    delivered_twice = _query(url, "SELECT custom->>'reminder_id', count(*) FROM conversation_messages WHERE kind = 'reminder' "
                                  "GROUP BY 1 HAVING count(*) > 1")
    out["reminder_chat_deliveries_twice"] = len(delivered_twice)
    references: collections.Counter[str] = collections.Counter()
    if sms_file.exists():
        for line in sms_file.read_text(encoding="utf-8").splitlines():
            references[json.loads(line)["reference"]] += 1
    out["sms"] = {"recorded": sum(references.values()), "sent_twice": sum(1 for c in references.values() if c > 1)}
    out["widget"] = {"turns_sent": tally.turns_sent, "answered": tally.turns_answered,
                     "unanswered": tally.turns_unanswered, "told_bot_unavailable_first": tally.turns_bot_down,
                     "resent_after_bot_unavailable": tally.bot_retries,
                     "reconnects": tally.reconnects, "resent_same_client_id": tally.resends,
                     "retyped_by_enterprise": tally.retyped, "rate_limited": tally.rate_limited}
    out["unanswered_traces"] = tally.unanswered_traces[:10]
    out["leave_message"] = {"attempts": tally.leave_attempts, "errors": dict(tally.leave_errors)}
    return out


def verdict(report: dict) -> list[str]:
    """What failed the requirement (empty: nothing)."""
    c = report.get("checks") or {}
    problems = []
    for key in ("lost", "duplicated", "ticket_mismatch", "given_up_by_clients", "user_messages_stored_twice",
                "reminder_chat_deliveries_twice"):
        if c.get(key):
            problems.append(f"{key}: {c[key]}")
    if (c.get("sms") or {}).get("sent_twice"):
        problems.append(f"sms sent twice: {c['sms']['sent_twice']}")
    campaign = c.get("campaign")
    if campaign:
        if campaign["enterprises_reminded_twice"]:
            problems.append(f"enterprises reminded twice: {campaign['enterprises_reminded_twice']}")
        if campaign["status"] != "sent":
            problems.append(f"campaign not finished: {campaign['status']}")
        if not campaign["counter_agrees"]:
            problems.append("campaign counter disagrees with its reminders")
    if report.get("sla_sweep_after_faults", {}).get("overdue_marked") is not True:
        problems.append("the SLA sweep did not mark the overdue petition after the faults")
    if (c.get("widget") or {}).get("unanswered"):
        problems.append(f"widget messages never answered: {c['widget']['unanswered']}")
    for fault in report.get("faults") or []:
        if "error" in fault:
            problems.append(f"fault {fault['fault']}: {fault['error']}")
    return problems


# -- the run -----------------------------------------------------------------------------------

async def drive(config: Config, stack: Stack, balancer: Balancer, faults: Faults, tally: Tally) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    for n in range(1, config.filings + 1):
        queue.put_nowait(n)
    done = started = 0
    steps = [name for name in FAULTS if name in config.faults]
    # The filings come in len(steps) + 1 slices: slice k + 1 may start once fault k has begun, and fault k begins
    # once slice k is done (its kill lands 1.5 s after slice k + 1 started), so every fault strikes while filings
    # are in flight, however fast the 留言 go and however long Rasa takes to come back.
    slices = len(steps) + 1
    thresholds = [config.filings * (k + 1) // slices for k in range(len(steps))]

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as http:
        async def worker() -> None:
            nonlocal done
            while not queue.empty():
                n = queue.get_nowait()
                while n > config.filings * (started + 1) // slices:  # noqa: ASYNC110 - gated by the faults
                    await asyncio.sleep(0.1)
                if config.chat_every and n % config.chat_every == 0:
                    await file_in_chat(n, http, balancer, tally, config.give_up_s)
                else:
                    await file_leave_message(n, http, balancer, tally, config.give_up_s)
                done += 1

        async def inject() -> None:
            nonlocal started
            for name, threshold in zip(steps, thresholds):  # noqa: B905
                while done < threshold:  # noqa: ASYNC110 - polled: the workers only count
                    await asyncio.sleep(0.2)
                started += 1  # the next slice of filings starts ...
                await asyncio.sleep(1.5)  # ... and is in flight when the fault strikes
                await asyncio.to_thread(faults.run, name)

        began = time.monotonic()  # not ``started``: that counts the slices let in

        def print_stacks() -> None:
            for task in asyncio.all_tasks():
                task.print_stack(file=sys.stdout)

        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, print_stacks)  # kill -USR2 <pid>: who waits
        progress = asyncio.create_task(_progress(lambda: done, config.filings, began))
        await asyncio.gather(inject(), *(worker() for _ in range(config.workers)))
        progress.cancel()


async def _progress(done, total: int, started: float) -> None:
    while True:
        await asyncio.sleep(15)
        print(f"  {done()}/{total} filings after {time.monotonic() - started:.0f} s", flush=True)


def prepare(stack: Stack, config: Config) -> None:
    env = stack.env()
    commands = ([str(BIN / "alembic"), "upgrade", "head"], [sys.executable, "-m", "tools.demo.seed"],
                [sys.executable, "-m", "tools.demo.enterprises", "--n", str(config.enterprises)])
    for command in commands:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        with (config.out / "setup.log").open("a") as log:
            log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        if done.returncode:
            raise RuntimeError(f"{command[2:]} failed ({done.returncode}); see {config.out / 'setup.log'}")


def wait_until(predicate, timeout: float, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # noqa: BLE001 - storage may still be coming back
            value = None
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def run_faults(config: Config) -> dict:
    """The whole run: servers, stack, filings with the faults, checks. Returns the report (see ``verdict``)."""
    if not MODEL.exists():
        raise RuntimeError("models/current.tar.gz is missing: run `make train` first")
    config.out.mkdir(parents=True, exist_ok=True)
    for old in config.out.glob("*.log"):
        old.unlink()
    sms_file = config.out / "sms-outbox.jsonl"
    sms_file.unlink(missing_ok=True)
    report: dict = {"config": {k: str(v) if isinstance(v, Path) else v for k, v in config.__dict__.items()},
                    "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    pg, redis_server = PrivatePostgres(), PrivateRedis()
    stack = balancer = None
    try:
        print(f"private PostgreSQL on {pg.port}, redis-server on {redis_server.port} ...", flush=True)
        pg.init()
        redis_server.start()
        api_ports = (free_port(), free_port())
        balancer = Balancer(list(api_ports))
        balancer.start()
        stack = Stack(database_url=pg.url, redis_url=redis_server.url(0), rasa_redis=("127.0.0.1", redis_server.port, 1),
                      logs=config.out, api_ports=api_ports, api_url=balancer.http, extra_env={
                          "SERVICE_HOURS": "00:00-24:00", "SERVICE_WORKDAYS_ONLY": "false", "DEMO_PASSWORD": PASSWORD,
                          "SLA_SWEEP_SECONDS": "3", "CAMPAIGN_SWEEP_SECONDS": "1", "CAMPAIGN_LOCK_SECONDS": "10",
                          "CAMPAIGN_BATCH": str(config.campaign_batch), "MESSAGES_PER_MINUTE": "6000",
                          "MESSAGE_BURST": "6000", "VISITOR_TOKENS_PER_ADDRESS": "1000000/1h",
                          "LEAVE_MESSAGES_PER_ADDRESS": "1000000/1d", "SMS_SENDER": "recording",
                          "SMS_RECORD_PATH": str(sms_file), "RETRAIN_SWEEP_ENABLED": "false",
                          "ANALYTICS_SWEEP_ENABLED": "false", "REMINDER_QUIET_HOURS": ""})
        print(f"migrating and seeding ({config.enterprises} enterprises) ...", flush=True)
        began = time.monotonic()
        prepare(stack, config)
        report["seed_s"] = round(time.monotonic() - began, 1)
        print("starting actions, Rasa and two API instances ...", flush=True)
        stack.start_all()
        for name in ("api1", "api2", "actions"):
            stack.wait(name)
        report["rasa_ready_s"] = round(stack.wait("rasa"), 1)
        faults = Faults(stack, pg, redis_server, config)
        tally = Tally()
        print(f"ready; {config.filings} filings with faults {', '.join(config.faults)} ...", flush=True)
        began = time.monotonic()
        asyncio.run(drive(config, stack, balancer, faults, tally))
        report["filing_s"] = round(time.monotonic() - began, 1)
        report["faults"] = faults.log
        campaign_id = faults.campaign_id
        if campaign_id is not None:
            began = time.monotonic()
            state = wait_until(lambda: campaign_state(pg.url, campaign_id)["status"] == "sent", config.settle_s)
            report["campaign_finished_after_filings_s"] = round(time.monotonic() - began, 1) if state else None
        petition_id = wait_until(lambda: make_overdue(pg.url), 30)
        began = time.monotonic()
        marked = wait_until(lambda: _query(pg.url, "SELECT 1 FROM petition_events WHERE petition_id = :i AND action = "
                                                   "'clock_overdue'", i=petition_id), 120) if petition_id else None
        report["sla_sweep_after_faults"] = {"petition_id": petition_id, "overdue_marked": bool(marked),
                                            "after_s": round(time.monotonic() - began, 1)}
        report["checks"] = check(pg.url, tally, config, campaign_id, sms_file)
    finally:
        if stack is not None:
            stack.stop()
        if balancer is not None:
            balancer.stop()
        redis_server.remove()
        pg.remove()
        report["load_after"] = os.getloadavg()
        (config.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str),
                                                encoding="utf-8")
    report["problems"] = verdict(report)
    return report


def print_report(report: dict) -> None:
    c = report.get("checks") or {}
    print("\n=== faults: nothing lost or duplicated when a process dies ===")
    print(f"seeded in {report.get('seed_s')} s; Rasa ready after {report.get('rasa_ready_s')} s; "
          f"filings took {report.get('filing_s')} s")
    for fault in report.get("faults") or []:
        print(f"  {fault}")
    print(f"petitions: expected {c.get('filings')}, told a ticket {c.get('filed_by_clients')}, "
          f"stored {c.get('stored')} ({c.get('distinct_stored')} distinct) -> lost {c.get('lost')}, "
          f"duplicated {c.get('duplicated')}, ticket mismatch {c.get('ticket_mismatch')}, "
          f"clients gave up {c.get('given_up_by_clients')}")
    print(f"user messages stored twice: {c.get('user_messages_stored_twice')}")
    campaign = c.get("campaign")
    if campaign:
        print(f"campaign {campaign['id']}: {campaign['status']}, {campaign['reminders']} reminders, enterprises "
              f"reminded twice {campaign['enterprises_reminded_twice']}, counter agrees {campaign['counter_agrees']}; "
              f"finished {report.get('campaign_finished_after_filings_s')} s after the last filing")
    print(f"reminders delivered twice in chat: {c.get('reminder_chat_deliveries_twice')}; SMS {c.get('sms')}")
    print(f"SLA sweep after the faults: {report.get('sla_sweep_after_faults')}")
    print(f"widget: {c.get('widget')}")
    print(f"留言: {c.get('leave_message')}")
    print(f"load average at the end: {report.get('load_after')}")
    problems = report.get("problems") or []
    print("verdict: " + ("0 lost, 0 duplicated, 0 sent twice; everything resumed" if not problems
                         else "PROBLEMS: " + "; ".join(problems)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=1000)
    parser.add_argument("--chat-every", type=int, default=10, help="every n-th filing through the chat (0: none)")
    parser.add_argument("--workers", type=int, default=8, help="filings at the same time")
    parser.add_argument("--enterprises", type=int, default=20000)
    parser.add_argument("--campaign-batch", type=int, default=500)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"which, in this order: {','.join(FAULTS)}")
    args = parser.parse_args()
    config = Config(filings=args.filings, chat_every=args.chat_every, workers=args.workers,
                    enterprises=args.enterprises, campaign_batch=args.campaign_batch,
                    faults=tuple(f for f in args.faults.split(",") if f))

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1 <pid>: where is it?
    try:
        report = run_faults(config)
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        return 130
    print_report(report)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())

