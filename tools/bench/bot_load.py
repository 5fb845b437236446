"""Bot cost per message and long conversations (issue 17): one Rasa process and one action server, measured
through Rasa's REST channel with trackers and locks in Redis (bot/endpoints.redis.yml).

Reports (and writes to var/bench/bot_load.json):
* long conversation: one sender, ``--turns`` questions one after the other before the load; reply latency
  around turn 200 (median of turns 196-205) and around turn 10 (median of turns 6-15 of a new conversation
  whose turns are interleaved with those, so both see the same load from elsewhere), and the ratio;
* saturation: ``--senders`` closed-loop senders (each a new conversation every ``--conversation`` turns) for
  ``--seconds``: messages per second, latency p50/p95, and the CPU milliseconds per message of the Rasa
  process and of the action server (psutil), with the machine's load average.

The questions are the dev set's (../shared/eval/dev_questions.yml), in a fixed order. The action server's API
is an address where nothing listens: the questions are answered from the knowledge base, which needs no API.

Runs in the bot runtime (aiohttp, psutil); starts its own Rasa and action server on free ports unless
``--url`` names a running Rasa (then no CPU figures). Redis: ``--redis`` (default redis://127.0.0.1:6379/6),
whose database is flushed first: give it one of your own.

    .venv-bot/bin/python -m tools.bench.bot_load [--senders 12] [--seconds 60] [--turns 210] [--model …]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psutil
import yaml

from common.secretstore import all_secrets
from tools.bench.stack import wait_ready

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench"
DEV_SET = ROOT.parent / "shared" / "eval" / "dev_questions.yml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    data = yaml.safe_load(DEV_SET.read_text(encoding="utf-8"))
    return [case["text"] for case in data["kb"]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Servers:
    """The action server and one Rasa process (``python -m bot.serve``), logs under var/bench/bot_load/."""

    def __init__(self, model: Path, redis_url: str, endpoints: str, extra_env: dict[str, str]) -> None:
        parsed = urllib.parse.urlparse(redis_url)
        self.actions_port, self.rasa_port = free_port(), free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", APP_ENV="development",
                   API_URL=f"http://127.0.0.1:{free_port()}",
                   ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.actions_port}/webhook",
                   ACTIONS_PORT=str(self.actions_port), RASA_PORT=str(self.rasa_port), RASA_MODEL=str(model),
                   RASA_ENDPOINTS=endpoints, RASA_REDIS_HOST=parsed.hostname or "127.0.0.1",
                   RASA_REDIS_PORT=str(parsed.port or 6379), RASA_REDIS_DB=(parsed.path.strip("/") or "0"))
        env.update(extra_env)
        env.update(all_secrets(env))
        self.env = env
        self.logs = OUT / "bot_load"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self) -> None:
        for name, module in (("actions", "actions.server"), ("rasa", "bot.serve")):
            log = (self.logs / f"{name}.log").open("w")
            self.processes[name] = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=self.env,
                                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        wait_ready(f"http://127.0.0.1:{self.actions_port}/health", self.processes["actions"], 300, self.logs)
        wait_ready(f"{self.url}/", self.processes["rasa"], 300, self.logs)

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds of each server with its children."""
        seconds = {}
        for name, process in self.processes.items():
            try:
                parent = psutil.Process(process.pid)
                procs = [parent, *parent.children(recursive=True)]
                seconds[name] = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
            except psutil.Error:
                seconds[name] = float("nan")
        return seconds

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


async def say(session, url: str, sender: str, text: str) -> float:
    began = time.perf_counter()
    async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        body = await response.json()
        if response.status != 200 or not body:
            raise RuntimeError(f"no reply to {text!r}: {response.status} {body}")
    return time.perf_counter() - began


async def long_conversation(url: str, texts: list[str], turns: int) -> dict:
    """One conversation of ``turns`` turns. Its turns 196-205 are interleaved with turns 1-15 of a new
    conversation, so both are timed under the same load from elsewhere: the paired figures (turn 10 = median of
    the new conversation's turns 6-15, turn 200 = median of the long one's turns 196-205) are the ones to
    compare; ``unpaired`` has the long conversation's own turns 6-15 for reference."""
    import aiohttp

    if turns < 205:
        raise SystemExit("--turns must be 0 or at least 205")
    long_sender, fresh_sender = f"long-{uuid.uuid4().hex[:8]}", f"fresh-{uuid.uuid4().hex[:8]}"
    latencies: list[float] = []
    fresh: list[float] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for turn in range(195):
            latencies.append(await say(session, url, long_sender, texts[turn % len(texts)]))
        for turn in range(195, turns):
            step = turn - 195
            if step < 15:
                fresh.append(await say(session, url, fresh_sender, texts[(step + 40) % len(texts)]))
            latencies.append(await say(session, url, long_sender, texts[turn % len(texts)]))

    at10, at200 = statistics.median(fresh[5:15]), statistics.median(latencies[195:205])
    return {"turns": turns, "turn10_ms": round(at10 * 1000, 1), "turn200_ms": round(at200 * 1000, 1),
            "ratio": round(at200 / at10, 2), "unpaired_turn10_ms": round(statistics.median(latencies[5:15]) * 1000, 1),
            "per_50_turns_ms": [round(statistics.median(latencies[i:i + 50]) * 1000, 1)
                                for i in range(0, turns, 50)]}


async def saturation(url: str, texts: list[str], senders: int, seconds: float, conversation: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds

    async def sender_loop(number: int) -> None:
        nonlocal errors
        turn = number * 7
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            while time.monotonic() < stop_at:
                sender = f"load-{number}-{uuid.uuid4().hex[:8]}"
                for _ in range(conversation):
                    if time.monotonic() >= stop_at:
                        return
                    try:
                        latencies.append(await say(session, url, sender, texts[turn % len(texts)]))
                    except Exception:  # noqa: BLE001 - counted, the run goes on
                        errors += 1
                    turn += 1

    began = time.monotonic()
    await asyncio.gather(*(sender_loop(n) for n in range(senders)))
    elapsed = time.monotonic() - began
    return {"senders": senders, "seconds": round(elapsed, 1), "messages": len(latencies), "errors": errors,
            "msg_per_s": round(len(latencies) / elapsed, 2),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1), "p95_ms": round(percentile(latencies, 0.95) * 1000, 1)}


def machine_busy() -> tuple[float, float]:
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)
    return busy, busy + t.idle + getattr(t, "iowait", 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running Rasa: measure it, start nothing (no CPU figures)")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--endpoints", default="bot/endpoints.redis.yml")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/6", help="Rasa's Redis database (flushed first)")
    parser.add_argument("--senders", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--conversation", type=int, default=10, help="turns per conversation under load")
    parser.add_argument("--turns", type=int, default=210, help="turns of the long conversation (0: skip)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the servers (e.g. a log level)")
    parser.add_argument("--label", default="run", help="name of this run in var/bench/bot_load.json")
    parser.add_argument("--py-spy", metavar="PATH", help="profile both servers under load with this py-spy binary "
                        "(collapsed stacks in var/bench/bot_load/{rasa,actions}.collapsed)")
    args = parser.parse_args()

    import redis

    texts = questions()
    servers = None
    if args.url:
        url = args.url
    else:
        redis.Redis.from_url(args.redis).flushdb()
        servers = Servers(args.model, args.redis, args.endpoints, dict(item.split("=", 1) for item in args.env))
        servers.start()
        url = servers.url
    report: dict = {"label": args.label, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        asyncio.run(saturation(url, texts, 2, 8, args.conversation))  # warm-up: every code path loaded
        if args.turns:
            report["long"] = asyncio.run(long_conversation(url, texts, args.turns))
            print("long conversation:", report["long"], flush=True)
        cpu_before = servers.cpu_seconds() if servers else {}
        busy_before = machine_busy()
        profilers = [subprocess.Popen([args.py_spy, "record", "--pid", str(process.pid), "--subprocesses",
                                       "--format", "raw", "--rate", "50", "--duration", str(int(args.seconds)),
                                       "--output", str(servers.logs / f"{name}.collapsed"), "--nonblocking"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for name, process in servers.processes.items()] if args.py_spy and servers else []
        report["load"] = asyncio.run(saturation(url, texts, args.senders, args.seconds, args.conversation))
        busy_after = machine_busy()
        for profiler in profilers:
            profiler.wait(timeout=60)
        report["load"]["machine_busy_share"] = round(
            (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1e-9), 2)
        if servers:
            cpu_after = servers.cpu_seconds()
            report["load"]["cpu_ms_per_msg"] = {
                name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(report["load"]["messages"], 1), 1)
                for name in cpu_after}
        report["loadavg"] = [round(x, 2) for x in os.getloadavg()]
        print("saturation:", report["load"], "loadavg", report["loadavg"], flush=True)
    finally:
        if servers:
            servers.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "bot_load.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append(report)
    path.write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"appended to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
