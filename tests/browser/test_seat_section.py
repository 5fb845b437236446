"""坐席 in the staff app (/staff/seat) against the real API: an enterprise on the widget page asks for a person,
the staff seat claims the conversation from the queue, both exchange messages (the seat's reply shows in the
widget), the seat escalates to the expert with who is online shown before the note is written, the expert takes
it, answers and closes, and the enterprise's rating reaches the expert's list. Also: a colleague's claim leaving
my queue, a transfer, the composer (typing shown, Shift+Enter, an IME's Enter), knowledge cards, petition, hand
back, the enterprise picture's key facts and sources, my status, the phone layout, and an escalation with no
expert online. The bot is not running here: the handoff the action server would ask for is asked through the
same internal route (POST /api/internal/handoffs)."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.staffkit import (
    PASSWORD,
    PHONE,
    open_widget,
    screenshot,
    seat_page,
    staff_world,
)

SERVICE_TOKEN = "seat-section-service-token-0123456789"
XSS = '<img src=x onerror="window.__pwned=1">我的发票开不出来'


APP_SECRET = "seat-section-app-secret-0123456789abcdef"


def seed(session, world):
    """A second staff seat (李娜) and an enterprise with data from two source systems."""
    from datetime import datetime, timezone

    from api.org.service import create_staff
    from tests.api.reminderkit import make_enterprise

    colleague = create_staff(session=session, username="staff2", display_name="李娜", role="staff",
                             unit_id=world.units["service"], password_hash=_password_hash())
    session.flush()
    world.staff_ids["staff2"] = colleague.id
    enterprise = make_enterprise(session, name="成都蓉新商贸有限公司")
    synced = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc).isoformat()
    enterprise.sources = {"name": {"source": "market", "synced_at": synced},
                          "employees": {"source": "social_security", "synced_at": synced}}
    session.commit()
    world.extra["enterprise"] = (enterprise.uscc, enterprise.name)


def _password_hash():
    from api.auth.security import hash_password

    return hash_password(PASSWORD, iterations=1_000)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=seed, service_token=SERVICE_TOKEN, app_secret=APP_SECRET,
                        bot_intake_unit_name="纳税服务科", service_hours="00:00-24:00", service_workdays_only=False)
    yield built
    built.server.stop()


def hand_off(world, conversation, tier="staff"):
    """What the action server asks when the enterprise says 转人工."""
    response = httpx.post(world.url + "/api/internal/handoffs", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                          json={"sender_id": conversation.rasa_sender, "tier": tier, "reason": "user_request"})
    assert response.status_code == 200, response.text
    return response.json()


def staff_token(world, username):
    response = httpx.post(world.url + "/api/auth/token", data={"username": username, "password": PASSWORD})
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
    screenshot(staff, "seat-list-desktop")
    item.get_by_role("button", name="接入").click()
    transcript = staff.locator("[data-test=transcript]")
    transcript.get_by_text(XSS).wait_for()  # what the visitor typed, as text: never markup
    assert staff.evaluate("() => window.__pwned") is None
    assert staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").count() == 1
    widget.get_by_text("王芳已接入").first.wait_for()

    staff.fill("#seat-composer", "您好，我是税务干部王芳，请问开票时提示什么？")
    staff.keyboard.press("Enter")
    widget.get_by_text("请问开票时提示什么？").first.wait_for()  # the seat's reply reaches the enterprise
    staff.wait_for_function("() => document.querySelector('#seat-composer').value === ''")  # sent, cleared
    widget.fill("#input", "提示税控设备异常")
    widget.click("#send")
    transcript.get_by_text("提示税控设备异常").wait_for()
    screenshot(staff, "seat-conversation-desktop")

    # the expert tier's presence is shown before any note is written
    staff.click("[data-test=escalate]")
    board = staff.locator(".el-dialog [data-test=presence-board]")
    board.wait_for()
    board.get_by_text("赵敏").wait_for()
    assert "在线 1 人" in board.locator("[data-tier=expert]").inner_text()
    assert staff.input_value("[data-test=escalate-note]") == ""
    staff.wait_for_timeout(500)  # the dialog's opening animation, for the screenshot
    screenshot(staff, "seat-escalate-desktop")
    staff.fill("[data-test=escalate-note]", "涉及跨区域迁移，需专家判断")
    staff.click("[data-test=escalate-submit]")
    staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for(state="detached")

    # the expert takes it (given to the only expert online, or claimed from the expert queue)
    queued = expert.locator(f"[data-test=queue] [data-id='{conversation.id}']")
    mine = expert.locator(f"[data-test=mine] [data-id='{conversation.id}']")
    for _ in range(50):  # the expert online with room is given it at once; else it waits in the expert queue
        if mine.count():
            break
        expert.wait_for_timeout(100)
    if not mine.count():
        queued.get_by_role("button", name="接入").click()
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
    expert.locator(".el-message").filter(has_text="请填写会话小结").wait_for()  # a summary is required
    expert.fill("[data-test=close-summary]", "解答跨区迁移开票问题")
    expert.click("[data-test=close-submit]")
    ended = expert.locator(f"[data-test=ended] [data-id='{conversation.id}']")
    ended.wait_for()
    assert "待评价" in ended.inner_text()

    rated = httpx.post(f"{world.url}/api/widget/conversations/{conversation.id}/rating",
                       headers=visitor_headers(widget), json={"score": 4, "comment": "很专业"})
    assert rated.status_code == 200, rated.text
    ended.locator("[data-test=rating]").wait_for()
    assert "4 分" in ended.inner_text()  # the rating reaches the seat who served
    assert "智能助手" not in expert.inner_text("[data-test=seat-bar]")
    screenshot(expert, "seat-ended-desktop")


def enterprise_path(world):
    from datetime import datetime, timedelta, timezone

    from common.tokens import create_enterprise_token

    uscc, name = world.extra["enterprise"]
    token = create_enterprise_token(uscc, name, secret=APP_SECRET, lifetime=timedelta(hours=1),
                                    now=datetime.now(timezone.utc))
    return f"/#enterprise_token={token}"


def claim_in_page(page, conversation):
    item = page.locator(f"[data-test=queue] [data-id='{conversation.id}']")
    item.wait_for()
    item.get_by_role("button", name="接入").click()
    page.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for()
    page.locator("[data-test=composer]").wait_for()


def test_the_enterprise_picture_knowledge_card_petition_and_hand_back(page_factory, world):
    uscc, name = world.extra["enterprise"]
    staff = seat_page(page_factory, world, "staff")
    widget, conversation = open_widget(page_factory, world, "我的纳税信用被扣分了，怎么修复？", path=enterprise_path(world))
    hand_off(world, conversation)
    claim_in_page(staff, conversation)
    assert name in staff.inner_text("[data-test=mine]")

    picture = staff.locator("[data-test=picture]")
    facts = picture.locator("[data-test=key-facts]")
    facts.get_by_text(name).wait_for()  # key facts first: who the enterprise is, in Chinese
    assert uscc in facts.inner_text() and "B" in facts.inner_text()
    assert re.search(r"[a-z_]{4,}", picture.inner_text()) is None, "a field name is shown"
    assert picture.locator("[data-test=sources]").count() == 0  # sources only on demand
    picture.locator("[data-test=sources-toggle]").click()
    sources = picture.locator("[data-test=sources]").inner_text()
    assert "市场监管" in sources and "社保" in sources
    screenshot(staff, "seat-picture-desktop")

    # a knowledge card: searched, sent, shown to the enterprise with its title
    staff.click("[data-test=knowledge]")
    staff.fill("[data-test=knowledge-q]", "纳税信用修复")
    staff.get_by_role("button", name="搜索").click()
    results = staff.locator("[data-test=knowledge-results] li")
    results.first.wait_for()
    title = results.first.locator(".title").inner_text()
    results.first.get_by_role("button", name="发送给企业").click()
    staff.locator("[data-test=transcript] .card-title").get_by_text(title).wait_for()
    card = staff.locator("[data-test=transcript] .msg[data-sender=staff]").last.locator(".text").inner_text()
    widget.get_by_text(card.strip().splitlines()[0][:20]).first.wait_for()  # the enterprise reads the card

    # the conversation becomes a petition, drafted from what the enterprise said
    staff.click("[data-test=petition]")
    form = staff.locator("[data-test=petition-form]")
    form.wait_for()
    assert "怎么修复" in form.locator("textarea").first.input_value()
    form.get_by_label("联系电话").fill("13800138000")
    staff.get_by_role("button", name="登记诉求").click()
    ticket = staff.locator("[data-test=petition-ticket]")
    ticket.wait_for()
    number = re.search(r"编号 (\S+)，", ticket.inner_text()).group(1)
    staff.get_by_role("button", name="关闭", exact=True).click()
    picture.get_by_role("button", name="刷新").click()
    picture.locator("[data-test=picture-petitions]").get_by_text(number).wait_for()

    # back to the bot: the conversation leaves my list
    staff.click("[data-test=handback]")
    staff.locator(".el-message-box").get_by_role("button", name="转回").click()
    staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for(state="detached")
    staff.locator("[data-test=chat]").wait_for(state="detached")


def test_a_claim_by_a_colleague_leaves_my_queue_and_a_transfer_reaches_me(page_factory, world):
    staff = seat_page(page_factory, world, "staff")
    colleague = seat_page(page_factory, world, "staff2")
    widget, conversation = open_widget(page_factory, world, "想咨询一下出口退税的办理流程")
    hand_off(world, conversation)
    staff.locator(f"[data-test=queue] [data-id='{conversation.id}']").wait_for()
    claim_in_page(colleague, conversation)
    staff.locator(f"[data-test=queue] [data-id='{conversation.id}']").wait_for(state="detached")  # live

    colleague.click("[data-test=transfer]")
    choices = colleague.locator("[data-test=colleagues]")
    choices.get_by_text("王芳").click()
    colleague.get_by_placeholder("转交说明（可选，企业看不到）").fill("企业问出口退税，请王芳继续跟进")
    colleague.get_by_role("button", name="转交", exact=True).click()
    colleague.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for(state="detached")
    mine = staff.locator(f"[data-test=mine] [data-id='{conversation.id}']")
    mine.wait_for()
    mine.click()
    transcript = staff.locator("[data-test=transcript]")
    transcript.get_by_text("请王芳继续跟进").wait_for()

    # the enterprise typing shows; Shift+Enter is a new line, Enter while an IME composes does not send
    widget.click("#input")
    widget.keyboard.type("我再")
    transcript.get_by_text("对方正在输入").wait_for()
    staff.click("#seat-composer")
    staff.keyboard.type("第一行")
    staff.keyboard.press("Shift+Enter")
    staff.keyboard.type("第二行 <b>不加粗</b>")
    staff.dispatch_event("#seat-composer", "compositionstart")
    staff.keyboard.press("Enter")
    staff.dispatch_event("#seat-composer", "compositionend")
    staff.wait_for_timeout(300)
    assert transcript.locator(".msg[data-sender=staff]:not(.internal)").count() == 0
    staff.evaluate("() => { const box = document.querySelector('#seat-composer');"
                   " box.value = box.value.replace(/\\n$/, ''); box.dispatchEvent(new Event('input')); }")
    staff.keyboard.press("Enter")
    widget.get_by_text("第二行 <b>不加粗</b>").first.wait_for()
    sent = transcript.locator(".msg[data-sender=staff]:not(.internal) .text")
    assert sent.all_inner_texts() == ["第一行\n第二行 <b>不加粗</b>"]  # once, as text, though the socket echoes it


def test_my_status_is_set_from_the_bar(page_factory, world):
    staff = seat_page(page_factory, world, "staff")
    headers = staff_token(world, "staff")
    staff.click("[data-test=status]")
    staff.locator(".el-select-dropdown__item").nth(1).click()  # 忙碌
    for _ in range(50):
        if httpx.get(world.url + "/api/seats/me", headers=headers).json()["status"] == "busy":
            break
        staff.wait_for_timeout(100)
    assert httpx.get(world.url + "/api/seats/me", headers=headers).json()["status"] == "busy"
    staff.click("[data-test=status]")
    staff.locator(".el-select-dropdown__item").nth(0).click()
    staff.wait_for_timeout(300)
    assert httpx.get(world.url + "/api/seats/me", headers=headers).json()["status"] == "online"


def test_on_a_phone_the_list_comes_first_and_a_conversation_opens_full_width(page_factory, world):
    staff = seat_page(page_factory, world, "staff", viewport=PHONE, has_touch=True, is_mobile=True)
    widget, conversation = open_widget(page_factory, world, "手机上看看：发票怎么红冲？", path=enterprise_path(world))
    hand_off(world, conversation)
    staff.locator(f"[data-test=queue] [data-id='{conversation.id}']").wait_for()
    screenshot(staff, "seat-list-phone")
    assert staff.locator("[data-test=chat]").count() == 0
    staff.locator(f"[data-test=queue] [data-id='{conversation.id}']").get_by_role("button", name="接入").tap()
    chat = staff.locator("[data-test=chat]")
    chat.wait_for()
    assert not staff.locator("[data-test=mine]").is_visible()  # the conversation has the whole width
    box = chat.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] and box["width"] >= PHONE[0] - 48
    send = staff.locator("[data-test=send]").bounding_box()
    assert send["x"] + send["width"] <= PHONE[0] and send["height"] >= 32
    staff.fill("#seat-composer", "您好，请提供发票号码。")
    staff.locator("[data-test=send]").tap()
    widget.get_by_text("请提供发票号码。").first.wait_for()
    screenshot(staff, "seat-conversation-phone")
    staff.locator("[data-test=escalate]").tap()
    staff.locator(".el-dialog [data-test=presence-board]").wait_for()
    dialog = staff.locator(".el-dialog").bounding_box()
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= PHONE[0]
    staff.wait_for_timeout(500)  # the dialog's opening animation, for the screenshot
    screenshot(staff, "seat-escalate-phone")
    staff.get_by_role("button", name="取消").tap()
    staff.locator(".el-dialog [data-test=presence-board]").wait_for(state="detached")
    staff.locator("[data-test=open-picture]").tap()
    staff.locator(".el-drawer [data-test=key-facts]").get_by_text(world.extra["enterprise"][1]).wait_for()
    screenshot(staff, "seat-picture-phone")
    staff.get_by_role("button", name="关闭此对话框").tap()
    logout = staff.locator("#logout").bounding_box()
    assert logout and logout["x"] + logout["width"] <= PHONE[0]  # 退出 stays reachable
    staff.locator("[data-test=back]").tap()
    staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for()
    assert staff.locator("[data-test=chat]").count() == 0


def test_with_no_expert_online_the_seat_is_told_before_writing_the_note(page_factory, world):
    headers = staff_token(world, "staff")
    staff = seat_page(page_factory, world, "staff")
    for _ in range(100):  # the experts of earlier tests have closed their pages: wait until they are gone
        if httpx.get(world.url + "/api/seats/presence", headers=headers).json()["tiers"]["expert"]["online"] == 0:
            break
        staff.wait_for_timeout(200)
    widget, conversation = open_widget(page_factory, world, "跨省迁移的清税证明怎么开？")
    hand_off(world, conversation)
    claim_in_page(staff, conversation)

    staff.click("[data-test=escalate]")
    warning = staff.locator("[data-test=no-expert]")
    warning.wait_for()
    assert "没有在线的专家" in warning.inner_text() and "等待" in warning.inner_text()
    assert "在线 0 人" in staff.locator(".el-dialog [data-tier=expert]").inner_text()
    assert staff.input_value("[data-test=escalate-note]") == ""  # told before a word of the note is written
    staff.fill("[data-test=escalate-note]", "跨省迁移清税，请专家上线后处理")
    staff.click("[data-test=escalate-submit]")
    staff.locator(f"[data-test=mine] [data-id='{conversation.id}']").wait_for(state="detached")
    staff.locator(".el-message").filter(has_text="已转入专家队列").wait_for()
    widget.get_by_text("不在线").first.wait_for()  # the enterprise is told honestly that nobody is there yet
