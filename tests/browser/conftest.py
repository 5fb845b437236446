"""Browser tests: Playwright (sync API) drives Debian's Chromium (/usr/bin/chromium) headless.

Fixtures:
* `browser` (session): one Chromium for the whole run; fails with a clear message when missing.
* `page_factory`: new context + page per call (viewport, zh-CN, Asia/Shanghai); uncaught page
  errors and CSP violations fail the test at teardown.
* `artefacts`: `results/screenshots/` under the repo root, for screenshots a person looks at.
* `web_server`: base URL of a small app (FastAPI() + install_web + tests/browser/fixtures at
  /test-fixtures, and the server's vocabulary route when it is there) served by uvicorn in a thread on a free
  port. No database, no Redis, no hub.
(`tests.appkit.vocab(group, key)`: the label the server's vocabulary gives, "" where this build has none.)
* `open_widget`: a page on the widget with a `FakeHub` (fakehub.py) standing in for the hub in the browser
  (Playwright routes for POST /api/widget/session and the /ws/widget WebSocket).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakehub import FakeHub

from tests.chromium import SCREENSHOTS, chromium
from tests.liveserver import LiveServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")  # Playwright's sync API runs an event loop: never past the module using it
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def artefacts() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def page_factory(browser):
    """`page_factory(viewport=(w, h))` → a fresh page in its own context (no shared storage)."""
    contexts = []
    problems: list[str] = []

    def make(viewport: tuple[int, int] = (1280, 800), **options: Any):
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda msg: problems.append(f"CSP: {msg.text}") if "Content Security Policy" in msg.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def web_server():
    """Base URL of the pages alone: FastAPI() + install_web(app), plus the test fixtures."""
    from fastapi import FastAPI
    from starlette.staticfiles import StaticFiles

    from api.web.router import install_web

    app = FastAPI()
    install_web(app)
    try:
        from api.vocabulary.router import router as vocabulary_router
    except ImportError:  # not in this build: the pages show no label rather than a key
        vocabulary_router = None
    if vocabulary_router is not None:
        app.include_router(vocabulary_router)
    app.mount("/test-fixtures", StaticFiles(directory=FIXTURES), name="test-fixtures")
    server = LiveServer(app)
    server.start_and_wait()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def open_widget(page_factory, web_server):
    """`open_widget(viewport=…, path="/", **hub_options)` → (page, hub), connected to the fake hub."""

    def open_(viewport: tuple[int, int] = (1280, 800), path: str = "/", wait_connected: bool = True, **hub_options):
        page = page_factory(viewport)
        hub = FakeHub(page.context, **hub_options)
        page.goto(web_server + path)
        if wait_connected:
            page.wait_for_function("() => document.body.dataset.connected === '1'")
        return page, hub

    return open_

