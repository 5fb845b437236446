"""`make bench-load`: how many conversations one machine carries through the full path, how honestly it behaves
past capacity, whether long conversations slow down, and what a second API + Rasa pair adds (issue 17).

The production configuration on loopback: PostgreSQL (database ``bench_hub``, dropped and migrated, demo seats)
and Redis (db 12 for the hub, db 13 for Rasa's trackers and locks: bot/endpoints.redis.yml), one action server,
TWO Rasa processes and THREE API instances started with uvicorn:
- ``api1`` talks to Rasa 1 only: the "one API + one Rasa" figures;
- ``api2`` and ``api3`` each know both Rasa processes (RASA_URL lists them: a conversation sticks to one by its
  sender id, api.core.rasa; with --split-rasa each knows one), and stand behind haproxy (Debian's package, started here with a config written
  to var/bench/load/haproxy.cfg, round robin per connection): the "two APIs + two Rasa" figures. Widgets reach
  them through the balancer and reconnect every few turns, so the same conversations move between instances.
Every widget is a real WebSocket client doing what widget.js does: a visitor token, the auth frame, messages with
a client id. Questions: the kb, out-of-scope and greeting items of the shared dev set.

Phases (each prints its figures; all go to var/bench/load/results.json with the machine's load):
1. saturation: C closed-loop widgets (default 24) send question after question for T seconds (default 60)
   through api1 (1+1), then through the balancer (2+2): answered messages per second, reply p50/p95, the time to
   the first thing the widget shows (the answer, or the ``busy`` notice with its place in line), outcomes.
2. long conversation: one widget, 200 turns back to back on the 2+2 path; turns 191-200 timed in alternation with
   turns 6-15 of a new conversation (the same questions at the same moment).
3. overload soak: W widgets (default 200) for M minutes (default 10) through the balancer, think time 0-3 s
   (more offered load than the machine carries): 0 errors and 0 lost messages expected, and every message
   answered or told "queued" within 2 s (p95 of the first response).

    .venv/bin/python -m tools.bench_load [--senders 24] [--seconds 60] [--turns 200] [--widgets 200] [--minutes 10]
    (--quick: 30 s saturation, 60 turns, 60 widgets for 1 minute)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

from common.runtimes import bot_python
from tools.bench.stack import BIN, MODEL, free_port, wait_ready
from tools.bench_hub import (
    BOT_DOWN_PREFIX,
    DEV_SET,
    ROOT,
    Socket,
    cpu_snapshot,
    load_questions,
    machine_use,
    make_stack,
    prepare_storage,
    rss_mb,
    summary,
)

OUT = ROOT / "var" / "bench" / "load"
RECONNECT_EVERY = 5  # turns between reconnects through the balancer: conversations move between API instances


class LoadStack:
    """The bench stack (tools.bench_hub.make_stack) with two Rasa processes and three API instances (api1 → Rasa
    1; api2/api3 → both, or one each with ``split_rasa``, behind haproxy)."""

    def __init__(self, split_rasa: bool) -> None:
        self.stack = make_stack(OUT, api_count=3)
        self.processes = self.stack.processes  # what cpu_snapshot and rss_mb read
        self.rasa_ports = (self.stack.rasa_port, free_port())
        self.split_rasa = split_rasa
        self.lb_port = free_port()
        self.stats_socket = OUT / "haproxy.sock"

    def api(self, instance: int) -> str:
        return self.stack.api(instance)

    def rasa_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.rasa_ports[i]}"

    def start(self, haproxy: str) -> list[float]:
        """Everything, ready; the seconds each Rasa took to load its model."""
        stack, both = self.stack, ",".join(self.rasa_url(i) for i in range(len(self.rasa_ports)))
        stack.start_actions()
        stack.start_rasa()
        stack.start("rasa2", [bot_python(), "-m", "bot.serve"], {"RASA_PORT": str(self.rasa_ports[1])})
        stack.start_api(1)  # RASA_URL of the stack: Rasa 1 only
        for instance in (2, 3):
            stack.start(f"api{instance}", [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host",
                                           "127.0.0.1", "--port", str(stack.api_ports[instance - 1])],
                        {"RASA_URL": self.rasa_url(instance - 2) if self.split_rasa else both})
        (OUT / "haproxy.cfg").write_text(self.balancer_config())
        stack.start("haproxy", [haproxy, "-db", "-f", str(OUT / "haproxy.cfg")])
        for name in ("api1", "api2", "api3", "actions"):
            stack.wait(name)
        ready = [round(stack.wait("rasa"), 1),
                 round(wait_ready(f"{self.rasa_url(1)}/", stack.processes["rasa2"], 600, OUT / "rasa2.log"), 1)]
        wait_ready(f"http://127.0.0.1:{self.lb_port}/docs", stack.processes["haproxy"], 60, OUT / "haproxy.log")
        return ready

    def stop(self) -> None:
        self.stack.stop()

    def balancer_config(self) -> str:
        servers = "\n".join(f"  server api{i} 127.0.0.1:{self.stack.api_ports[i - 1]} check inter 2s"
                             for i in (2, 3))
        return f"""global
  maxconn 4096
  stats socket {self.stats_socket} mode 600 level user
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout tunnel 3600s
frontend widgets
  bind 127.0.0.1:{self.lb_port}
  default_backend apis
backend apis
  balance roundrobin
{servers}
"""

    def balancer_sessions(self) -> dict[str, int]:
        """Connections haproxy gave each API instance so far (its stats socket, ``show stat``)."""
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(str(self.stats_socket))
                sock.sendall(b"show stat\n")
                raw = b""
                while chunk := sock.recv(65536):
                    raw += chunk
        except OSError:
            return {}
        lines = raw.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: int(r["stot"]) for r in rows if r.get("pxname") == "apis" and r["svname"].startswith("api")}


def cpu_by_process(stack: LoadStack) -> dict[str, float]:
    """CPU seconds used so far by each process of the stack (with its children), the PostgreSQL backends of the
    bench database, and this client."""
    import psutil

    def used(proc: psutil.Process) -> float:
        try:
            times = proc.cpu_times()
            return float(times.user + times.system)
        except psutil.Error:
            return 0.0

    out: dict[str, float] = {"client": used(psutil.Process())}
    for name, process in stack.processes.items():
        try:
            parent = psutil.Process(process.pid)
            out[name] = sum(used(p) for p in [parent, *parent.children(recursive=True)])
        except psutil.Error:
            out[name] = 0.0
    out["postgres"] = sum(used(p) for p in psutil.process_iter(["cmdline"])
                          if " ".join(p.info.get("cmdline") or []).startswith("postgres:")
                          and " bench_hub " in " ".join(p.info.get("cmdline") or []))
    return out


# -- one turn as the widget sees it --------------------------------------------------------------

async def turn(widget: Socket, text: str, timeout: float, client_id: str | None = None) -> dict:
    """Send one message and wait for the bot's answer. ``first``: seconds to the first thing the enterprise sees
    after its echo (the ``busy`` notice or the answer); ``answer``: seconds to the answer; ``busy``: the place in
    line it was told, if any; ``outcome``: ok, bot_unavailable, error:<code>, timeout or closed."""
    client_id = client_id or uuid.uuid4().hex
    t0 = time.perf_counter()
    result: dict = {"client_id": client_id, "text": text, "first": None, "answer": None, "busy": None}
    await widget.send({"type": "message", "text": text, "client_id": client_id})
    deadline = t0 + timeout
    echo_id = None
    try:
        while True:
            at, event = await widget.next(deadline)
            kind = event.get("type")
            if kind == "error":
                return {**result, "outcome": f"error:{event.get('code')}"}
            if kind == "busy" and result["first"] is None:
                result.update(first=at - t0, busy=event.get("position"))
            if kind != "message":
                continue
            wire = event["message"]
            if echo_id is None:
                if wire.get("client_id") == client_id and wire.get("sender") == "user":
                    echo_id = wire["id"]
                continue
            if wire["id"] <= echo_id:
                continue
            if wire.get("sender") == "bot" and wire.get("custom") is not None:
                first = result["first"] if result["first"] is not None else at - t0
                return {**result, "first": first, "answer": at - t0, "outcome": "ok"}
            if wire.get("sender") == "system" and (wire.get("text") or "").startswith(BOT_DOWN_PREFIX):
                return {**result, "first": result["first"] or at - t0, "answer": at - t0,
                        "outcome": "bot_unavailable"}
    except asyncio.TimeoutError:
        return {**result, "outcome": "timeout"}
    except ConnectionError:
        return {**result, "outcome": "closed"}


async def open_widget_at(http: httpx.AsyncClient, base: str, token: str | None = None) -> tuple[Socket, str]:
    """A widget connected to ``base`` (an API instance or the balancer), as the visitor ``token`` (new if None)."""
    if token is None:
        response = await http.post(f"{base}/api/widget/session", json={})
        response.raise_for_status()
        token = response.json()["visitor_token"]
    widget = await Socket.open(f"{base.replace('http://', 'ws://')}/ws/widget")
    await widget.send({"type": "auth", "visitor_token": token})
    await widget.until(lambda e: e.get("type") == "hello", 120)
    return widget, token


def figures(results: list[dict], seconds: float) -> dict:
    ok = [r for r in results if r["outcome"] == "ok"]
    counts: dict[str, int] = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    firsts = [r["first"] for r in results if r["first"] is not None]
    return {"messages": len(results), "answered": len(ok), "seconds": round(seconds, 1),
            "msgs_per_s": round(len(ok) / seconds, 2) if seconds else None,
            "answer": summary([r["answer"] for r in ok]), "first_response": summary(firsts),
            "first_within_2s": round(sum(1 for f in firsts if f <= 2.0) / len(results), 4) if results else None,
            "told_busy": sum(1 for r in results if r["busy"] is not None), "outcomes": counts}


# -- 1. saturation ---------------------------------------------------------------------------------

async def saturation(base: str, questions: list[str], senders: int, seconds: float, timeout: float,
                     reconnect: bool) -> dict:
    """Closed loop: each widget sends its next question as soon as the last is answered. Counted: turns that end
    after a 5 s warm-up and before the end (the turn that ends after it is not counted)."""
    rng = random.Random(17)
    results: list[dict] = []
    reconnects = 0
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as http:
        start = time.perf_counter()
        warm, stop = start + 5, start + 5 + seconds

        async def sender() -> None:
            nonlocal reconnects
            widget, token = await open_widget_at(http, base)
            n = 0
            try:
                while time.perf_counter() < stop:
                    result = await turn(widget, rng.choice(questions), timeout)
                    ended = time.perf_counter()
                    if warm <= ended <= stop:
                        results.append(result)
                    n += 1
                    if result["outcome"] == "closed" or (reconnect and n % RECONNECT_EVERY == 0):
                        await widget.close()
                        widget, _ = await open_widget_at(http, base, token)
                        reconnects += 1
            finally:
                await widget.close()

        await asyncio.gather(*(sender() for _ in range(senders)))
    return {"senders": senders, "reconnects": reconnects, **figures(results, seconds)}


# -- 2. long conversation --------------------------------------------------------------------------

async def long_conversation(base: str, questions: list[str], turns: int, timeout: float) -> dict:
    """One conversation of ``turns`` turns; its last 10 are timed in alternation with turns 6-15 of a new
    conversation (same questions, same moment), so the ratio is not a change in the machine's load."""
    async with httpx.AsyncClient(timeout=60) as http:
        long, _ = await open_widget_at(http, base)
        fresh, _ = await open_widget_at(http, base)
        outcomes: dict[str, int] = {}
        late: list[float] = []
        early: list[float] = []

        async def timed(widget: Socket, i: int, into: list[float] | None) -> None:
            result = await turn(widget, questions[(i * 7) % len(questions)], timeout)
            outcomes[result["outcome"]] = outcomes.get(result["outcome"], 0) + 1
            if into is not None and result["answer"] is not None:
                into.append(result["answer"])

        try:
            for i in range(turns - 15):
                await timed(long, i, None)
            for i in range(turns - 15, turns):  # the fresh one's turns 1-15 beside the long one's last 15
                k = i - (turns - 15)
                await timed(fresh, k, early if k >= 5 else None)
                await timed(long, k, late if i >= turns - 10 else None)
        finally:
            await long.close()
            await fresh.close()
    ratio = statistics.median(late) / statistics.median(early) if early and late else None
    return {"turns": turns, "outcomes": outcomes, "turns_6_15": summary(early), "last_10": summary(late),
            "ratio_median_last_to_turn_10": round(ratio, 2) if ratio else None}


# -- 3. overload soak ------------------------------------------------------------------------------

async def soak(base: str, questions: list[str], widgets: int, minutes: float, timeout: float) -> dict:
    """Many widgets with short think times for ``minutes``; a widget whose socket closes reconnects and resends
    the unanswered message with the same client id (as widget.js does). Lost: sent and never answered."""
    rng = random.Random(23)
    results: list[dict] = []
    lost: list[str] = []
    reconnects = connect_errors = 0
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=100)) as http:
        start = time.perf_counter()
        stop = start + 60 * minutes

        async def user(k: int) -> None:
            nonlocal reconnects, connect_errors
            await asyncio.sleep(k * 0.02)  # 200 widgets open over 4 s, as a page load wave would
            try:
                widget, token = await open_widget_at(http, base)
            except Exception:  # noqa: BLE001 - counted
                connect_errors += 1
                return
            try:
                while time.perf_counter() < stop:
                    await asyncio.sleep(rng.uniform(0, 3))
                    text, client_id = rng.choice(questions), uuid.uuid4().hex
                    for _attempt in range(3):
                        result = await turn(widget, text, timeout, client_id)
                        if result["outcome"] != "closed":
                            break
                        await widget.close()
                        widget, _ = await open_widget_at(http, base, token)
                        reconnects += 1
                    results.append(result)
                    if result["outcome"] != "ok":
                        lost.append(f"{result['outcome']}: {text[:20]}")
            finally:
                await widget.close()

        await asyncio.gather(*(user(k) for k in range(widgets)))
        elapsed = time.perf_counter() - start
    return {"widgets": widgets, "minutes": minutes, "reconnects": reconnects, "connect_errors": connect_errors,
            "not_answered": len(lost), "not_answered_examples": lost[:5], **figures(results, elapsed)}


# -- main ------------------------------------------------------------------------------------------

def print_phase(label: str, r: dict) -> None:
    a, f = r["answer"], r["first_response"]
    print(f"  {label}: {r['msgs_per_s']} answered msgs/s ({r['answered']}/{r['messages']} in {r['seconds']} s); "
          f"answer p50 {a['p50_ms']} ms p95 {a['p95_ms']} ms; first response p95 {f['p95_ms']} ms "
          f"({r['first_within_2s']} within 2 s, {r['told_busy']} told busy); outcomes {r['outcomes']}", flush=True)
    m = r.get("machine") or {}
    print(f"    machine: load {m.get('loadavg_1m')}, other processes {m.get('others_cpu_s')} CPU s of "
          f"{m.get('cpu_busy_s')}; CPU ms per answered message {r.get('cpu_ms_per_message')}", flush=True)


async def run_all(stack: LoadStack, args, questions: list[str], report: dict) -> None:
    direct, balanced = stack.api(1), f"http://127.0.0.1:{stack.lb_port}"

    async def phase(key: str, work) -> dict:
        before, cpu_before = cpu_snapshot(stack), cpu_by_process(stack)
        report[key] = await work
        report[key]["machine"] = machine_use(before, cpu_snapshot(stack))
        answered = report[key].get("answered") or report[key].get("turns") or 0
        if answered:  # where the machine's time went, per answered message
            report[key]["cpu_ms_per_message"] = {
                name: round(1000 * (spent - cpu_before.get(name, 0.0)) / answered, 1)
                for name, spent in cpu_by_process(stack).items() if spent - cpu_before.get(name, 0.0) > 0.05}
        await asyncio.sleep(3)  # what is still queued drains before the next phase
        result: dict = report[key]
        return result

    async with httpx.AsyncClient(timeout=120) as http:  # warm both paths (first turns load lazily)
        for base in (direct, balanced, balanced):
            widget, _ = await open_widget_at(http, base)
            await turn(widget, "小规模纳税人月销售额多少以下免征增值税", 120)
            await widget.close()
    if args.seconds:
        print(f"1. saturation: {args.senders} closed-loop widgets for {args.seconds} s ...", flush=True)
        print_phase("one API + one Rasa", await phase("saturation_1x1", saturation(
            direct, questions, args.senders, args.seconds, args.timeout, reconnect=False)))
        before = stack.balancer_sessions()
        two = await phase("saturation_2x2", saturation(balanced, questions, args.senders, args.seconds,
                                                       args.timeout, reconnect=True))
        after = stack.balancer_sessions()
        two["balancer_connections"] = {k: v - before.get(k, 0) for k, v in after.items()}
        print_phase("two APIs + two Rasa (haproxy)", two)
        print(f"  connections per API instance through the balancer: {two['balancer_connections']}", flush=True)
    if args.turns:
        print(f"2. one conversation of {args.turns} turns ...", flush=True)
        long = await phase("long_conversation", long_conversation(balanced, questions, args.turns, args.timeout))
        print(f"  turns 6-15 p50 {long['turns_6_15']['p50_ms']} ms, last 10 p50 {long['last_10']['p50_ms']} ms: "
              f"x{long['ratio_median_last_to_turn_10']} ({long['outcomes']})", flush=True)
    if args.minutes and args.widgets:
        print(f"3. overload soak: {args.widgets} widgets for {args.minutes} min through the balancer ...", flush=True)
        result = await phase("soak", soak(balanced, questions, args.widgets, args.minutes, args.timeout))
        print_phase(f"{args.widgets} widgets", result)
        print(f"  not answered {result['not_answered']}, reconnects {result['reconnects']}, "
              f"connect errors {result['connect_errors']}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEV_SET)
    parser.add_argument("--senders", type=int, default=24, help="closed-loop widgets of the saturation phase")
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds of each saturation run (0: skip)")
    parser.add_argument("--turns", type=int, default=200, help="turns of the long conversation (0: skip)")
    parser.add_argument("--widgets", type=int, default=200, help="widgets of the overload soak")
    parser.add_argument("--minutes", type=float, default=10, help="minutes of the overload soak (0: skip)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a turn may take before it counts as lost")
    parser.add_argument("--split-rasa", action="store_true",
                        help="api2 talks to Rasa 1 only and api3 to Rasa 2 only (for code whose RASA_URL names one)")
    parser.add_argument("--quick", action="store_true", help="30 s saturation, 60 turns, 60 widgets for 1 minute")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.turns, args.widgets, args.minutes = 30, 60, 60, 1
    if not MODEL.exists():
        print("models/current.tar.gz is missing: run `make train` first", file=sys.stderr)
        return 2
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if haproxy is None:
        print("haproxy is missing: `apt-get install haproxy` (Debian's package; the benchmark starts it itself)",
              file=sys.stderr)
        return 2
    questions = load_questions(args.questions)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "setup.log").write_text("")

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupted)
    stack = LoadStack(args.split_rasa)
    report: dict = {"args": vars(args) | {"questions": str(args.questions)}, "cpu_count": os.cpu_count(),
                    "loadavg_before": os.getloadavg()}
    try:
        print("preparing the database and Redis ...", flush=True)
        prepare_storage(stack.stack.env(), OUT)
        print("starting actions, two Rasa, three API instances and haproxy ...", flush=True)
        report["rasa_ready_s"] = stack.start(haproxy)
        print(f"ready (Rasa after {report['rasa_ready_s']} s)", flush=True)
        asyncio.run(run_all(stack, args, questions, report))
        report["rss_mb_end"] = {n: rss_mb(p) for n, p in stack.processes.items()}
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", file=sys.stderr)
        return 130
    finally:
        stack.stop()
        report["loadavg_after"] = os.getloadavg()
        (OUT / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"load average before {report['loadavg_before']}, after {report['loadavg_after']}; "
          f"RSS MB {report.get('rss_mb_end')}; results in {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
