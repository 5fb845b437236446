"""The reminders part of the chat widget in a real Chromium on the real API (tests/browser/conftest.py
`widget_api`: reminders and chat history written as the hub and the reminder jobs write them): reminder cards
(tag, title, reasons, answer buttons, the 有合理原因 explanation box, the read mark when a card has been on
screen), the 消息 list of a logged-in enterprise (badge, statuses, an item opened in full, jump to the message),
the credit-level and credit-repair cards, text-only rendering of hostile strings, and the layout at 375 px."""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from wire import feed, make_message, make_state, minutes_ago

from tests.appkit import vocab

DESKTOP = (1280, 800)
PHONE = (375, 812)
XSS = '<img src=x onerror=alert(1)>'


def screenshot(page, path) -> None:
    """Screenshot once every image (avatars) has loaded."""
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")
    page.screenshot(path=str(path))


def buttons_for(reminder_id: int, type_: str) -> list[dict]:
    """The quick replies the hub gives a reminder (api/reminder/service.py, buttons_for)."""
    intents = {
        "policy": (("怎么享受", "reminder_how"), ("已享受", "reminder_claimed"), ("不适用", "reminder_not_applicable")),
        "risk": (("已自查更正", "risk_corrected"), ("有合理原因", "risk_explain"), ("需要帮助", "request_human")),
        "credit": (("怎么修复", "reminder_how"), ("申请修复", "apply_credit_repair"), ("已纠正", "risk_corrected")),
    }[type_]
    return [{"title": title, "payload": f'/{intent}{{"reminder_id":"{reminder_id}"}}'} for title, intent in intents]


def reminder_message(message_id: int, reminder_id: int, type_: str = "policy", *, title: str = "", text: str = "",
                     reasons=(), **fields) -> dict:
    """A bot message carrying a reminder, as api/reminder/delivery.py puts it into the chat."""
    custom = {"kind": "reminder", "reminder_id": reminder_id, "type": type_, "topic": f"{type_}_topic",
              "rule": f"{type_}_rule", "title": title, "reasons": list(reasons)}
    return make_message(message_id, "bot", text, custom=custom, buttons=buttons_for(reminder_id, type_), **fields)


POLICY = reminder_message(
    21, 3, "policy", title="小型微利企业所得税优惠",
    text="贵企业上年度符合小型微利企业条件，可以享受企业所得税减按25%计入应纳税所得额、按20%税率缴纳的优惠。",
    reasons=["年应纳税所得额 120万元 ≤ 300万元", "从业人数 45人 ≤ 300人", "资产总额 800万元 ≤ 5000万元"],
)
RISK = reminder_message(
    22, 8, "risk", title="增值税申报销售额低于开票金额",
    text="2026年第3季度申报的销售额比同期开具发票的金额少12.5万元，请核实是否少报。",
    reasons=["申报销售额 15.5万元 < 开票金额 28万元"],
)
CREDIT = reminder_message(
    23, 9, "credit", title="纳税信用可修复",
    text="贵企业2026年3月因逾期申报被扣5分，已在规定期限内补正，可申请纳税信用修复。",
    reasons=["扣分原因：未按规定期限纳税申报", "已于 2026-03-20 补正申报"],
)


def fillers(start: int, count: int, minutes: float = 20) -> list[dict]:
    """Plain question/answer messages that push earlier cards out of view."""
    return [make_message(start + i, "user" if i % 2 == 0 else "bot", f"第{i + 1}条普通消息：这是一段用来占位的文字。",
                         created_at=minutes_ago(minutes - i * 0.1)) for i in range(count)]


def reminder_row(type_: str, title: str, message: str, **fields) -> dict:
    return {"type": type_, "title": title, "message": message, **fields}


def card_row(reminder_id: int, type_: str, title: str, text: str, minutes: float = 0, reasons=()) -> dict:
    """A reminder card as api/reminder/delivery.py posts it into the chat, for `widget_api.history`."""
    custom = {"kind": "reminder", "reminder_id": reminder_id, "type": type_, "topic": f"{type_}_topic",
              "rule": f"test-{type_}", "title": title, "reasons": list(reasons)}
    return {"sender": "bot", "text": text, "custom": custom, "buttons": buttons_for(reminder_id, type_),
            "minutes_ago": minutes}


def filler_rows(count: int, minutes: float = 20) -> list[dict]:
    return [{"sender": "user" if i % 2 == 0 else "bot", "text": f"第{i + 1}条普通消息：这是一段用来占位的文字。",
             "minutes_ago": minutes - i * 0.1} for i in range(count)]


def tokens(page) -> tuple[str, str]:
    """(visitor token, enterprise token) as the widget holds them."""
    return page.evaluate("() => [window.__taxWidget.state.visitorToken, window.__taxWidget.state.enterpriseToken]")


def in_view(page, selector: str) -> bool:
    """Whether the element's middle is inside the scrolling message area."""
    return page.evaluate("""selector => {
        const node = document.querySelector(selector);
        const box = node.getBoundingClientRect();
        const area = document.getElementById('messages').getBoundingClientRect();
        const middle = box.top + box.height / 2;
        return middle >= area.top && middle <= area.bottom;
    }""", selector)


def local_short(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")


def colour(page, selector: str, prop: str = "backgroundColor") -> tuple[int, int, int]:
    value = page.eval_on_selector(selector, f"n => getComputedStyle(n).{prop}")
    return tuple(int(x) for x in re.findall(r"\d+", value)[:3])


# ---------------------------------------------------------------- reminder cards

def test_reminder_cards_show_tag_title_text_reasons_and_buttons(open_widget, artefacts):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "hello", "identity": None, "conversation": make_state(), "messages": [
        make_message(20, "user", "我们公司能享受什么优惠？", created_at=minutes_ago(1)), POLICY, RISK, CREDIT]})

    card = page.locator('.msg[data-id="21"] .reminder-card')
    expect(card).to_have_attribute("data-reminder", "3")
    expect(card.locator(".reminder-tag")).to_have_text(vocab("reminder_type", "policy") or "办税提醒")
    expect(card.locator(".reminder-heading")).to_have_text("小型微利企业所得税优惠")
    assert int(page.eval_on_selector('.msg[data-id="21"] .reminder-heading', "n => getComputedStyle(n).fontWeight")) >= 600
    expect(card.locator(".reminder-text")).to_have_text(POLICY["text"])
    expect(card.locator(".reminder-reasons-title")).to_have_text("判断依据")
    expect(card.locator(".reminder-reasons li")).to_have_text(POLICY["custom"]["reasons"])
    expect(card.locator(".quick-replies button")).to_have_text(["怎么享受", "已享受", "不适用"])

    expect(page.locator('.msg[data-id="22"] .reminder-tag')).to_have_text(vocab("reminder_type", "risk") or "办税提醒")
    expect(page.locator('.msg[data-id="22"] .quick-replies button')).to_have_text(["已自查更正", "有合理原因", "需要帮助"])
    expect(page.locator('.msg[data-id="23"] .reminder-tag')).to_have_text(vocab("reminder_type", "credit") or "办税提醒")
    expect(page.locator('.msg[data-id="23"] .reminder-card')).to_have_attribute("data-reminder", "9")

    # Three types, three distinct colours for the tag and the card's edge.
    tags = {colour(page, f'.msg[data-id="{i}"] .reminder-tag') for i in (21, 22, 23)}
    edges = {colour(page, f'.msg[data-id="{i}"] .reminder-card', "borderLeftColor") for i in (21, 22, 23)}
    assert len(tags) == 3 and len(edges) == 3
    # The card is highlighted: not the plain white of a text bubble.
    assert colour(page, '.msg[data-id="21"] .reminder-card') != (255, 255, 255)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP[0]
    page.locator('.msg[data-id="21"]').scroll_into_view_if_needed()
    screenshot(page, artefacts / "widget-reminder-desktop.png")


def test_reminder_buttons_send_their_payload_and_stay_usable(open_widget):
    page, hub = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": POLICY})
    buttons = page.locator('.msg[data-id="21"] .reminder-card .quick-replies button')
    buttons.nth(0).click()
    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]
    assert frame == {"type": "message", "text": "怎么享受", "payload": '/reminder_how{"reminder_id":"3"}',
                     "client_id": frame["client_id"]}
    expect(buttons.nth(1)).to_be_enabled()
    buttons.nth(1).click()
    second = hub.wait_for(page, lambda: hub.messages_sent()[1:])[0]
    assert second["text"] == "已享受" and second["payload"] == '/reminder_claimed{"reminder_id":"3"}'


def test_reasonable_cause_asks_for_the_reason_first_and_sends_it_as_json(open_widget, artefacts):
    page, hub = open_widget(PHONE)
    feed(page, {"type": "message", "message": RISK})
    message = page.locator('.msg[data-id="22"]')
    expect(message.locator(".reminder-explain")).to_be_hidden()
    message.get_by_role("button", name="有合理原因").click()
    box = message.locator(".reminder-explain")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("placeholder", "请简要说明原因，例如：季节性停业")
    page.wait_for_timeout(200)
    assert hub.messages_sent() == []  # nothing goes out before a reason is given

    # The box sits under the card.
    card_box = message.locator(".reminder-card").bounding_box()
    assert box.bounding_box()["y"] >= card_box["y"] + card_box["height"] - 1

    submit = message.locator(".reminder-explain-submit")
    submit.click()
    expect(message.locator(".reminder-explain-error")).to_have_text("请填写原因")
    box.fill("   \n  ")
    submit.click()
    expect(message.locator(".reminder-explain-error")).to_have_text("请填写原因")
    box.fill("停" * 501)
    submit.click()
    expect(message.locator(".reminder-explain-error")).to_contain_text("不能超过500字")
    page.wait_for_timeout(200)
    assert hub.messages_sent() == []
    screenshot(page, artefacts / "widget-375-reminder-explain.png")

    # 取消 closes it; the button opens it again.
    message.get_by_role("button", name="取消").click()
    expect(box).to_be_hidden()
    message.get_by_role("button", name="有合理原因").click()
    expect(box).to_be_visible()
    expect(message.locator(".reminder-explain-error")).to_have_text("")

    reason = '三季度"季节性"停业\n仓库盘点'
    box.fill("  " + reason + "  \n")
    submit.click()
    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]
    assert frame["type"] == "message" and frame["client_id"]
    assert frame["text"] == "有合理原因：" + reason
    payload = frame["payload"]
    assert payload.startswith("/risk_explain{")
    body = payload[len("/risk_explain"):]
    assert "\n" not in body and '\\"季节性\\"' in body and "\\n" in body  # quotes and newlines escaped
    assert json.loads(body) == {"reminder_id": "8", "explanation": reason}
    expect(box).to_be_hidden()
    expect(page.locator('.msg[data-sender="user"] .bubble').last).to_have_text("有合理原因：" + reason)

    # Exactly 500 characters are accepted.
    message.get_by_role("button", name="有合理原因").click()
    box.fill("停" * 500)
    submit.click()
    second = hub.wait_for(page, lambda: hub.messages_sent()[1:])[0]
    assert json.loads(second["payload"][len("/risk_explain"):])["explanation"] == "停" * 500


def test_a_reminder_card_is_marked_read_once_when_it_has_been_on_screen(open_widget, widget_api):
    enterprise = widget_api.enterprise("已读标记测试商贸有限公司")
    first, _ = widget_api.reminders(enterprise, [
        reminder_row("policy", "研发费用加计扣除", "可享受研发费用加计扣除。", minutes_ago=30),
        reminder_row("risk", "申报异常", "请核实申报。", minutes_ago=40)])
    history = widget_api.history(enterprise, [card_row(first, "policy", "研发费用加计扣除", "可享受研发费用加计扣除。", 30)]  # noqa: RUF005
                                 + filler_rows(30))
    widget_api.link(first, history[0]["id"])
    card = f'.msg[data-id="{history[0]["id"]}"]'
    token = widget_api.token(enterprise.uscc, enterprise.name)
    page, hub = open_widget(DESKTOP, token=token)
    expect(page.locator("#reminders-badge")).to_have_text("2")
    assert not in_view(page, card)
    page.wait_for_timeout(400)
    assert hub.reminder_reads == []  # scrolled out of view: not read yet

    page.locator(card).scroll_into_view_if_needed()
    hub.wait_for(page, lambda: hub.reminder_reads)
    reminder_id, headers = hub.reminder_reads[0]
    assert reminder_id == first
    assert headers["authorization"] == f"Bearer {tokens(page)[0]}"
    assert headers["x-enterprise-token"] == token
    expect(page.locator("#reminders-badge")).to_have_text("1")
    assert widget_api.reminder(first).read_at is not None  # the hub recorded it

    # Away and back again, and the same reminder in another message: still one read mark.
    page.evaluate("() => { const m = document.getElementById('messages'); m.scrollTop = m.scrollHeight; }")
    page.wait_for_timeout(200)
    page.locator(card).scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    feed(page, {"type": "message", "message": reminder_message(10**8, first, "policy", title="研发费用加计扣除",
                                                                text="再次提醒。")})
    page.wait_for_timeout(500)
    assert [r for r, _ in hub.reminder_reads] == [first]


def test_a_card_on_screen_in_a_hidden_page_waits_until_the_page_is_visible(open_widget, widget_api):
    enterprise = widget_api.enterprise("页面隐藏测试商贸有限公司")
    [reminder] = widget_api.reminders(enterprise, [reminder_row("credit", "纳税信用可修复", "可申请修复。")])
    page, hub = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator("#reminders-badge")).to_have_text("1")
    page.evaluate("() => Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})")
    feed(page, {"type": "message", "message": reminder_message(10**8, reminder, "credit", title="纳税信用可修复",
                                                                text="可申请修复。")})
    expect(page.locator(f'.msg[data-id="{10**8}"] .reminder-card')).to_be_visible()
    page.wait_for_timeout(500)
    assert hub.reminder_reads == []
    page.evaluate("""() => {
        delete document.visibilityState;
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    hub.wait_for(page, lambda: hub.reminder_reads)
    assert [r for r, _ in hub.reminder_reads] == [reminder]


def test_a_card_the_list_already_shows_as_read_is_not_marked_again(open_widget, widget_api):
    enterprise = widget_api.enterprise("已读不重复测试商贸有限公司")
    [reminder] = widget_api.reminders(enterprise, [reminder_row("policy", "研发费用加计扣除", "可享受研发费用加计扣除。",
                                                                status="read", read=True)])
    [message] = widget_api.history(enterprise, [card_row(reminder, "policy", "研发费用加计扣除", "可享受研发费用加计扣除。")])
    widget_api.link(reminder, message["id"])
    page, hub = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator(f'.msg[data-id="{message["id"]}"] .reminder-card')).to_be_visible()
    hub.wait_for(page, lambda: hub.reminder_lists)
    page.wait_for_timeout(500)
    assert hub.reminder_reads == []
    expect(page.locator("#reminders-btn")).to_be_visible()
    expect(page.locator("#reminders-badge")).to_be_hidden()


# ---------------------------------------------------------------- the 消息 list

def test_messages_button_is_hidden_for_a_visitor(open_widget):
    page, hub = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": POLICY})
    page.wait_for_timeout(300)
    expect(page.locator("#reminders-btn")).to_be_hidden()
    expect(page.locator("#reminders-panel")).to_be_hidden()
    expect(page.locator('.msg[data-id="21"] .reminder-card')).to_be_visible()
    assert hub.reminder_lists == []  # a visitor has no list to ask for
    assert hub.reminder_reads == []  # nor reminders to mark read


def test_messages_button_shows_the_unread_count_for_an_enterprise(open_widget, widget_api, artefacts):
    enterprise = widget_api.enterprise("未读数测试商贸有限公司")
    ids = widget_api.reminders(enterprise, [
        reminder_row("policy", "小型微利企业所得税优惠", "可以享受优惠。", minutes_ago=300),
        reminder_row("risk", "申报异常", "请核实申报。", minutes_ago=200),
        reminder_row("credit", "纳税信用可修复", "可申请修复。", minutes_ago=100, read=True, status="read")])
    token = widget_api.token(enterprise.uscc, enterprise.name)
    page, hub = open_widget(DESKTOP, token=token)
    button = page.locator("#reminders-btn")
    expect(button).to_be_visible()
    expect(button).to_contain_text("消息")
    expect(page.locator("#reminders-badge")).to_have_text("2")
    assert hub.reminder_lists[0]["authorization"] == f"Bearer {tokens(page)[0]}"
    assert hub.reminder_lists[0]["x-enterprise-token"] == token
    # The button sits at the right of the header.
    header = page.locator("#header").bounding_box()
    box = button.bounding_box()
    assert box["x"] + box["width"] > header["x"] + header["width"] - 60

    # On a desktop the list is a side panel at the right, the full height of the window.
    button.click()
    panel = page.locator("#reminders-panel")
    expect(panel).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(panel.locator(".reminder-item")).to_have_count(3)
    app = page.locator("#app").bounding_box()
    side = panel.bounding_box()
    assert abs(side["x"] + side["width"] - (app["x"] + app["width"])) < 1
    assert side["width"] <= 400 and side["height"] >= DESKTOP[1] - 1
    screenshot(page, artefacts / "widget-reminders-desktop.png")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # Read elsewhere (another tab): opening the list again shows no badge.
    widget_api.mark_read(ids)
    page.locator("#reminders-btn").click()
    expect(page.locator("#reminders-badge")).to_be_hidden()


def test_the_list_shows_statuses_newest_first_and_an_item_opens_its_message(open_widget, widget_api, artefacts):
    enterprise = widget_api.enterprise("消息列表测试商贸有限公司")
    answered, unread, closed, read = widget_api.reminders(enterprise, [
        reminder_row("policy", "小型微利企业所得税优惠", "贵企业符合小型微利企业条件，可享受优惠。", status="answered",
                     read=True, answer="how", minutes_ago=180),
        reminder_row("risk", "增值税申报销售额低于开票金额", "申报的销售额比开票金额少12.5万元，请核实。", minutes_ago=5),
        reminder_row("credit", "纳税信用可修复", "可申请纳税信用修复。", status="closed", read=True, answer="apply",
                     minutes_ago=600),
        reminder_row("policy", "研发费用加计扣除", "可享受研发费用加计扣除。", status="read", read=True, minutes_ago=60)])
    history = widget_api.history(enterprise, [card_row(unread, "risk", "增值税申报销售额低于开票金额",  # noqa: RUF005
                                                       "申报的销售额比开票金额少12.5万元，请核实。", 30,
                                                       ["申报 15.5万元 < 开票 28万元"])] + filler_rows(30))
    widget_api.link(unread, history[0]["id"])
    card = f'.msg[data-id="{history[0]["id"]}"]'
    page, hub = open_widget(PHONE, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator("#reminders-badge")).to_have_text("1")
    assert not in_view(page, card)
    page.locator("#reminders-btn").click()
    panel = page.locator("#reminders-panel")
    expect(panel).to_be_visible()
    items = panel.locator(".reminder-item")
    expect(items).to_have_count(4)
    assert items.evaluate_all("nodes => nodes.map(n => n.dataset.id)") == [str(i) for i in (unread, read, answered, closed)]

    def settled(status, answer):
        name, said = vocab("reminder_status", status), vocab("reminder_answer", answer)
        return name + ("：" + said if said else "")

    expect(items.locator(".reminder-status")).to_have_text(
        ["未读", vocab("reminder_status", "read"), settled("answered", "how"), settled("closed", "apply")])
    expect(items.locator(".reminder-tag")).to_have_text(
        [vocab("reminder_type", t) or "办税提醒" for t in ("risk", "policy", "policy", "credit")])
    expect(items.locator(".reminder-item-title")).to_have_text(
        ["增值税申报销售额低于开票金额", "研发费用加计扣除", "小型微利企业所得税优惠", "纳税信用可修复"])
    expect(items.first.locator(".reminder-item-text")).to_have_text("申报的销售额比开票金额少12.5万元，请核实。")
    times = items.locator(".reminder-item-time").all_inner_texts()
    assert all(re.fullmatch(r"\d\d-\d\d \d\d:\d\d", t) for t in times) and len(times) == 4

    # A sheet over the chat on a phone: the full width, from the bottom, and no sideways scrolling.
    sheet = panel.bounding_box()
    assert sheet["x"] == 0 and sheet["width"] == PHONE[0]
    assert abs(sheet["y"] + sheet["height"] - PHONE[1]) < 1 and sheet["y"] > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert page.evaluate("document.body.scrollWidth") <= PHONE[0]
    assert page.evaluate("() => { const l = document.getElementById('reminders-list'); return l.scrollWidth <= l.clientWidth; }")
    screenshot(page, artefacts / "widget-reminders-375.png")

    items.first.click()  # opens the reminder in the panel; 在聊天中查看 leads to its message
    hub.wait_for(page, lambda: hub.reminder_reads)
    expect(panel.locator("#reminder-detail .reminder-text")).to_have_text("申报的销售额比开票金额少12.5万元，请核实。")
    expect(panel.locator("#reminder-detail .reminder-actions button")).to_have_text(["已自查更正", "有合理原因", "需要帮助"])
    panel.locator(".reminder-jump").click()
    expect(panel).to_be_hidden()
    expect(page.locator("#reminders-badge")).to_be_hidden()
    message = page.locator(card)
    expect(message).to_have_class(re.compile(r"\bflash\b"))
    assert in_view(page, card)
    expect(message).not_to_have_class(re.compile(r"\bflash\b"), timeout=4000)  # the highlight is brief
    page.wait_for_timeout(300)
    assert [r for r, _ in hub.reminder_reads] == [unread]  # the card coming into view does not mark it again

    # A settled item with no message in the chat: no read mark again; it opens without answer buttons.
    page.locator("#reminders-btn").click()
    expect(panel.locator(".reminder-item").first.locator(".reminder-status")).to_have_text(vocab("reminder_status", "read"))
    panel.locator(f'.reminder-item[data-id="{closed}"]').click()
    expect(panel.locator("#reminder-detail .reminder-heading")).to_have_text("纳税信用可修复")
    expect(panel.locator("#reminder-detail .reminder-actions")).to_have_count(0)
    expect(panel.locator("#reminder-detail .reminder-jump")).to_have_count(0)
    page.click("#reminder-back")
    expect(panel.locator(".reminder-item")).to_have_count(4)
    page.wait_for_timeout(300)
    assert [r for r, _ in hub.reminder_reads] == [unread]


def test_the_list_refreshes_when_a_reminder_arrives_and_after_a_reconnect(open_widget, widget_api):
    enterprise = widget_api.enterprise("列表刷新测试商贸有限公司")
    [first] = widget_api.reminders(enterprise, [reminder_row("policy", "小型微利企业所得税优惠", "可以享受优惠。",  # noqa: RUF059
                                                             minutes_ago=60)])
    page, hub = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator("#reminders-badge")).to_have_text("1")
    lists = len(hub.reminder_lists)
    [second] = widget_api.reminders(enterprise, [reminder_row("risk", "申报异常", "请核实申报。")])
    feed(page, {"type": "message", "message": reminder_message(10**8, second, "risk", title="申报异常", text="请核实申报。")})
    hub.wait_for(page, lambda: len(hub.reminder_lists) == lists + 1)  # (the card on screen is read at once)
    page.locator("#reminders-btn").click()
    expect(page.locator("#reminders-panel .reminder-item")).to_have_count(2)
    expect(page.locator("#reminders-panel .reminder-item").first).to_have_attribute("data-id", str(second))
    page.locator("#reminders-close").click()

    lists = len(hub.reminder_lists)
    widget_api.reminders(enterprise, [reminder_row("credit", "纳税信用可修复", "可申请修复。")])
    hub.drop_connection()
    page.wait_for_function("() => document.body.dataset.connected === '0'")
    page.wait_for_function("() => document.body.dataset.connected === '1'", timeout=10000)
    hub.wait_for(page, lambda: len(hub.reminder_lists) > lists)
    expect(page.locator("#reminders-badge")).to_have_text("2")  # the first and the new one are unread
    page.locator("#reminders-btn").click()
    expect(page.locator("#reminders-panel .reminder-item")).to_have_count(3)


# ---------------------------------------------------------------- credit and repair cards

def test_credit_cards_for_levels_b_and_d(open_widget, artefacts):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": make_message(40, "user", "查一下我们的纳税信用等级", created_at=minutes_ago(2))})
    feed(page, {"type": "message", "message": make_message(41, "bot", "贵企业2025年度纳税信用等级为B级。", custom={
        "kind": "credit", "level": "B", "year": 2025, "score": 86, "deductions": [
            {"reason": "未按规定期限办理纳税申报", "points": 5, "date": "2025-04-18", "repairable": True, "corrected": False},
            {"reason": "未按规定期限报送财务会计报表", "points": 3, "date": "2025-07-20", "repairable": False,
             "corrected": True},
        ]})})
    feed(page, {"type": "message", "message": make_message(42, "bot", "贵企业2025年度纳税信用等级为D级。", custom={
        "kind": "credit", "level": "D", "year": 2025, "deductions": []})})

    b = page.locator('.msg[data-id="41"]')
    expect(b.locator(".bubble").first).to_have_text("贵企业2025年度纳税信用等级为B级。")
    card = b.locator(".credit-card")
    expect(card.locator(".credit-level")).to_have_text("B")
    expect(card.locator(".credit-year")).to_have_text("2025年度纳税信用等级")
    expect(card.locator(".credit-score")).to_contain_text("86")
    rows = card.locator(".deduction")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".deduction-reason")).to_have_text("未按规定期限办理纳税申报")
    expect(rows.nth(0).locator(".deduction-points")).to_have_text("−5 分")
    expect(rows.nth(0).locator(".deduction-date")).to_have_text("2025-04-18")
    expect(rows.nth(0).locator(".tag")).to_have_text(["可修复"])
    expect(rows.nth(1).locator(".deduction-points")).to_have_text("−3 分")
    expect(rows.nth(1).locator(".tag")).to_have_text(["已纠正"])
    expect(card.locator(".credit-empty")).to_have_count(0)

    d = page.locator('.msg[data-id="42"] .credit-card')
    expect(d.locator(".credit-level")).to_have_text("D")
    expect(d.locator(".credit-score")).to_have_count(0)  # no score given: none shown
    expect(d.locator(".deduction")).to_have_count(0)
    expect(d.locator(".credit-empty")).to_have_text("暂无扣分记录")

    level_b = colour(page, '.msg[data-id="41"] .credit-level')
    level_d = colour(page, '.msg[data-id="42"] .credit-level')
    assert level_b != level_d
    assert level_d[0] > 180 and level_d[1] < 100  # D is red
    assert int(page.eval_on_selector('.msg[data-id="41"] .credit-level', "n => parseFloat(getComputedStyle(n).fontSize)")) >= 28
    screenshot(page, artefacts / "widget-credit-card.png")


def test_credit_card_for_level_a_without_deductions_and_b_with_a_score_of_none(open_widget):
    page, _ = open_widget(PHONE)
    feed(page, {"type": "message", "message": make_message(43, "bot", "贵企业2025年度纳税信用等级为A级。", custom={
        "kind": "credit", "level": "A", "year": 2025, "score": 95, "deductions": []})})
    feed(page, {"type": "message", "message": make_message(44, "bot", "贵企业纳税信用等级为B级。", custom={
        "kind": "credit", "level": "B", "year": 2025, "score": None,
        "deductions": [{"reason": "逾期申报", "points": 1, "date": "2025-01-16", "repairable": False, "corrected": False}]})})
    expect(page.locator('.msg[data-id="43"] .credit-empty')).to_have_text("暂无扣分记录")
    level_a = colour(page, '.msg[data-id="43"] .credit-level')
    assert level_a[1] > level_a[0]  # A is green
    expect(page.locator('.msg[data-id="44"] .credit-score')).to_have_count(0)
    expect(page.locator('.msg[data-id="44"] .deduction .tag')).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]


def test_repair_application_card(open_widget):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": make_message(45, "bot", "已为您提交纳税信用修复申请。", custom={
        "kind": "reminder_answer", "reminder_id": 9, "answer": "apply", "repairs": [
            {"id": 12, "status": "received", "received_at": "2026-11-23T08:00:00+00:00", "due_date": "2026-11-30"}]})})
    card = page.locator('.msg[data-id="45"] .repair-card')
    expect(card).to_have_count(1)
    expect(card).to_contain_text("信用修复申请已受理")
    expect(card.locator(".repair-no")).to_have_text("XF-12")
    expect(card.locator(".repair-due")).to_have_text("2026-11-30")
    expect(card).to_contain_text("申请编号")
    expect(card).to_contain_text("办结期限")

    feed(page, {"type": "message", "message": make_message(46, "bot", "已为您提交纳税信用修复申请。", custom={
        "kind": "reminder_answer", "reminder_id": 9, "answer": "apply", "repairs": [
            {"id": 13, "status": "received", "received_at": "2026-11-23T08:00:00+00:00", "due_date": None}]})})
    expect(page.locator('.msg[data-id="46"] .repair-due')).to_have_text("以通知为准")
    feed(page, {"type": "message", "message": make_message(47, "bot", "感谢您的反馈，已为您记录。", custom={
        "kind": "reminder_answer", "reminder_id": 3, "answer": "claimed", "repairs": []})})
    expect(page.locator('.msg[data-id="47"] .bubble')).to_have_text("感谢您的反馈，已为您记录。")
    expect(page.locator('.msg[data-id="47"] .repair-card')).to_have_count(0)


# ---------------------------------------------------------------- text only, never markup

def test_hostile_strings_in_reminders_and_credit_cards_show_as_text(open_widget, widget_api):
    enterprise = widget_api.enterprise("恶意字符测试商贸有限公司")
    [hostile] = widget_api.reminders(enterprise, [reminder_row("risk", XSS, "正文" + XSS, minutes_ago=5,
                                                               reasons=["依据" + XSS])])
    page, hub = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))  # noqa: RUF059
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    feed(page, {"type": "message", "message": reminder_message(70, hostile, "risk", title=XSS, text="正文" + XSS,
                                                                reasons=["依据" + XSS])})
    feed(page, {"type": "message", "message": make_message(71, "bot", "信用" + XSS, custom={
        "kind": "credit", "level": "C", "year": 2025, "score": 60, "deductions": [
            {"reason": XSS, "points": 11, "date": XSS, "repairable": True, "corrected": False}]})})
    feed(page, {"type": "message", "message": make_message(72, "bot", "已受理", custom={
        "kind": "reminder_answer", "repairs": [{"id": XSS, "status": "received", "due_date": XSS}]})})

    card = page.locator('.msg[data-id="70"] .reminder-card')
    expect(card.locator(".reminder-heading")).to_have_text(XSS)
    expect(card.locator(".reminder-text")).to_have_text("正文" + XSS)
    expect(card.locator(".reminder-reasons li")).to_have_text(["依据" + XSS])
    expect(page.locator('.msg[data-id="71"] .deduction-reason')).to_have_text(XSS)
    expect(page.locator('.msg[data-id="71"] .bubble').first).to_have_text("信用" + XSS)
    expect(page.locator('.msg[data-id="72"] .repair-no')).to_have_text("XF-" + XSS)

    page.locator("#reminders-btn").click()
    item = page.locator(f'#reminders-panel .reminder-item[data-id="{hostile}"]')
    expect(item.locator(".reminder-item-title")).to_have_text(XSS)
    expect(item.locator(".reminder-item-text")).to_have_text("正文" + XSS)
    item.click()  # opened in full: still text
    expect(page.locator("#reminder-detail .reminder-heading")).to_have_text(XSS)
    expect(page.locator("#reminder-detail .reminder-reasons li")).to_have_text(["依据" + XSS])

    page.wait_for_timeout(300)
    assert dialogs == []
    # The only images in the messages are the avatars.
    assert page.eval_on_selector_all("#messages .msg img:not(.avatar), #reminders-panel img", "nodes => nodes.length") == 0


def test_a_reason_typed_in_an_opened_reminder_survives_a_list_refresh_and_is_sent(open_widget, widget_api):
    enterprise = widget_api.enterprise("说明原因测试商贸有限公司")
    risk, other = widget_api.reminders(enterprise, [
        reminder_row("risk", "增值税申报销售额低于开票金额", "申报的销售额比开票金额少12.5万元，请核实。", minutes_ago=10),
        reminder_row("policy", "研发费用加计扣除", "可享受研发费用加计扣除。", minutes_ago=20)])
    page, hub = open_widget(PHONE, token=widget_api.token(enterprise.uscc, enterprise.name))
    page.locator("#reminders-btn").click()
    page.locator(f'#reminders-list .reminder-item[data-id="{risk}"]').click()
    detail = page.locator("#reminder-detail")
    detail.get_by_role("button", name="有合理原因").click()
    detail.locator(".reminder-explain").fill("三季度季节性停业")
    lists = len(hub.reminder_lists)
    feed(page, {"type": "message", "message": reminder_message(10**8, other, "policy", title="研发费用加计扣除",
                                                                text="可享受研发费用加计扣除。")})
    hub.wait_for(page, lambda: len(hub.reminder_lists) > lists)  # the list was fetched again behind it
    page.wait_for_timeout(300)
    expect(detail.locator(".reminder-explain")).to_have_value("三季度季节性停业")
    detail.locator(".reminder-explain-submit").click()
    expect(page.locator("#reminders-panel")).to_be_hidden()  # the answer goes to the chat, where the reply comes
    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]
    assert frame["text"] == "有合理原因：三季度季节性停业"
    assert json.loads(frame["payload"][len("/risk_explain"):]) == {"reminder_id": str(risk),
                                                                    "explanation": "三季度季节性停业"}
