"""统计分析 on generated demo data (what `make run` shows, smaller): every chart drawn with data, the key
figures filled with plausible values, and a number in a table opening the conversations behind it.

SQLite migrated in tmp_path, 200 demo enterprises and 1,500 demo conversations over 30 days
(tools.demo.enterprises, tools.demo.conversations), Debian's Chromium on the real app.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import sessionmaker

from tests.appkit import migrate, serve_api
from tests.browser.staffkit import DESKTOP, screenshot

PASSWORD = "Demo-Dashboard-7"
CARDS = ("daily", "rates", "reasons", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from api.auth.security import hash_password
    from api.core.database import make_engine
    from api.org.service import create_staff, create_unit
    from tools.demo.conversations import seed_demo_conversations
    from tools.demo.enterprises import seed_demo

    url = migrate(f"sqlite:///{tmp_path_factory.mktemp('demo-dashboard') / 'app.db'}")
    engine = make_engine(url)
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        unit = create_unit(session=session, name="纳税服务中心", level="city", kind="service_department")
        password = hash_password(PASSWORD, iterations=1_000)
        operator = create_staff(session=session, username="yunying", display_name="周运营", role="operator",
                                unit_id=unit.id, password_hash=password)
        seats = [create_staff(session=session, username=u, display_name=n, role=r, unit_id=unit.id,
                              password_hash=password)
                 for u, n, r in (("ganbu1", "王芳", "staff"), ("ganbu2", "李明", "staff"), ("zhuanjia1", "赵敏", "expert"))]
        seed_demo(session, n=200)
        seeded = seed_demo_conversations(session, unit_id=unit.id, seats=seats, operator_id=operator.id,
                                         conversations=1_500, days=30)
        session.commit()
    engine.dispose()
    server = serve_api(url, tmp_path_factory.mktemp("demo-redis"))
    yield {"url": f"http://127.0.0.1:{server.port}", "seeded": seeded}
    server.stop()


def _percent(text: str) -> float:
    return float(re.search(r"([\d.]+)%", text).group(1))


def test_every_chart_has_data_and_numbers_lead_to_their_conversations(live, page_factory):
    page = page_factory(DESKTOP)
    page.goto(live["url"] + "/staff/analytics")
    page.fill("#username", "yunying")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#card-daily")
    page.click(".quick [data-days='30']")  # a second load of the same range: wait until it has finished too
    for card in CARDS:
        page.wait_for_selector(f"#card-{card}[data-loaded='1'] canvas", state="attached", timeout=30_000)
        assert page.locator(f"#card-{card} .card-status").count() == 0, page.text_content(f"#card-{card} .card-status")

    tiles = dict(zip(page.locator(".kpi-label").all_text_contents(), page.locator(".kpi-value").all_text_contents()))  # noqa: B905
    assert int(tiles["会话量"]) > 1_000 and int(tiles["消息量"]) > int(tiles["会话量"])
    for rate in ("独立解决率", "转人工率", "未能回答率"):
        assert 0 < _percent(tiles[rate]) < 100, tiles
    assert _percent(tiles["独立解决率"]) > _percent(tiles["转人工率"])  # most conversations end with the bot
    assert 1 <= float(tiles["人工服务满意度"].split()[0]) <= 5
    assert re.search(r"\b[a-z]+_[a-z_]+\b", page.inner_text("main")) is None  # no English key on the page
    page.wait_for_timeout(300)
    page.evaluate("() => document.querySelector('.shell-main').scrollTo(0, 0)")
    screenshot(page, "analytics-demo-desktop")

    # the first unanswered group's count opens the review list with conversations behind it
    page.click("#card-unanswered .toggle-table")
    first = page.locator("#card-unanswered tbody tr").first
    count = int(first.locator("td").nth(1).text_content())
    assert count >= 1
    first.locator("td").nth(1).locator("button.drill").click()
    page.wait_for_selector("#view-review #review-table tbody tr .row-id")
    assert page.locator("#review-table tbody tr .row-id").count() >= 1
    page.locator("#review-table tbody tr").first.click()
    page.wait_for_selector("#tr-messages li.msg-bot")
    assert "意图：" in page.text_content("#tr-messages li.msg-bot")
    screenshot(page, "analytics-demo-review-desktop")
