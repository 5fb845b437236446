"""A logged-in enterprise in the widget, on the real API: the notices of its petitions arrive in the chat and in
消息, 我的诉求 shows each petition with its clock (promised date and working days left) or its result, and the
enterprise rates the handling once. Screenshots at 1280×800 and 390×844."""
from __future__ import annotations

import os
import random

import httpx
import pytest

from common.identifiers import make_uscc
from tests.browser.staffkit import DESKTOP, PASSWORD, PHONE, screenshot, staff_world

CONNECTED = "() => document.body.dataset.connected === '1'"
NAME = "成都诉求进度有限公司"


def _token(world, username):
    response = httpx.post(world.url + "/api/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _step(world, headers, petition_id, name, **body):
    response = httpx.post(f"{world.url}/api/petitions/{petition_id}/{name}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory)
    uscc = make_uscc(random.randrange(10**9))
    staff, handler = _token(built, "staff"), _token(built, "handler")

    def register(content):
        body = dict(taxpayer_name=NAME, uscc=uscc, contact_phone="13800138000", content=content,  # noqa: C408
                    category="纳税服务类", channel="12366热线")
        created = httpx.post(built.url + "/api/petitions", json=body, headers=staff)
        assert created.status_code == 201, created.text
        petition = created.json()
        _step(built, staff, petition["id"], "hand-over", service_unit_id=built.units["service"])
        _step(built, staff, petition["id"], "assign", unit_ids=[built.units["handling"]])
        return petition

    done = register("办税服务厅排队时间太长，希望增加自助办税终端。")
    _step(built, handler, done["id"], "start")
    _step(built, handler, done["id"], "resolve", resolution="已在大厅新增两台自助办税终端，并开通线上预约。")
    _step(built, handler, done["id"], "feedback", message="已新增自助终端并开通预约，欢迎您使用。")
    running = register("电子税务局上传附件总是失败，请尽快处理。")
    built.extra.update(uscc=uscc, done=done, running=running, staff=staff)
    yield built
    built.server.stop()


def open_widget(page_factory, world, viewport):
    from api.auth.security import create_enterprise_token

    token = create_enterprise_token(world.extra["uscc"], NAME, secret=os.environ["APP_SECRET"])
    page = page_factory(viewport)
    page.goto(f"{world.url}/#enterprise_token={token}")
    page.wait_for_function(CONNECTED)
    return page


def test_the_enterprise_hears_each_step_and_sees_its_petitions_with_their_clocks(page_factory, world):
    done, running = world.extra["done"], world.extra["running"]
    page = open_widget(page_factory, world, DESKTOP)
    chat = page.locator("#messages")
    chat.get_by_text("已新增自助终端并开通预约，欢迎您使用", exact=False).first.wait_for()  # the feedback, in the chat
    assert chat.get_by_text(f"您的诉求（受理编号 {running['ticket']}）已转交", exact=False).count() == 1

    page.click(".welcome-action[data-action=petitions]")
    page.wait_for_selector(f"#petitions-list .petition-item[data-ticket='{running['ticket']}']")
    items = page.locator("#petitions-list .petition-item")
    assert items.count() == 2
    open_one = page.locator(f".petition-item[data-ticket='{running['ticket']}']")
    assert "还剩" in open_one.inner_text() and "前办结" in open_one.inner_text()
    from api.petition.constants import STATUS_LABELS, Status
    assert open_one.locator(".tag-petition").inner_text() == STATUS_LABELS[Status.assigned]  # the server's word
    finished = page.locator(f".petition-item[data-ticket='{done['ticket']}']")
    assert "办理结果：已在大厅新增两台自助办税终端" in finished.inner_text()
    notices = page.locator("#reminders-list .notice-item")
    assert notices.count() == 3  # two hand-overs to the department, one result
    from api.outbox.models import NOTICE_KIND_LABELS
    tags = page.locator("#reminders-list .notice-item .tag-notice").all_inner_texts()
    assert sorted(tags) == sorted([NOTICE_KIND_LABELS["assigned"]] * 2 + [NOTICE_KIND_LABELS["result"]])
    screenshot(page, "widget-petitions-desktop")


def test_the_enterprise_rates_the_handling_once(page_factory, world):
    done = world.extra["done"]
    page = open_widget(page_factory, world, PHONE)
    page.click(".welcome-action[data-action=petitions]")
    item = page.locator(f".petition-item[data-ticket='{done['ticket']}']")
    item.locator(".petition-rate-submit").wait_for()
    item.locator(".petition-rate-submit").click()
    assert "请先选择分数" in item.locator(".petition-rating-error").inner_text()
    item.locator(".petition-score[data-score='4']").click()
    item.locator(".petition-note").fill("<b>终端很好用</b>")
    item.locator(".petition-rate-submit").click()
    item.locator(".petition-rated").wait_for()
    assert "您的评价：4分" in item.inner_text() and item.locator(".petition-rating").count() == 0
    screenshot(page, "widget-petitions-phone")
    staff_view = httpx.get(f"{world.url}/api/petitions/{done['id']}", headers=world.extra["staff"]).json()["petition"]
    assert staff_view["enterprise_rating"] == 4 and staff_view["enterprise_rating_note"] == "<b>终端很好用</b>"
