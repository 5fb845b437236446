"""Launching the real stack for benchmarks and fault tests: free ports, the processes (action server, Rasa,
API instances) with the environment they share, and — for runs that may kill their storage — a private
PostgreSQL cluster and a private redis-server.

``Stack`` starts each process in its own session (process group), so ``kill`` (SIGKILL, as ``kill -9``) and
``stop`` (SIGTERM, then SIGKILL) reach its children too. Used by ``tools.bench_hub``, ``tools.bench_faults``
and ``tests/faults``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from common.runtimes import bot_python
from common.secretstore import all_secrets

__all__ = ["ROOT", "BIN", "MODEL", "free_port", "wait_ready", "Stack", "PrivatePostgres", "PrivateRedis"]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen | None, timeout: float = 600, logs: Path | None = None) -> float:
    """Seconds until ``url`` answers 200; fails when the process exits first or the time runs out."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}; see {logs or 'its log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - began
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@dataclass
class Stack:
    """Action server, Rasa (trackers and locks in Redis: bot/endpoints.redis.yml) and ``api_count`` API instances
    on free ports, all given one environment: ``database_url``, ``redis_url``, Rasa's Redis
    (``rasa_redis``: host, port, db), the secrets (common.secretstore) and ``extra_env`` last."""
    database_url: str
    redis_url: str
    rasa_redis: tuple[str, int, int]
    logs: Path
    extra_env: dict = field(default_factory=dict)
    api_count: int = 2
    api_url: str | None = None  # what the action server calls (a balancer); default: the first instance
    actions_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    api_ports: tuple = ()
    processes: dict = field(default_factory=dict)
    commands: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)  # a process's own variables on top of env() (a second Rasa's port)

    def __post_init__(self) -> None:
        if not self.api_ports:
            self.api_ports = tuple(free_port() for _ in range(self.api_count))
        self.logs.mkdir(parents=True, exist_ok=True)
        self._env: dict | None = None

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    def api(self, instance: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[instance - 1]}"

    def ws(self, instance: int) -> str:
        return f"ws://127.0.0.1:{self.api_ports[instance - 1]}"

    def env(self) -> dict:
        if self._env is None:
            env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
            host, port, db = self.rasa_redis
            env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", APP_ENV="development",
                       DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
                       RASA_REDIS_HOST=host, RASA_REDIS_PORT=str(port), RASA_REDIS_DB=str(db),
                       RASA_URL=self.rasa, ACTIONS_URL=self.actions, API_URL=self.api_url or self.api(1),
                       ACTION_ENDPOINT_URL=f"{self.actions}/webhook", ACTIONS_PORT=str(self.actions_port),
                       RASA_PORT=str(self.rasa_port), RASA_MODEL=str(MODEL), RASA_ENDPOINTS="bot/endpoints.redis.yml")
            env.update(self.extra_env)
            env.update(all_secrets(env))
            self._env = env
        return self._env

    def start(self, name: str, command: list[str], extra: dict | None = None) -> subprocess.Popen:
        """Start ``command`` as ``name`` with env() and ``extra`` on top; its output goes to logs/<name>.log."""
        log = (self.logs / f"{name}.log").open("a")
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env(), **(extra or {})}, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes[name], self.commands[name], self.extras[name] = process, command, extra
        return process

    def start_actions(self) -> subprocess.Popen:
        return self.start("actions", [bot_python(), "-m", "actions.server"])  # the bot runtime (Python 3.10)

    def start_rasa(self) -> subprocess.Popen:
        return self.start("rasa", [bot_python(), "-m", "bot.serve"])

    def start_api(self, instance: int, extra: dict | None = None) -> subprocess.Popen:
        return self.start(f"api{instance}", [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host",
                                             "127.0.0.1", "--port", str(self.api_ports[instance - 1])], extra)

    def start_all(self) -> None:
        self.start_actions()
        self.start_rasa()
        for instance in range(1, len(self.api_ports) + 1):
            self.start_api(instance)

    def ready_url(self, name: str) -> str:
        if name == "actions":
            return f"{self.actions}/health"
        if name == "rasa":
            return f"{self.rasa}/"  # answers once the model is loaded
        return f"{self.api(int(name[3:]))}/docs"

    def wait(self, name: str, timeout: float = 600) -> float:
        return wait_ready(self.ready_url(name), self.processes[name], timeout, self.logs / f"{name}.log")

    def kill(self, name: str) -> None:
        """kill -9 the process (its whole group) and reap it."""
        process = self.processes[name]
        try:  # noqa: SIM105
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def restart(self, name: str) -> subprocess.Popen:
        """Start a process again with the command it was started with (what a supervisor does)."""
        return self.start(name, self.commands[name], self.extras.get(name))

    def stop(self) -> None:
        alive = [p for p in self.processes.values() if p.poll() is None]
        for process in alive:
            try:  # noqa: SIM105
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for process in alive:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:  # noqa: SIM105
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb was not found (/usr/lib/postgresql/*/bin or PATH)")
    return Path(initdb).parent


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb into a temporary directory, trust auth, 127.0.0.1 on a free port),
    so a run may crash and restart it without touching anybody's server. As root, the server runs as the
    ``postgres`` user (PostgreSQL refuses to run as root)."""

    def __init__(self, database: str = "faults", port: int | None = None):
        self.bin, self.port, self.database = _pg_bin(), port or free_port(), database
        self.dir = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd=self.dir)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "120", "start")

    def crash(self) -> None:
        """Stop as a crash would (immediate: no checkpoint; the restart recovers from the WAL)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own on a free port, with an append-only file fsynced at every write (what a
    deployment that keeps Rasa's trackers and the hub's locks in Redis would run), in a temporary directory."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="faults-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server was not found on PATH")
        log = (self.dir / "server.log").open("a")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.RedisError as exc:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server on {self.port} did not start; see {self.dir}/server.log") from exc
                time.sleep(0.1)
            finally:
                client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
