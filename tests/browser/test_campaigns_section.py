"""活动 in the staff app, against the real API: an operator reads a sent campaign's funnel (figures the reminders
themselves give), creates a campaign from a rule after previewing its audience with the reasons, schedules it for
tomorrow morning and cancels it. Desktop and phone screenshots of the list, the new-campaign form and the detail."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.core.database import make_engine
from tests.browser.staffkit import DESKTOP, PASSWORD, PHONE, login, open_section, screenshot, staff_world

SENT_RULE, NEW_RULE = "cit-small-low-profit", "vat-small-scale-exemption"
SENT_NAME, NEW_NAME = "小型微利企业所得税优惠提醒（上月）", "小规模纳税人免征增值税提醒（本周）"


def seed(session, world) -> None:
    """40 demo enterprises; one campaign sent through the real sender, then some of its reminders delivered,
    read and answered as the chat does it."""
    from api.core.time import aware_now
    from api.reminder import campaigns, service
    from api.reminder.models import Reminder
    from tools.demo.enterprises import seed_demo

    seed_demo(session, n=40)
    now = aware_now()
    campaign = campaigns.create(SENT_NAME, SENT_RULE, session=session, staff_id=world.staff_ids["operator"], now=now)
    campaigns.schedule(campaign, None, now=now)
    session.commit()
    campaigns.send(sessionmaker(bind=session.get_bind(), future=True), campaign.id, now=now)
    reminders = session.execute(select(Reminder).where(Reminder.campaign_id == campaign.id)
                                .order_by(Reminder.id)).scalars().all()
    assert len(reminders) >= 6, "the demo enterprises no longer give this rule an audience"
    for reminder in reminders[:5]:
        service.mark_delivered(reminder, None, session=session, now=now)
    for reminder in reminders[:3]:
        service.mark_read(reminder.id, reminder.uscc, session=session, now=now)
    for reminder in reminders[:2]:
        service.record_answer(reminder, "claimed", None, session=session, now=now)
    world.extra.update(sent=campaign.id, targeted=len(reminders))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=seed)
    yield built
    built.server.stop()


def operator_get(world, path: str, **params):
    token = httpx.post(world.url + "/api/auth/token", data={"username": "operator", "password": PASSWORD}).json()
    answer = httpx.get(world.url + path, params=params, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored(world, name: str):
    from api.reminder.models import Campaign

    engine = make_engine(world.database_url)
    try:
        with Session(engine) as session:
            return session.execute(select(Campaign).where(Campaign.name == name)).scalar_one()
    finally:
        engine.dispose()


def rule_title(world, rule_id: str) -> str:
    return next(r["title"] for r in operator_get(world, "/api/campaigns/rules") if r["id"] == rule_id)


def settled(page) -> None:
    page.wait_for_selector(".campaigns .el-loading-mask", state="detached")


def test_the_funnel_of_a_sent_campaign_shows_what_its_reminders_became(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "operator")
    open_section(page, "campaigns")
    page.wait_for_url(re.compile(r"/staff/campaigns$"))
    row = page.locator("[data-test=campaign-table] .campaign-row", has_text=SENT_NAME)
    row.wait_for()
    settled(page)
    targeted = world.extra["targeted"]
    assert "已发送" in row.inner_text() and f"40 / {targeted}" in row.inner_text()
    assert rule_title(world, SENT_RULE) in row.inner_text()  # the rule's title, never its id
    screenshot(page, "campaigns-list-desktop")
    row.click()
    funnel = page.locator("[data-test=campaign-funnel]")
    funnel.wait_for()
    assert funnel.locator("[data-test=funnel-evaluated]").inner_text() == "40"
    assert funnel.locator("[data-test=funnel-targeted]").inner_text() == str(targeted)
    for step, count in (("delivered", 5), ("read", 3), ("answered", 2)):
        percent = int(count * 100 / targeted + 0.5)  # rounded half up, as the page does
        assert funnel.locator(f"[data-step={step}] .step-value").inner_text().startswith(f"{count}（{percent}%）")
    assert "已享受 2" in funnel.inner_text()
    assert page.locator("[data-test=campaign-cancel]").count() == 0  # a sent campaign is over
    screenshot(page, "campaigns-detail-desktop")


def test_a_campaign_is_previewed_created_scheduled_and_cancelled(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "operator", path="/staff/campaigns")
    settled(page)
    page.click("[data-test=campaign-new]")
    page.click("[data-test=campaign-rule]")
    page.locator(".campaign-rule-options .el-select-dropdown__item", has_text=rule_title(world, NEW_RULE)).click()
    page.click("[data-test=campaign-preview]")
    result = page.locator("[data-test=campaign-preview-result]")
    result.wait_for()
    expected = operator_get(world, "/api/campaigns/preview", rule_id=NEW_RULE)
    assert expected["audience"] >= 1
    assert result.locator("[data-test=campaign-audience]").inner_text() == str(expected["audience"])
    first = expected["sample"][0]
    assert first["name"] in result.inner_text() and first["reasons"][0] in result.inner_text()  # why it qualifies
    page.fill("input[data-test=campaign-name]", NEW_NAME)
    screenshot(page, "campaigns-create-desktop")
    page.click("[data-test=campaign-save]")

    detail = page.locator("[data-test=campaign-detail]")
    detail.locator("[data-test=campaign-schedule]").wait_for()
    assert detail.locator("[data-test=campaign-status]").inner_text() == "草稿"
    assert stored(world, NEW_NAME).status == "draft"
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%d")  # the browser and the test run in Shanghai time  # noqa: DTZ005
    picker = detail.locator(".picker input")
    picker.fill(f"{tomorrow} 09:30")
    picker.press("Enter")
    page.click("[data-test=campaign-schedule-submit]")
    page.wait_for_function("() => document.querySelector('[data-test=campaign-status]')?.innerText === '已排期'")
    campaign = stored(world, NEW_NAME)
    local = campaign.scheduled_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (campaign.status, local.strftime("%Y-%m-%d %H:%M")) == ("scheduled", f"{tomorrow} 09:30")

    page.click("[data-test=campaign-cancel]")
    page.locator(".el-message-box").get_by_role("button", name="取消活动").click()
    page.wait_for_function("() => document.querySelector('[data-test=campaign-status]')?.innerText === '已取消'")
    assert stored(world, NEW_NAME).status == "cancelled"
    assert page.locator("[data-test=campaign-cancel]").count() == 0
    page.keyboard.press("Escape")
    row = page.locator("[data-test=campaign-table] .campaign-row", has_text=NEW_NAME)
    row.wait_for()
    assert "已取消" in row.inner_text()


def test_on_a_phone_the_list_the_form_and_the_funnel_fit(page_factory, world):
    page = page_factory(PHONE, has_touch=True, is_mobile=True)
    login(page, world, "operator", path="/staff/campaigns")
    card = page.locator("[data-test=campaign-cards] .card", has_text=SENT_NAME)
    card.wait_for()
    settled(page)
    assert not page.locator("[data-test=campaign-table]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(page, "campaigns-list-phone")
    card.tap()
    page.locator("[data-test=campaign-funnel]").wait_for()
    screenshot(page, "campaigns-detail-phone")
    page.locator(".campaign-drawer .el-drawer__close-btn").tap()
    page.locator("[data-test=campaign-new]").tap()
    page.locator("[data-test=campaign-rule]").tap()
    page.locator(".campaign-rule-options .el-select-dropdown__item", has_text=rule_title(world, SENT_RULE)).tap()
    page.locator("[data-test=campaign-preview]").tap()
    page.locator("[data-test=campaign-preview-result]").wait_for()
    save = page.locator("[data-test=campaign-save]")
    box = save.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE[0] and box["height"] >= 32
    screenshot(page, "campaigns-create-phone")
