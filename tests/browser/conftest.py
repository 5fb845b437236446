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
* `widget_api` (module): the real API (tests/appkit.py serve_api) on the run's database, with `token(...)`,
  `enterprise(...)`, `history(...)` and `reminders(...)` to give an enterprise a past.
* `open_widget`: a page on the widget of `widget_api`, connected, and a `Wire` (wire.py) recording what the
  widget and the hub said to each other.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from wire import Wire

from api.core.runtime import runtime
from tests.chromium import SCREENSHOTS, chromium
from tests.liveserver import LiveServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAGE_TIMEOUT_MS = 30_000
"""How long a step or an `expect` waits on a page: a loaded 2-core machine (CI, a benchmark beside it) can take
seconds to draw what takes milliseconds when it is quiet. Waiting longer never makes a failing page pass."""
expect.set_options(timeout=PAGE_TIMEOUT_MS)


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
        context.set_default_timeout(PAGE_TIMEOUT_MS)
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


class WidgetApi:
    """The real API for the widget tests, and the past an enterprise may need (written straight to the database,
    as the hub and the reminder jobs would have written it)."""

    def __init__(self, server, database_url: str) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.port}"
        self.app = server.server.config.app
        self.database_url = database_url

    def token(self, uscc: str, name: str, *, hours: float = 1.0) -> str:
        import os
        from datetime import timedelta

        from api.auth.security import create_enterprise_token

        return create_enterprise_token(uscc, name, secret=os.environ["APP_SECRET"], lifetime=timedelta(hours=hours))

    def enterprise(self, name: str):
        """A bare enterprise (no filings, no credit record): no rule reminds it of anything by itself."""
        import random
        from datetime import date, datetime, timezone
        from decimal import Decimal

        from api.enterprise.models import Enterprise
        from common.identifiers import make_uscc

        now = datetime.now(timezone.utc)
        with runtime(self.app).session_factory() as session:
            enterprise = Enterprise(uscc=make_uscc(random.randrange(10**9)), name=name, taxpayer_type="general",
                                    kind="company", industry_code="F51", industry="批发业", region="成都市武侯区",
                                    restricted_industry=False, employees=400, total_assets=Decimal("90000000"),
                                    annual_sales=Decimal("90000000"), taxable_income=Decimal("9000000"),
                                    rd_expense=Decimal("0"), new_hires_key_groups=0, registration_date=date(2015, 5, 12),
                                    demo=False, sources={}, created_at=now, updated_at=now)
            session.add(enterprise)
            session.commit()
            session.refresh(enterprise)
            session.expunge(enterprise)
        runtime(self.app).redis.set(f"reminders:evaluated:{enterprise.uscc}", "1", ex=3600)  # only what a test gives
        return enterprise

    def history(self, enterprise, messages: list[dict]) -> list[dict]:
        """Post ``messages`` ({sender, text, minutes_ago?, custom?, buttons?}) into the enterprise's conversation;
        returns them as the hub sends them."""
        from datetime import datetime, timedelta, timezone

        from api.hub import service
        from api.hub.identity import Identity
        from api.hub.schemas import message_wire

        identity = Identity(key=f"e:{enterprise.uscc}", visitor_id="seed", uscc=enterprise.uscc, name=enterprise.name)
        out = []
        with runtime(self.app).session_factory() as session:
            now = datetime.now(timezone.utc)
            conversation = service.current_conversation(identity, session=session, settings=runtime(self.app).settings,
                                                        now=now)
            for item in messages:
                message = service.post(conversation, session=session, sender=item["sender"], text=item["text"],
                                       now=now - timedelta(minutes=item.get("minutes_ago", 0)),
                                       custom=item.get("custom"), buttons=item.get("buttons"))
                session.flush()
                out.append(message_wire(message))
            session.commit()
        return out

    def reminders(self, enterprise, rows: list[dict]) -> list[int]:
        """Reminders of the enterprise ({type, title, message, status?, read?, minutes_ago?, answer?,
        message_id?, reasons?}); returns their ids."""
        from datetime import datetime, timedelta, timezone

        from api.reminder.models import Reminder

        now = datetime.now(timezone.utc)
        ids = []
        with runtime(self.app).session_factory() as session:
            for i, row in enumerate(rows):
                created = now - timedelta(minutes=row.get("minutes_ago", 0))
                reminder = Reminder(enterprise_id=enterprise.id, uscc=enterprise.uscc, rule_id=f"test-{row['type']}",
                                    type=row["type"], topic=row.get("topic"), key=f"test:{i}:{created.isoformat()}",
                                    title=row["title"], message=row["message"], reasons=row.get("reasons") or [],
                                    values={}, status=row.get("status", "delivered"), created_at=created,
                                    delivered_at=created, read_at=created if row.get("read") else None,
                                    answer=row.get("answer"), message_id=row.get("message_id"))
                session.add(reminder)
                session.flush()
                ids.append(reminder.id)
            session.commit()
        return ids


    def close_after_a_person(self, enterprise) -> int:
        """The enterprise's conversation, served by a person, closed by the seat (so it may be rated)."""
        from api.hub.models import Conversation

        with runtime(self.app).session_factory() as session:
            conversation = session.query(Conversation).filter_by(identity=f"e:{enterprise.uscc}") \
                .order_by(Conversation.id.desc()).first()
            conversation.mode, conversation.had_human = "closed", True
            session.commit()
            return conversation.id

    def link(self, reminder_id: int, message_id: int) -> None:
        """The chat message that delivered the reminder (as delivery records it)."""
        from api.reminder.models import Reminder

        with runtime(self.app).session_factory() as session:
            session.get(Reminder, reminder_id).message_id = message_id
            session.commit()

    def reminder(self, reminder_id: int):
        from api.reminder.models import Reminder

        with runtime(self.app).session_factory() as session:
            return session.get(Reminder, reminder_id)

    def mark_read(self, ids: list[int]) -> None:
        """Read elsewhere (another tab or device)."""
        from datetime import datetime, timezone

        from api.reminder.models import Reminder

        with runtime(self.app).session_factory() as session:
            for reminder_id in ids:
                session.get(Reminder, reminder_id).read_at = datetime.now(timezone.utc)
            session.commit()


@pytest.fixture(scope="module")
def widget_api(database_url, tmp_path_factory):
    from tests.appkit import leave_no_trace, serve_api

    with leave_no_trace(database_url):  # petitions left through the widget, reminders, history: gone afterwards
        server = serve_api(database_url, tmp_path_factory.mktemp("widget-api"))
        yield WidgetApi(server, database_url)
        server.stop()


@pytest.fixture
def open_widget(page_factory, widget_api):
    """`open_widget(viewport=…, path="/", token=None)` → (page, wire) on the real API; `token`: an enterprise's."""

    def open_(viewport: tuple[int, int] = (1280, 800), path: str = "/", wait_connected: bool = True,
              token: str | None = None):
        page = page_factory(viewport)
        wire = Wire(page)
        page.goto(widget_api.url + path + (f"#enterprise_token={token}" if token else ""))
        if wait_connected:
            page.wait_for_function("() => document.body.dataset.connected === '1'")
            wire.wait_for(page, wire.hello)  # the hub's answer to the auth frame is in …
            page.wait_for_timeout(100)  # … and handled: a state fed by a test is not overwritten by it
        return page, wire

    return open_
