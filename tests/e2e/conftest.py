"""The whole stack started once for the end-to-end tests: API (SQLite + embedded Redis), actions, Rasa.

The API runs in this (the service) runtime; Rasa and the action server in the bot runtime: BOT_PYTHON
(common.runtimes.bot_python, default .venv-bot/bin/python).

Needs the trained model (models/current.tar.gz, built by `make train`). The API is the conversation
hub (RASA_URL points at this Rasa), open around the clock, with the demo seats of tools/demo/seed.py.
The API and the action server read (and the dashboard writes) copies of knowledge/ and data/
(KNOWLEDGE_DIR, TRAINING_DATA_DIR), so a test may change them and retrain without touching the repo.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from common.runtimes import bot_python
from common.secretstore import SECRET_NAMES
from tools.bench.stack import wait_ready

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "e2e-demo-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    wait_ready(url, process, timeout)


@dataclass(frozen=True)
class Stack:
    rasa: str
    api: str
    logs: Path
    knowledge: Path  # the stack's copy of knowledge/ (KNOWLEDGE_DIR)
    data: Path  # the stack's copy of data/ (TRAINING_DATA_DIR)
    env: dict


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("models/current.tar.gz is missing: run `make train` first")
    if not Path(bot_python()).exists():
        pytest.fail(f"the bot runtime's python {bot_python()} is missing: run `make bot-venv` (or set BOT_PYTHON)")
    actions_port, rasa_port, api_port = free_port(), free_port(), free_port()
    logs = tmp_path_factory.mktemp("servers")
    knowledge, data = logs / "knowledge", logs / "data"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py", "__pycache__", "rules"))
    shutil.copytree(ROOT / "data", data)
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env.update(PYTHONPATH=str(ROOT), APP_ENV="development", DATABASE_URL=f"sqlite:///{logs / 'e2e.db'}",
               ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook", API_URL=f"http://127.0.0.1:{api_port}",
               RASA_URL=f"http://127.0.0.1:{rasa_port}", EMBEDDED_REDIS_PATH=str(logs / "redis.db"), SERVICE_HOURS="00:00-24:00", SERVICE_WORKDAYS_ONLY="false",
               SEAT_GRACE_SECONDS="20", DEMO_PASSWORD=DEMO_PASSWORD,
               KNOWLEDGE_DIR=str(knowledge), TRAINING_DATA_DIR=str(data),
               ACTIONS_PORT=str(actions_port), RASA_PORT=str(rasa_port), RASA_MODEL=str(MODEL),
               RASA_ENDPOINTS="bot/endpoints.yml", RETRAIN_SWEEP_ENABLED="false")  # the flow runs `make retrain` itself
    env.update({name: secrets.token_urlsafe(32) for name in SECRET_NAMES})  # never the development file
    subprocess.run([str(BIN / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "tools.demo.seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    api = subprocess.Popen([str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--port", str(api_port)],
                           cwd=ROOT, env=env, stdout=(logs / "api.log").open("w"), stderr=subprocess.STDOUT,
                           start_new_session=True)
    actions = subprocess.Popen([bot_python(), "-m", "actions.server"], cwd=ROOT, env=env, stdout=(logs / "actions.log").open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    rasa = subprocess.Popen([bot_python(), "-m", "bot.serve"], cwd=ROOT, env=env, stdout=(logs / "rasa.log").open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{api_port}/docs", api)
        wait_for(f"http://127.0.0.1:{actions_port}/health", actions)
        wait_for(f"http://127.0.0.1:{rasa_port}/", rasa)  # Rasa answers once its model is loaded
        url = f"http://127.0.0.1:{rasa_port}"
        say(url, "你好")  # the first turn warms up the model
        yield Stack(rasa=url, api=f"http://127.0.0.1:{api_port}", logs=logs, knowledge=knowledge, data=data, env=env)
    finally:
        for process in (rasa, actions, api):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (rasa, actions, api):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")  # Playwright's sync API runs an event loop: never past the module using it
def browser():
    from tests.chromium import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def pages(browser, api_url):
    """`pages(path, viewport)` → a page of the stack's API in its own browser context; fails the test on any
    page error or dialog."""
    from tests.chromium import SCREENSHOTS

    contexts, problems = [], []

    def open_page(path: str, viewport=(1280, 800)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.goto(api_url + path)
        return page

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="session")
def rasa_url(stack) -> str:
    return stack.rasa


@pytest.fixture(scope="session")
def api_url(stack) -> str:
    return stack.api


def say(url: str, text: str, sender: str | None = None, metadata: dict | None = None) -> list[dict]:
    body = {"sender": sender or f"e2e-{uuid.uuid4().hex[:10]}", "message": text}
    if metadata:
        body["metadata"] = metadata
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=json.dumps(body, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"[]")


def envelopes(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]


def kinds(messages: list[dict]) -> list[str]:
    return [c.get("kind") for c in envelopes(messages)]
