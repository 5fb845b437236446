"""`make bench-hub`: what the conversation hub (api/hub, docs/hub.md) costs on top of the bot, how it
holds up under load, and how fast events cross from one API instance to another.

The real stack is started on free ports, as in production with two API instances behind a balancer:
one Rasa action server, one Rasa server (`bot/endpoints.redis.yml`: trackers and locks in Redis db 13)
and TWO API instances (uvicorn `api.main:create_app --factory`) sharing one PostgreSQL database
``bench_hub`` (public schema dropped and re-created, then `alembic upgrade head`, then the demo seats of
`python -m tools.demo.seed`) and one Redis db 12 (flushed first). Process output goes to var/bench/hub/*.log;
every process is stopped at the end (process groups: SIGTERM, then SIGKILL), also on Ctrl-C or errors.

Messages: the kb, out_of_scope and greet_bye items of the shared dev set (../shared/eval/dev_questions.yml);
handoff and petition items are left out so conversations stay with the bot.

1. Sequential overhead (target: the hub's own time <= 10 ms p95). For each of N questions (default 150),
   alternately first or second: (a) through the hub, a new visitor's widget WebSocket on instance 1
   sends the question; the clock stops when the bot message carrying the turn's ``custom`` envelope
   arrives; (b) the same question straight to Rasa's REST channel with a new sender (one keep-alive HTTP
   client, as the hub uses). A new conversation each time, so both trackers are equally short. The
   paired per-question difference hub - direct is the hub's overhead (store, echo, Redis pub/sub relay).
   A second question in the same two conversations is measured the same way (no new conversation row).
   Control: the first question once more straight to Rasa (new sender); its difference from the first
   straight call shows how much of the paired spread is Rasa's own variance, not the hub.
   The hub's own time, without that noise: instance 1 reaches Rasa through a clocking TCP relay
   (tools/bench/clock_relay.py), which notes when each request to Rasa started and when its answer started;
   the turn at the widget minus that span of the same call is what the hub itself added (the relay's two
   loopback hops count as the hub's). Instance 1 goes through the relay in every phase.
   The hub's time is split with the ``created_at`` of the stored messages (same machine, same clock):
   send -> the hub has Rasa's answer (``created_at`` of the bot turn; compared with the straight call:
   what the hub adds before and around the Rasa call), and answer -> on the widget (storing the bot
   turn, Redis pub/sub, WebSocket: no Rasa in it); also send -> ``created_at`` of the user's message.
2. Load: 200 widget connections at once (all on instance 1, then 100/100 on both instances), each sending
   3 questions one after the other (waiting for the answer, think time 0-0.5 s); messages per second
   over the run (first send to last answer) and reply latency; the same 200 x 3 straight against Rasa's
   REST channel for comparison. Errors and timeouts (reply timeout 120 s) are counted, never hidden.
3. Cross-instance relay: seat ganbu1's console WebSocket on instance 2, a widget on instance 1 asks
   for a person (转人工, payload /request_human) and is assigned to the seat; then 200 times (a) the
   seat posts a message on instance 2 until the widget on instance 1 has it, and (b) the widget sends a
   message on instance 1 until the console on instance 2 has it (the bot is silent in human mode).

The widget's per-identity rate limit (MESSAGES_PER_MINUTE, 30 with bursts of 10) would throttle the
200 relay messages of one widget, and the per-address limit on new visitor tokens (30 an hour) the
hundreds of widgets opened from this one address, so the API instances run with MESSAGES_PER_MINUTE=6000,
MESSAGE_BURST=6000 and VISITOR_TOKENS_PER_ADDRESS=100000/1h: the limiters' cost is unchanged (a Redis
counter per message or new token), only their thresholds. Everything else is the
production code path. Figures are printed as a table and written to var/bench/hub/results.json, with
the resident memory of each API instance at the end and, per phase, how much CPU other processes on the
machine took meanwhile (psutil): on a shared 2-core machine that decides how far the figures can be trusted.

Runs in the service runtime; Rasa and the action server start with the bot runtime's python (BOT_PYTHON).

    .venv/bin/python -m tools.bench_hub [--n 150] [--clients 200] [--per-client 3] [--relay 200]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets
import yaml

from tools.bench.stack import BIN, MODEL, ROOT, Stack, free_port, wait_ready

__all__ = ["OUT", "ROOT", "DEV_SET", "BOT_DOWN_PREFIX", "Socket", "make_stack", "prepare_storage", "load_questions",
           "summary", "rss_mb", "cpu_snapshot", "machine_use", "main"]

OUT = ROOT / "var" / "bench" / "hub"
CLOCK_LOG = OUT / "rasa_clock.log"  # tools/bench/clock_relay.py: instance 1's calls to Rasa, timed
DEV_SET = ROOT.parent / "shared" / "eval" / "dev_questions.yml"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "bench_hub"
DATABASE_URL = f"{PG_SERVER}/{BENCH_DB}"
REDIS_URL = "redis://127.0.0.1:6379/12"
RASA_REDIS_DB = "13"
PASSWORD = "bench-password"
BOT_DOWN_PREFIX = "抱歉，智能助手暂时无法回复"


# -- processes ---------------------------------------------------------------------------------

def make_stack(logs: Path = OUT, api_count: int = 2) -> Stack:
    """One action server, one Rasa (trackers and locks in Redis db 13) and two API instances (tools.bench.stack)
    on the bench database, with the hub's limits raised for many widgets from one address (module docstring)."""
    return Stack(database_url=DATABASE_URL, redis_url=REDIS_URL, rasa_redis=("127.0.0.1", 6379, int(RASA_REDIS_DB)),
                 logs=logs, api_count=api_count, extra_env={
                     "SERVICE_HOURS": "00:00-24:00", "SERVICE_WORKDAYS_ONLY": "false", "HUB_SWEEP_ENABLED": "true",
                     "SLA_SWEEP_ENABLED": "false", "DEMO_PASSWORD": PASSWORD, "MESSAGES_PER_MINUTE": "6000",
                     "MESSAGE_BURST": "6000", "VISITOR_TOKENS_PER_ADDRESS": "100000/1h"})


def prepare_storage(env: dict, logs: Path = OUT) -> None:
    """A clean bench_hub database (migrated, demo seats) and clean Redis dbs 12 (hub) and 13 (Rasa); what the
    migration and the seeding print goes to ``logs``/setup.log."""
    import redis
    from sqlalchemy import text

    from api.core.database import make_engine  # postgresql:// through psycopg 3

    admin = make_engine(f"{PG_SERVER}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DB}).first():
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    bench = make_engine(DATABASE_URL).execution_options(isolation_level="AUTOCOMMIT")
    with bench.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    bench.dispose()
    redis.Redis.from_url(REDIS_URL).flushdb()
    redis.Redis(host="127.0.0.1", port=6379, db=int(RASA_REDIS_DB)).flushdb()
    for command in ([str(BIN / "alembic"), "upgrade", "head"], [sys.executable, "-m", "tools.demo.seed"]):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / "setup.log").open("a") as log:
            log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        if done.returncode:
            raise RuntimeError(f"{command[-1]} failed ({done.returncode}); see {logs / 'setup.log'}")


def rss_mb(process: subprocess.Popen) -> float | None:
    """Resident memory of a process and its children (psutil, else /proc VmRSS of the process)."""
    try:
        import psutil

        parent = psutil.Process(process.pid)
        return round(float(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])) / 2**20, 1)
    except ImportError:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
    except Exception:  # noqa: BLE001 - the process is gone
        return None
    return None


def cpu_snapshot(stack: Any) -> dict | None:  # a Stack, or anything with its ``processes``
    """Busy CPU seconds of the whole machine and of our processes (the stack, this client, and the
    PostgreSQL backends of bench_hub), to show how much of the machine other work took meanwhile."""
    try:
        import psutil
    except ImportError:
        return None
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)
    procs = [psutil.Process()]
    for process in stack.processes.values():
        try:
            parent = psutil.Process(process.pid)
            procs += [parent, *parent.children(recursive=True)]
        except psutil.Error:
            pass
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if cmdline.startswith("postgres:") and f" {BENCH_DB} " in cmdline:
            procs.append(proc)
    ours = {}
    for proc in procs:
        try:
            times = proc.cpu_times()
            ours[proc.pid] = times.user + times.system
        except psutil.Error:
            pass
    return {"busy": busy, "ours": ours, "at": time.monotonic()}


def machine_use(before: dict | None, after: dict | None) -> dict | None:
    if not before or not after:
        return None
    wall = after["at"] - before["at"]
    ours = sum(v - before["ours"].get(pid, 0.0) for pid, v in after["ours"].items())
    busy = after["busy"] - before["busy"]
    cores = os.cpu_count() or 1
    return {"wall_s": round(wall, 1), "cpu_busy_s": round(busy, 1), "ours_cpu_s": round(ours, 1),
            "others_cpu_s": round(max(0.0, busy - ours), 1),
            "others_share_of_machine": round(max(0.0, busy - ours) / (wall * cores), 2) if wall else None,
            "loadavg_1m": round(os.getloadavg()[0], 2)}


# -- figures -----------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(seconds: list[float]) -> dict:
    ms = [1000 * s for s in seconds]
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {"n": len(ms), "p50_ms": rounded(pct(ms, 0.5)), "p95_ms": rounded(pct(ms, 0.95)),
            "mean_ms": rounded(statistics.fmean(ms)) if ms else None, "max_ms": rounded(max(ms)) if ms else None}


def signed_summary(seconds: list[float]) -> dict:
    """Percentiles of differences (may be negative), in ms."""
    ms = [1000 * s for s in seconds]
    if not ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None}
    return {"n": len(ms), "p50_ms": round(pct(ms, 0.5) or 0.0, 1), "p95_ms": round(pct(ms, 0.95) or 0.0, 1),
            "mean_ms": round(statistics.fmean(ms), 1)}


def load_questions(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = []
    for group in ("kb", "out_of_scope", "greet_bye"):  # handoff and petition items would leave the bot
        for item in data.get(group) or []:
            text = item.get("text") if isinstance(item, dict) else item
            if isinstance(text, str) and text.strip():
                texts.append(text.strip())
    if not texts:
        raise RuntimeError(f"no questions in {path}")
    return texts


# -- sockets -----------------------------------------------------------------------------------

class Socket:
    """A WebSocket whose events are read by a task and time-stamped on arrival."""

    def __init__(self, ws):
        self.ws = ws
        self.events: asyncio.Queue = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str) -> Socket:
        ws = await websockets.connect(url, open_timeout=120, ping_interval=None, close_timeout=5,
                                      max_size=2**24)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.events.put_nowait((time.perf_counter(), json.loads(raw)))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.events.put_nowait((time.perf_counter(), None))

    async def next(self, deadline: float) -> tuple[float, dict]:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise asyncio.TimeoutError
        at, event = await asyncio.wait_for(self.events.get(), remaining)
        if event is None:
            self.events.put_nowait((at, None))  # stays closed
            raise ConnectionError(f"socket closed (code {self.ws.close_code})")
        return at, event

    async def until(self, predicate, timeout: float) -> tuple[float, dict]:
        deadline = time.perf_counter() + timeout
        while True:
            at, event = await self.next(deadline)
            if predicate(event):
                return at, event

    async def send(self, event: dict) -> None:
        await self.ws.send(json.dumps(event, ensure_ascii=False))

    async def close(self) -> None:
        try:  # noqa: SIM105
            await self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        self.reader.cancel()


async def open_widget(http: httpx.AsyncClient, stack: Stack, instance: int) -> Socket:
    response = await http.post(f"{stack.api(instance)}/api/widget/session", json={})
    response.raise_for_status()
    token = response.json()["visitor_token"]
    widget = await Socket.open(f"{stack.ws(instance)}/ws/widget")
    await widget.send({"type": "auth", "visitor_token": token})  # tokens go in the first frame, never the URL
    await widget.until(lambda e: e.get("type") == "hello", 120)
    return widget


def wall_to_perf(iso: str | None, offset: float) -> float | None:
    """A server timestamp (created_at; same machine, same clock) on this process's perf_counter scale."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).timestamp() - offset


async def widget_turn(widget: Socket, text: str, timeout: float, payload: str | None = None,
                      detail: dict | None = None) -> tuple[float, str]:
    """Send one message; (seconds until the bot message with the turn's envelope arrived, outcome).
    With ``detail``, where the time went: send -> ``created_at`` of the stored user message (``inbound``);
    send -> ``created_at`` of the bot message, taken once Rasa has answered (``to_answer``); from there
    -> on the widget (``outbound``).

    Outcome ``ok``; ``bot_unavailable`` (the hub's honest line when Rasa did not answer); ``no_envelope``
    (the bot's typing ended and no message with an envelope followed within 2 s); an ``error:<code>``
    event; ``timeout``; ``closed``. Only messages newer than the echo of this message count.
    """
    client_id = uuid.uuid4().hex
    message = {"type": "message", "text": text, "client_id": client_id}
    if payload:
        message["payload"] = payload
    offset = time.time() - time.perf_counter()  # taken per turn: immune to clock adjustments between turns
    t0 = time.perf_counter()
    if detail is not None:
        detail["sent_wall"] = t0 + offset
    await widget.send(message)
    deadline = t0 + timeout
    echo_id = echo_at = None
    typing_done_at = None
    try:
        while True:
            at, event = await widget.next(min(deadline, typing_done_at + 2) if typing_done_at else deadline)
            kind = event.get("type")
            if kind == "error":
                return at - t0, f"error:{event.get('code')}"
            if kind == "typing" and event.get("sender") == "bot" and not event.get("on") and echo_id is not None:
                typing_done_at = at
            if kind != "message":
                continue
            wire = event["message"]
            if echo_id is None:
                if wire.get("client_id") == client_id and wire.get("sender") == "user":
                    echo_id, echo_at = wire["id"], wire.get("created_at")
                continue
            if wire["id"] <= echo_id:
                continue
            if wire.get("sender") == "bot" and wire.get("custom") is not None:
                if detail is not None:
                    stored, answered = wall_to_perf(echo_at, offset), wall_to_perf(wire.get("created_at"), offset)
                    if stored is not None and answered is not None:
                        detail.update(inbound=stored - t0, to_answer=answered - t0, outbound=at - answered)
                    detail.update(total=at - t0, received_wall=at + offset)
                return at - t0, "ok"
            if wire.get("sender") == "system" and (wire.get("text") or "").startswith(BOT_DOWN_PREFIX):
                return at - t0, "bot_unavailable"
    except asyncio.TimeoutError:
        if typing_done_at is not None and time.perf_counter() < deadline:
            return typing_done_at - t0, "no_envelope"
        return time.perf_counter() - t0, "timeout"
    except ConnectionError:
        return time.perf_counter() - t0, "closed"


async def rest_turn(http: httpx.AsyncClient, rasa: str, text: str, sender: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    try:
        response = await http.post(f"{rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        items = response.json() or []
    except httpx.TimeoutException:
        return time.perf_counter() - t0, "timeout"
    except (httpx.HTTPError, ValueError) as exc:
        return time.perf_counter() - t0, f"error:{type(exc).__name__}"
    elapsed = time.perf_counter() - t0
    return elapsed, "ok" if any(isinstance(i, dict) and isinstance(i.get("custom"), dict) for i in items) \
        else "no_envelope"


def outcomes(results: list[tuple[float, str]]) -> dict:
    counts: dict[str, int] = {}
    for _, outcome in results:
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# -- 1. sequential overhead --------------------------------------------------------------------

def read_clock(path: Path) -> list[tuple[float, float]]:
    """The relay's spans of the bot's turns (POSTs to the REST channel): (request started, answer started)."""
    spans = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            asked, answered, request = line.split(" ", 2)
            if request.startswith("POST ") and "/webhooks/" in request:
                spans.append((float(asked), float(answered)))
    return spans


def hub_own(turns: list[tuple[float, float, float]], spans: list[tuple[float, float]]) -> dict:
    """Each turn's time at the widget minus the span of its one call to Rasa, timed by the relay (the turns are
    sequential: the call is the one inside the turn's window; a turn with none or several is left out)."""
    own = []
    for sent, received, total in turns:
        inside = [answered - asked for asked, answered in spans if sent <= asked and answered <= received]
        if len(inside) == 1:
            own.append(total - inside[0])
    return {**signed_summary(own), "turns": len(turns)}


class Paired:
    """Hub and straight-to-Rasa latencies of the same questions, paired."""

    def __init__(self):
        self.hub, self.direct, self.diffs, self.hub_out, self.direct_out = [], [], [], [], []
        self.parts: dict[str, list[float]] = {"inbound": [], "to_answer": [], "to_answer_minus_direct": [],
                                              "outbound": []}
        self.noise: list[float] = []  # a second straight call minus the first: what pairing alone scatters
        self.turns: list[tuple[float, float, float]] = []  # (sent, received: wall clock; total seconds) via the hub

    def add(self, hub: tuple, straight: tuple, detail: dict) -> None:
        self.hub_out.append(hub)
        self.direct_out.append(straight)
        if hub[1] == "ok" and straight[1] == "ok":
            self.hub.append(hub[0])
            self.direct.append(straight[0])
            self.diffs.append(hub[0] - straight[0])
            if detail:
                for key in ("inbound", "to_answer", "outbound"):
                    self.parts[key].append(detail[key])
                self.parts["to_answer_minus_direct"].append(detail["to_answer"] - straight[0])
        if hub[1] == "ok" and "received_wall" in detail:
            self.turns.append((detail["sent_wall"], detail["received_wall"], detail["total"]))

    def report(self) -> dict:
        hub, direct = summary(self.hub), summary(self.direct)
        return {"n": len(self.hub_out), "paired_ok": len(self.diffs), "hub": hub, "direct": direct,
                "overhead": {**signed_summary(self.diffs), "p95_hub_minus_p95_direct_ms":
                             round(hub["p95_ms"] - direct["p95_ms"], 1) if self.diffs else None},
                "hub_breakdown": {key: signed_summary(values) for key, values in self.parts.items()},
                "control_direct_minus_direct": signed_summary(self.noise),
                "hub_own": hub_own(self.turns, read_clock(CLOCK_LOG)),
                "outcomes_hub": outcomes(self.hub_out), "outcomes_direct": outcomes(self.direct_out)}


async def sequential(stack: Stack, questions: list[str], n: int, timeout: float, second_turn: bool) -> dict:
    """Per question: a new widget (new visitor) and a new REST sender; the order of the two alternates.
    With ``second_turn``, a second question in the same two conversations is measured the same way (the
    hub then has a conversation already: no new conversation row)."""
    first, second = Paired(), Paired()
    async with httpx.AsyncClient(timeout=30) as api_http, \
            httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=10)) as rasa_http:

        async def pair(widget: Socket, sender: str, text: str, hub_first: bool, into: Paired,
                       control: bool = False) -> None:
            detail: dict = {}
            if hub_first:
                hub = await widget_turn(widget, text, timeout, detail=detail)
                await asyncio.sleep(0.3)  # let the hub finish its post-reply work (intent lookup, store)
                straight = await rest_turn(rasa_http, stack.rasa, text, sender)
            else:
                straight = await rest_turn(rasa_http, stack.rasa, text, sender)
                await asyncio.sleep(0.3)
                hub = await widget_turn(widget, text, timeout, detail=detail)
            await asyncio.sleep(0.3)
            into.add(hub, straight, detail)
            if control:  # the same question straight to Rasa once more, in another new conversation
                again = await rest_turn(rasa_http, stack.rasa, text, f"bench-control-{uuid.uuid4().hex[:12]}")
                if again[1] == "ok" and straight[1] == "ok":
                    into.noise.append(again[0] - straight[0])
                await asyncio.sleep(0.3)

        for i in range(n):
            widget = await open_widget(api_http, stack, 1)
            sender = f"bench-direct-{uuid.uuid4().hex[:12]}"
            try:
                await pair(widget, sender, questions[i % len(questions)], i % 2 == 0, first, control=True)
                if second_turn:
                    await pair(widget, sender, questions[(i * 7 + 3) % len(questions)], i % 2 == 1, second)
            finally:
                await widget.close()
            if (i + 1) % 25 == 0:
                print(f"  sequential {i + 1}/{n}: hub p50 {summary(first.hub)['p50_ms']} ms, "
                      f"direct p50 {summary(first.direct)['p50_ms']} ms", flush=True)
    out = first.report()
    if second_turn:
        out["second_turn"] = second.report()
    return out


# -- 2. load -----------------------------------------------------------------------------------

async def load_hub(stack: Stack, questions: list[str], clients: int, per_client: int, instances: list[int],
                   timeout: float, seed: int) -> dict:
    rng = random.Random(seed)
    plans = [[rng.choice(questions) for _ in range(per_client)] for _ in range(clients)]
    thinks = [[rng.uniform(0, 0.5) for _ in range(per_client)] for _ in range(clients)]
    go = asyncio.Event()
    results: list[tuple[float, str]] = []
    connect_errors: list[str] = []
    ends: list[float] = []
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=50)) as http:
        async def connect(k: int):
            try:
                return await open_widget(http, stack, instances[k % len(instances)])
            except Exception as exc:  # noqa: BLE001 - counted
                connect_errors.append(f"{type(exc).__name__}: {exc}"[:200])
                return None

        t_connect = time.perf_counter()
        widgets = await asyncio.gather(*(connect(k) for k in range(clients)))
        connect_s = time.perf_counter() - t_connect

        async def user(k: int, widget: Socket) -> None:
            await go.wait()
            for text, think in zip(plans[k], thinks[k]):  # noqa: B905
                await asyncio.sleep(think)
                results.append(await widget_turn(widget, text, timeout))
            ends.append(time.perf_counter())

        tasks = [asyncio.create_task(user(k, w)) for k, w in enumerate(widgets) if w is not None]
        start = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
        elapsed = (max(ends) if ends else time.perf_counter()) - start
        await asyncio.gather(*(w.close() for w in widgets if w is not None))
    ok = [s for s, o in results if o == "ok"]
    return {"clients": clients, "per_client": per_client, "instances": instances,
            "connect_all_s": round(connect_s, 2), "connect_errors": len(connect_errors),
            "connect_error_examples": connect_errors[:3], "messages": len(results), "answered": len(ok),
            "elapsed_s": round(elapsed, 2), "msgs_per_s": round(len(ok) / elapsed, 2) if elapsed else None,
            "latency": summary(ok), "outcomes": outcomes(results)}


async def load_direct(stack: Stack, questions: list[str], clients: int, per_client: int, timeout: float,
                      seed: int) -> dict:
    rng = random.Random(seed)
    plans = [[rng.choice(questions) for _ in range(per_client)] for _ in range(clients)]
    thinks = [[rng.uniform(0, 0.5) for _ in range(per_client)] for _ in range(clients)]
    results: list[tuple[float, str]] = []
    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=clients + 10)) as http:
        async def user(k: int) -> None:
            sender = f"bench-load-{uuid.uuid4().hex[:12]}"
            for text, think in zip(plans[k], thinks[k]):  # noqa: B905
                await asyncio.sleep(think)
                results.append(await rest_turn(http, stack.rasa, text, sender))

        start = time.perf_counter()
        await asyncio.gather(*(user(k) for k in range(clients)))
        elapsed = time.perf_counter() - start
    ok = [s for s, o in results if o == "ok"]
    return {"clients": clients, "per_client": per_client, "messages": len(results), "answered": len(ok),
            "elapsed_s": round(elapsed, 2), "msgs_per_s": round(len(ok) / elapsed, 2) if elapsed else None,
            "latency": summary(ok), "outcomes": outcomes(results)}


# -- 3. cross-instance relay -------------------------------------------------------------------

async def relay(stack: Stack, rounds: int, timeout: float) -> dict:
    async with httpx.AsyncClient(timeout=30) as http:
        login = await http.post(f"{stack.api(2)}/api/auth/token", data={"username": "ganbu1", "password": PASSWORD})
        login.raise_for_status()
        staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
        console = await Socket.open(f"{stack.ws(2)}/ws/console")
        await console.send({"type": "auth", "token": login.json()["access_token"]})
        await console.until(lambda e: e.get("type") == "hello", 60)
        await console.send({"type": "presence", "status": "online"})
        await console.until(lambda e: e.get("type") == "presence" and e.get("status") == "online", 60)

        async def heartbeat():
            while True:
                await asyncio.sleep(15)
                await console.send({"type": "ping"})

        beating = asyncio.create_task(heartbeat())
        widget = await open_widget(http, stack, 1)
        try:
            await widget.send({"type": "message", "text": "转人工", "payload": "/request_human",
                               "client_id": uuid.uuid4().hex})
            _, mine = await console.until(lambda e: e.get("type") == "conversation" and e.get("conversation")
                                          and e["conversation"].get("mode") == "human", timeout)
            conversation_id = mine["conversation"]["id"]
            _, joined = await widget.until(lambda e: e.get("type") == "message" and e["message"]["sender"] == "system"
                                           and "接入" in (e["message"]["text"] or ""), timeout)
            await asyncio.sleep(1.0)  # let the hand-over's state and queue events settle
            to_widget, to_console, post_s, failures = [], [], [], []
            for i in range(rounds):
                # (a) seat on instance 2 -> widget on instance 1
                client_id = uuid.uuid4().hex
                t0 = time.perf_counter()
                sent = await http.post(f"{stack.api(2)}/api/seats/conversations/{conversation_id}/messages",
                                       json={"text": f"坐席回复第{i + 1}条", "client_id": client_id}, headers=staff)
                post_s.append(time.perf_counter() - t0)
                if sent.status_code != 201:
                    failures.append(f"seat post {sent.status_code}: {sent.text[:120]}")
                else:
                    try:
                        at, _ = await widget.until(lambda e: e.get("type") == "message"
                                                   and e["message"].get("client_id") == client_id, timeout)  # noqa: B023
                        to_widget.append(at - t0)
                    except (asyncio.TimeoutError, ConnectionError) as exc:
                        failures.append(f"to widget: {type(exc).__name__}")
                # (b) widget on instance 1 -> console on instance 2
                client_id = uuid.uuid4().hex
                t0 = time.perf_counter()
                await widget.send({"type": "message", "text": f"企业追问第{i + 1}条", "client_id": client_id})
                try:
                    at, _ = await console.until(lambda e: e.get("type") == "message"
                                                and e["message"].get("client_id") == client_id  # noqa: B023
                                                and e["message"].get("sender") == "user", timeout)
                    to_console.append(at - t0)
                except (asyncio.TimeoutError, ConnectionError) as exc:
                    failures.append(f"to console: {type(exc).__name__}")
                await asyncio.sleep(0.02)
            # the bot must have stayed silent while the seat held the conversation
            history = (await http.get(f"{stack.api(2)}/api/seats/conversations/{conversation_id}",
                                      headers=staff)).json()["messages"]
            bot_in_human = sum(1 for m in history if m["sender"] == "bot" and m["id"] > joined["message"]["id"])
            await http.post(f"{stack.api(2)}/api/seats/conversations/{conversation_id}/close",
                            json={"summary": "基准测试结束"}, headers=staff)
        finally:
            beating.cancel()
            await widget.close()
            await console.close()
    return {"rounds": rounds, "conversation_id": conversation_id,
            "seat_i2_to_widget_i1": summary(to_widget), "widget_i1_to_seat_i2": summary(to_console),
            "seat_post_response": summary(post_s), "failures": len(failures), "failure_examples": failures[:5],
            "bot_answers_in_conversation_after_handoff": bot_in_human}


# -- main --------------------------------------------------------------------------------------

async def warm_up(stack: Stack) -> dict:
    async with httpx.AsyncClient(timeout=120) as http:
        out = {"direct": await rest_turn(http, stack.rasa, "你好", "bench-warm-up")}
        for instance in (1, 2):
            widget = await open_widget(http, stack, instance)
            out[f"hub_{instance}"] = await widget_turn(widget, "小规模纳税人月销售额多少以下免征增值税", 120)
            await widget.close()
    return {k: {"s": round(v[0], 2), "outcome": v[1]} for k, v in out.items()}


def print_table(r: dict) -> None:
    def row(label, s):
        if not s:
            return f"  {label:44} -"
        return f"  {label:44} p50 {s['p50_ms']!s:>8} ms  p95 {s['p95_ms']!s:>8} ms  mean {s['mean_ms']!s:>8} ms  (n={s['n']})"

    print("\n=== conversation hub benchmark ===")
    seq = r.get("sequential")
    for title, part in (("1. sequential, first turn of a new conversation", seq),
                        ("   sequential, second turn of the same conversations", (seq or {}).get("second_turn"))):
        if not part:
            continue
        print(f"{title}: {part['n']} questions (paired ok: {part['paired_ok']})")
        print(row("through the hub (widget WS, instance 1)", part["hub"]))
        print(row("straight to Rasa REST", part["direct"]))
        o = part["overhead"]
        print(f"  {'hub overhead, paired hub - direct':44} p50 {o['p50_ms']!s:>8} ms  p95 {o['p95_ms']!s:>8} ms  "
              f"mean {o['mean_ms']!s:>8} ms  (with the pairing noise of the control below)")
        print(f"  {'p95(hub) - p95(direct)':44} {o['p95_hub_minus_p95_direct_ms']} ms")
        b = part.get("hub_breakdown") or {}
        for key, label in (("inbound", "  hub: send -> user message stored"),
                           ("to_answer", "  hub: send -> hub has Rasa's answer"),
                           ("to_answer_minus_direct", "    minus straight Rasa (paired)"),
                           ("outbound", "  hub: answer -> on the widget (no Rasa)")):
            if b.get(key, {}).get("n"):
                print(row(label, b[key]))
        if part.get("control_direct_minus_direct", {}).get("n"):
            print(row("control: Rasa again - Rasa (pairing noise)", part["control_direct_minus_direct"]))
        own = part.get("hub_own", {})
        if own.get("n"):
            verdict = "meets" if own["p95_ms"] <= 10 else "MISSES"
            label = "hub's own time (turn - its Rasa call, relay-timed)"
            print(f"{row(label, own)}  -> {verdict} the 10 ms p95 target")
        print(f"  outcomes hub {part['outcomes_hub']}  direct {part['outcomes_direct']}")
    for key, label in (("load_hub_one", "2. load via hub, all on instance 1"),
                       ("load_hub_split", "   load via hub, split over instances 1+2"),
                       ("load_direct", "   load straight to Rasa REST")):
        load = r.get(key)
        if not load:
            continue
        extra = f", connect all {load['connect_all_s']} s, connect errors {load['connect_errors']}" \
            if "connect_all_s" in load else ""
        print(f"{label}: {load['clients']} x {load['per_client']} msgs{extra}")
        print(f"  {'throughput':44} {load['msgs_per_s']} answered msgs/s ({load['answered']}/{load['messages']} "
              f"answered in {load['elapsed_s']} s)")
        print(row("reply latency", load["latency"]))
        print(f"  outcomes {load['outcomes']}")
    rel = r.get("relay")
    if rel:
        print(f"3. cross-instance relay, {rel['rounds']} each way (failures {rel['failures']})")
        print(row("seat POST on inst. 2 -> widget on inst. 1", rel["seat_i2_to_widget_i1"]))
        print(row("widget on inst. 1 -> console on inst. 2", rel["widget_i1_to_seat_i2"]))
        print(row("  (seat POST response time)", rel["seat_post_response"]))
        print(f"  bot messages while the seat held the conversation: {rel['bot_answers_in_conversation_after_handoff']}")
    for key in ("sequential", "load_hub_one", "load_hub_split", "load_direct", "relay"):
        use = (r.get(key) or {}).get("machine")
        if use:
            print(f"  machine during {key}: {use['wall_s']} s, CPU busy {use['cpu_busy_s']} s of which this benchmark "
                  f"{use['ours_cpu_s']} s, other processes {use['others_cpu_s']} s "
                  f"({int(100 * use['others_share_of_machine'])}% of {os.cpu_count()} cores), load {use['loadavg_1m']}")
    print(f"RSS MB at the end: {r.get('rss_mb_end')}  (after warm-up: {r.get('rss_mb_start')})")
    print(f"model load {r.get('rasa_ready_s')} s; logs and results.json in {OUT}")


async def run_all(stack: Stack, args, questions: list[str], report: dict) -> None:
    report["warm_up"] = await warm_up(stack)
    print(f"warm-up: {report['warm_up']}", flush=True)
    report["rss_mb_start"] = {n: rss_mb(p) for n, p in stack.processes.items()}

    async def phase(key: str, work) -> None:
        before = cpu_snapshot(stack)
        report[key] = await work
        report[key]["machine"] = machine_use(before, cpu_snapshot(stack))
        await asyncio.sleep(3)  # let queued work drain before the next phase

    if args.n:
        print(f"1. sequential overhead: {args.n} questions ...", flush=True)
        await phase("sequential", sequential(stack, questions, args.n, args.timeout, not args.no_second_turn))
    if args.clients:
        print(f"2. load: {args.clients} widgets x {args.per_client} on instance 1 ...", flush=True)
        await phase("load_hub_one", load_hub(stack, questions, args.clients, args.per_client, [1], args.timeout, 1))
        print(f"   load: {args.clients} widgets x {args.per_client} split over instances 1 and 2 ...", flush=True)
        await phase("load_hub_split", load_hub(stack, questions, args.clients, args.per_client, [1, 2],
                                               args.timeout, 1))
        print(f"   load: {args.clients} senders x {args.per_client} straight to Rasa REST ...", flush=True)
        await phase("load_direct", load_direct(stack, questions, args.clients, args.per_client, args.timeout, 1))
    if args.relay:
        print(f"3. cross-instance relay: {args.relay} each way ...", flush=True)
        await phase("relay", relay(stack, args.relay, args.timeout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    parser.add_argument("--n", type=int, default=150, help="questions of the sequential comparison")
    parser.add_argument("--no-second-turn", action="store_true",
                        help="do not also measure a second turn in the same conversations")
    parser.add_argument("--clients", type=int, default=200, help="concurrent widgets / REST senders")
    parser.add_argument("--per-client", type=int, default=3)
    parser.add_argument("--relay", type=int, default=200, help="relay round trips each way")
    parser.add_argument("--timeout", type=float, default=120.0, help="reply timeout, seconds")
    args = parser.parse_args()
    if not MODEL.exists():
        print("models/current.tar.gz is missing: run `make train` first", file=sys.stderr)
        return 2
    questions = load_questions(args.questions)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "setup.log").write_text("")

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or a kill: the servers are stopped in `finally`
        signal.signal(sig, interrupted)
    stack = make_stack()
    report: dict = {"questions": len(questions), "cpu_count": os.cpu_count(),
                    "ports": {"rasa": stack.rasa_port, "actions": stack.actions_port, "api": list(stack.api_ports)}}
    try:
        print(f"preparing {BENCH_DB} (PostgreSQL) and Redis dbs 12/13 ...", flush=True)
        prepare_storage(stack.env())
        print("starting actions, Rasa and two API instances ...", flush=True)
        actions = stack.start_actions()  # the bot runtime (Python 3.10)
        rasa = stack.start_rasa()
        relay_port = free_port()
        CLOCK_LOG.write_text("")
        stack.start("clock", [sys.executable, "-m", "tools.bench.clock_relay", str(relay_port), str(stack.rasa_port),
                              str(CLOCK_LOG)])
        apis = [stack.start_api(i, {"RASA_URL": f"http://127.0.0.1:{relay_port}"} if i == 1 else None)
                for i in range(1, len(stack.api_ports) + 1)]
        for i, api in enumerate(apis, start=1):
            wait_ready(f"{stack.api(i)}/docs", api)
        wait_ready(f"http://127.0.0.1:{stack.actions_port}/health", actions)
        report["rasa_ready_s"] = round(wait_ready(f"{stack.rasa}/", rasa), 1)  # answers once the model is loaded
        print(f"ready (Rasa after {report['rasa_ready_s']} s)", flush=True)
        asyncio.run(run_all(stack, args, questions, report))
        report["rss_mb_end"] = {n: rss_mb(p) for n, p in stack.processes.items()}
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    finally:
        stack.stop()
        (OUT / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
