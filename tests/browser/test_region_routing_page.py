"""属地 in a real browser against the real API: two staff seats of two units are logged in to 坐席 — 王芳 of the
city's 纳税服务科 (serving 四川省成都市) and 陈静 of 武侯区's 纳税服务股 (serving 四川省成都市武侯区). An enterprise of
武侯区 logged in to the widget asks for a person: only 陈静 sees and takes it, the city's seat never does, and the
enterprise is told 陈静 joined. The enterprise look-up names the serving unit. The bot is not running here: the
handoff the action server would ask for is asked through the same internal route."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.staffkit import DESKTOP, PASSWORD, PHONE, login, open_widget, screenshot, seat_page, staff_world

SERVICE_TOKEN = "region-routing-service-token-0123456789"
APP_SECRET = "region-routing-app-secret-0123456789abcdef"
WUHOU = "四川省成都市武侯区"


def seed(session, world):
    from api.auth.security import hash_password
    from api.org.service import create_staff, create_unit, set_regions
    from tests.api.regionkit import make_enterprise

    district = create_unit(session=session, name="武侯区税务局", level="district", kind="tax_unit",
                           parent_id=world.units["city"])
    wuhou = create_unit(session=session, name="武侯区税务局纳税服务股", level="district", kind="service_department",
                        parent_id=district.id)
    set_regions(world.units["service"], ["四川省成都市"], session=session)
    set_regions(wuhou.id, [WUHOU], session=session)
    seat = create_staff(session=session, username="wuhou", display_name="陈静", role="staff", unit_id=wuhou.id,
                        password_hash=hash_password(PASSWORD, iterations=1_000))
    enterprise = make_enterprise(session, WUHOU, "武侯区属地商贸有限公司")
    session.commit()
    world.units["wuhou"], world.staff_ids["wuhou"] = wuhou.id, seat.id
    world.extra["enterprise"] = (enterprise.uscc, enterprise.name)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=seed, service_token=SERVICE_TOKEN, app_secret=APP_SECRET,
                        bot_intake_unit_name="纳税服务科", service_hours="00:00-24:00", service_workdays_only=False)
    yield built
    built.server.stop()


def enterprise_widget(page_factory, world, text):
    """The enterprise of 武侯区, logged in, on the widget page says `text`: (widget page, its conversation)."""
    from common.tokens import create_enterprise_token

    uscc, name = world.extra["enterprise"]
    token = create_enterprise_token(uscc, name, secret=APP_SECRET, lifetime=timedelta(hours=1),
                                    now=datetime.now(timezone.utc))
    return open_widget(page_factory, world, text, path=f"/#enterprise_token={token}")


def test_an_enterprise_of_wuhou_reaches_the_seat_of_wuhou_only(page_factory, world):
    city = seat_page(page_factory, world, "staff")
    wuhou = seat_page(page_factory, world, "wuhou")
    expect(wuhou.locator("[data-test=seat-bar]")).to_contain_text("陈静")
    widget, conversation = enterprise_widget(page_factory, world, "我想咨询跨区迁移，请帮我转人工")
    assert conversation.unit_id == world.units["wuhou"]
    handoff = httpx.post(world.url + "/api/internal/handoffs", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                         json={"sender_id": conversation.rasa_sender, "tier": "staff", "reason": "user_request"})
    assert handoff.status_code == 200 and handoff.json()["status"] == "queued", handoff.text
    assert handoff.json()["seats_online"] == 1  # 陈静 alone: the city's 王芳 is not of this enterprise's unit

    item = wuhou.locator(f"[data-test=queue] [data-id='{conversation.id}']")
    item.wait_for()
    assert "用户要求转人工" in item.inner_text()
    screenshot(wuhou, "region-routing-wuhou-queue-desktop")
    # the city's seat is online and has room, and is never offered it
    expect(city.locator("[data-test=queue]")).to_contain_text("暂无排队的会话")
    assert city.locator(f"[data-test=queue] [data-id='{conversation.id}']").count() == 0
    screenshot(city, "region-routing-city-queue-desktop")

    item.get_by_role("button", name="接入").click()
    wuhou.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for()
    widget.get_by_text("陈静已接入").first.wait_for()
    assert "王芳" not in widget.inner_text("body")
    wuhou.fill("#seat-composer", "您好，我是武侯区税务局的陈静，请问迁往哪个区？")
    wuhou.keyboard.press("Enter")
    widget.get_by_text("请问迁往哪个区？").first.wait_for()
    screenshot(wuhou, "region-routing-wuhou-conversation-desktop")
    screenshot(widget, "region-routing-widget-phone")

    phone = seat_page(page_factory, world, "wuhou", viewport=PHONE)  # the same seat on a phone
    phone.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for()
    screenshot(phone, "region-routing-wuhou-phone")
    assert city.locator(f"[data-test=mine] [data-id='{conversation.id}']").count() == 0


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_enterprise_look_up_names_the_serving_unit(page_factory, world, viewport, name):
    page = page_factory(viewport)
    login(page, world, "staff", "/staff/enterprises")
    page.locator("input[data-test=uscc-input], [data-test=uscc-input] input").first.fill(world.extra["enterprise"][0])
    page.click("[data-test=uscc-search]")
    serving = page.locator("[data-test=serving-unit]")
    expect(serving).to_contain_text("武侯区税务局纳税服务股（区县级）")
    screenshot(page, f"region-routing-enterprise-{name}")
