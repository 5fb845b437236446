"""坐席 in the staff app (/staff/seat) against the real API: an enterprise on the widget page asks for a person,
the staff seat claims the conversation from the queue, both exchange messages (the seat's reply shows in the
widget), the seat escalates to the expert with who is online shown before the note is written, the expert takes
it, answers and closes, and the enterprise's rating reaches the expert's list. Also: a conversation someone else
took, knowledge cards, transfer / hand back / petition, the enterprise picture's key facts and sources, presence,
the phone layout, and a refused token. The bot is not running here: the handoff the action server would ask for
is asked through the same internal route (POST /api/internal/handoffs)."""
from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from tests.browser.staffkit import DESKTOP, PHONE, login, screenshot, staff_world

SERVICE_TOKEN = "seat-section-service-token-0123456789"
XSS = '<img src=x onerror="window.__pwned=1">我的发票开不出来'


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, service_token=SERVICE_TOKEN, bot_intake_unit_name="纳税服务科",
                        service_hours="00:00-24:00", service_workdays_only=False)
    yield built
    built.server.stop()


def latest_conversation(world):
    from api.database import make_engine
    from api.hub.models import Conversation

    engine = make_engine(world.database_url)
    try:
        with sessionmaker(bind=engine)() as session:
            return session.execute(select(Conversation).order_by(Conversation.id.desc())).scalars().first()
    finally:
        engine.dispose()


def open_widget(page_factory, world, text):
    """A visitor on the widget page says `text`; the conversation it opened."""
    widget = page_factory((390, 760))
    widget.goto(world.url + "/")
    widget.wait_for_function("() => !!localStorage.getItem('taxWidget.visitorToken')")
    widget.fill("#input", text)
    widget.click("#send")
    widget.get_by_text(text).first.wait_for()
    for _ in range(50):
        conversation = latest_conversation(world)
        if conversation is not None and conversation.identity:
            return widget, conversation
        widget.wait_for_timeout(100)
    raise AssertionError("the widget opened no conversation")


def hand_off(world, conversation, tier="staff"):
    """What the action server asks when the enterprise says 转人工."""
    response = httpx.post(world.url + "/api/internal/handoffs", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                          json={"sender_id": conversation.rasa_sender, "tier": tier, "reason": "user_request"})
    assert response.status_code == 200, response.text
    return response.json()


def seat_page(page_factory, world, username, viewport=DESKTOP, **options):
    page = page_factory(viewport, **options)
    login(page, world, username, path="/staff/seat")
    page.wait_for_selector("[data-test=seat-bar] [data-test=status]")
    page.wait_for_function("() => !document.querySelector('[data-test=line]')")  # the live line is up
    return page


def staff_token(world, username):
    response = httpx.post(world.url + "/api/auth/token", data={"username": username, "password": "Staff-App-Pass-9"})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def visitor_headers(widget):
    return {"Authorization": "Bearer " + widget.evaluate("() => localStorage.getItem('taxWidget.visitorToken')")}


def test_visitor_staff_expert_close_and_rating(page_factory, world):
    staff = seat_page(page_factory, world, "staff")
    expert = seat_page(page_factory, world, "expert")
    widget, conversation = open_widget(page_factory, world, XSS)
    assert hand_off(world, conversation)["status"] == "queued"

    item = staff.locator(f"[data-test=queue] [data-id='{conversation.id}']")
    item.wait_for()
    assert "访客" in item.inner_text() and "用户要求转人工" in item.inner_text()
    item.get_by_role("button", name="接入").click()
    transcript = staff.locator("[data-test=transcript]")
    transcript.get_by_text(XSS).wait_for()  # what the visitor typed, as text: never markup
    assert staff.evaluate("() => window.__pwned") is None
    assert staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").count() == 1
    widget.get_by_text("王芳已接入").first.wait_for()

    staff.fill("#seat-composer", "您好，我是税务干部王芳，请问开票时提示什么？")
    staff.keyboard.press("Enter")
    widget.get_by_text("请问开票时提示什么？").first.wait_for()  # the seat's reply reaches the enterprise
    assert staff.input_value("#seat-composer") == ""
    widget.fill("#input", "提示税控设备异常")
    widget.click("#send")
    transcript.get_by_text("提示税控设备异常").wait_for()
    screenshot(staff, "seat-conversation-desktop")

    # the expert tier's presence is shown before any note is written
    staff.click("[data-test=escalate]")
    board = staff.locator(".el-dialog [data-test=presence-board]")
    board.wait_for()
    has_board = httpx.get(world.url + "/api/seats/presence", headers=staff_token(world, "staff")).status_code == 200
    if has_board:  # the presence-per-tier route (helper A's branch seats)
        board.get_by_text("赵敏").wait_for()
        assert "在线 1 人" in board.locator("[data-tier=expert]").inner_text()
    else:
        assert "本层级" in board.inner_text()
    assert staff.input_value("[data-test=escalate-note]") == ""
    screenshot(staff, "seat-escalate-desktop")
    staff.fill("[data-test=escalate-note]", "涉及跨区域迁移，需专家判断")
    staff.click("[data-test=escalate-submit]")
    staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for(state="detached")

    # the expert takes it (given to the only expert online, or claimed from the expert queue)
    queued = expert.locator(f"[data-test=queue] [data-id='{conversation.id}']")
    mine = expert.locator(f"[data-test=mine] [data-id='{conversation.id}']")
    expert.wait_for_function(f"() => !!document.querySelector(\"[data-test=queue] [data-id='{conversation.id}'], "
                             f"[data-test=mine] [data-id='{conversation.id}']\")")
    if queued.count():
        queued.get_by_role("button", name="接入").click()
    else:
        mine.click()
    expert_transcript = expert.locator("[data-test=transcript]")
    expert_transcript.get_by_text("涉及跨区域迁移，需专家判断").wait_for()  # the note, marked internal
    assert "内部备注" in expert_transcript.locator(".internal").first.inner_text()
    assert "跨区域迁移" not in widget.inner_text("body")  # never shown to the enterprise
    expert.fill("#seat-composer", "已为您核实，可以直接办理迁移。")
    expert.click("[data-test=send]")
    widget.get_by_text("已为您核实，可以直接办理迁移。").first.wait_for()

    expert.click("[data-test=close]")
    expert.click("[data-test=close-submit]")
    assert "请填写会话小结" in expert.locator(".el-message").last.inner_text()
    expert.fill("[data-test=close-summary]", "解答跨区迁移开票问题")
    expert.click("[data-test=close-submit]")
    ended = expert.locator(f"[data-test=ended] [data-id='{conversation.id}']")
    ended.wait_for()
    assert "待评价" in ended.inner_text()

    rated = httpx.post(f"{world.url}/api/widget/conversations/{conversation.id}/rating", headers=visitor_headers(widget),
                       json={"score": 4, "comment": "很专业"})
    assert rated.status_code == 200, rated.text
    ended.locator("[data-test=rating]").wait_for()
    assert "4 分" in ended.inner_text()  # the rating reaches the seat who served
    assert "智能助手" not in expert.inner_text("[data-test=seat-bar]")
    screenshot(expert, "seat-ended-desktop")
