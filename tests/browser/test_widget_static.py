"""The chat widget in a real Chromium on the real API (tests/browser/conftest.py `widget_api`): pages and headers,
layout at desktop and 375 px, rendering of every message kind (shapes the hub sends, handed to the widget through
its `window.__taxWidget` hook), the connection protocol as the hub really answers it (wire.py records both
sides), and the one-line embed script."""
from __future__ import annotations

import re
import struct
import zlib
from html.parser import HTMLParser

import httpx
import pytest
from playwright.sync_api import expect
from wire import Wire, feed, make_message, make_state, minutes_ago

from api.web.router import STATIC_DIR
from tests.appkit import vocab

DESKTOP = (1280, 800)
PHONE = (375, 812)

ANSWER = make_message(
    5,
    "bot",
    "小规模纳税人月销售额未超过10万元（季度30万元）的，免征增值税。\n季度销售额28万元未超过30万元，可以享受免税。",
    custom={
        "kind": "answer",
        "topic": "vat_small_scale_exemption",
        "entry": "vat-small-001",
        "sources": [
            {"title": "关于增值税小规模纳税人减免增值税政策的公告", "doc_no": "财政部 税务总局公告2023年第19号"},
            {"title": "关于增值税小规模纳税人减免增值税等政策有关征管事项的公告", "doc_no": "国家税务总局公告2023年第1号"},
        ],
        "valid_until": "2027-12-31",
    },
)
CLARIFY = make_message(
    6,
    "bot",
    "您想了解的是哪一项？",
    custom={"kind": "clarify", "options": [{"topic": "a", "title": "增值税免税"}, {"topic": "b", "title": "个税汇算"}]},
    buttons=[{"title": "增值税免税", "payload": "/choose_topic{\"topic\": \"a\"}"},
             {"title": "个税汇算", "payload": "/choose_topic{\"topic\": \"b\"}"}],
)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small one-colour PNG, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def screenshot(page, path) -> None:
    """Screenshot once every image (avatars, thumbnails) has loaded."""
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")
    page.screenshot(path=str(path))


def message_ids(page) -> list[str]:
    return page.eval_on_selector_all("#messages .msg[data-id]", "nodes => nodes.map(n => n.dataset.id)")


# ---------------------------------------------------------------- pages and headers

class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names or any(name.startswith("on") for name in names):
            self.problems.append(f"inline style/handler on <{tag}>")


def test_pages_carry_csp_and_no_cache_and_static_files_are_served(web_server):
    page = httpx.get(web_server + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    csp = page.headers["content-security-policy"]
    for directive in ("default-src 'self'", "connect-src 'self' ws: wss:", "img-src 'self' data: blob:",
                      "style-src 'self'", "script-src 'self'"):
        assert directive in csp

    embed = httpx.get(web_server + "/embed.js")
    assert embed.status_code == 200 and "javascript" in embed.headers["content-type"]
    for name in ("widget.css", "widget.js", "avatars/bot.svg", "avatars/staff.svg", "avatars/expert.svg", "avatars/user.svg"):
        assert httpx.get(f"{web_server}/static/{name}").status_code == 200, name
    assert httpx.get(web_server + "/static/avatars/user.svg").headers["content-type"].startswith("image/svg+xml")
    # No way out of the static folder.
    assert httpx.get(web_server + "/static/%2e%2e/router.py").status_code == 404
    console = httpx.get(web_server + "/console")  # the former console's address serves the staff app
    assert console.status_code == 200 and 'src="/static/app/assets/' in console.text


def test_widget_html_has_no_inline_script_or_style_and_js_never_uses_innerhtml():
    finder = _InlineFinder()
    finder.feed((STATIC_DIR / "widget.html").read_text(encoding="utf-8"))
    assert finder.problems == []
    for name in ("widget.js", "embed.js"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # the header comment names innerHTML
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "document.write" not in code, name


# ---------------------------------------------------------------- layout

def test_widget_renders_on_desktop(open_widget, artefacts):
    page, hub = open_widget(DESKTOP)
    assert page.title() == "小微企业智能办税助手"
    expect(page.locator("#title")).to_have_text("小微企业智能办税助手")
    expect(page.locator("#mode")).to_have_text(vocab("sender", "bot"))
    expect(page.locator("#input")).to_be_visible()
    expect(page.locator("#handoff-btn")).to_have_text("转人工")
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator("#conn-banner")).to_be_hidden()
    assert hub.session_requests == [{}]  # a first visit asks for a visitor token
    hub.wait_for(page, lambda: hub.auths)
    token = page.evaluate("localStorage.getItem('taxWidget.visitorToken')")
    assert token and hub.auths[0] == {"type": "auth", "visitor_token": token}  # the token in the first frame
    assert "?" not in hub.socket_urls[0]  # never in the URL
    hub.wait_for(page, hub.hello)
    assert hub.hello()["identity"]["kind"] == "visitor"
    screenshot(page, artefacts / "widget-desktop-empty.png")


def test_widget_renders_at_375px_without_horizontal_scroll(open_widget, artefacts, web_server):
    page, _ = open_widget(PHONE)
    response = page.request.get(web_server + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#input")).to_be_visible()
    expect(page.locator("#handoff-btn")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    bar = page.locator("#input-bar").bounding_box()
    assert abs(bar["y"] + bar["height"] - 812) < 1  # the input bar sits at the bottom
    screenshot(page, artefacts / "widget-375-empty.png")


def test_long_messages_wrap_at_375px_and_bubbles_stay_within_75_percent(open_widget, artefacts):
    page, _ = open_widget(PHONE)
    feed(page, {"type": "message", "message": make_message(1, "user", "https://example.invalid/" + "a" * 300, created_at=minutes_ago(3))})
    feed(page, {"type": "message", "message": ANSWER})
    feed(page, {"type": "message", "message": CLARIFY})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.getElementById('messages').scrollWidth <= document.getElementById('messages').clientWidth")
    widths = page.eval_on_selector_all(".msg .body", "nodes => nodes.map(n => n.getBoundingClientRect().width)")
    assert widths and max(widths) <= 0.76 * 375
    screenshot(page, artefacts / "widget-375-conversation.png")


# ---------------------------------------------------------------- rendering (test hook)

def test_answer_card_shows_text_sources_validity_and_records_feedback(open_widget, widget_api, artefacts):
    enterprise = widget_api.enterprise("答复卡片测试商贸有限公司")
    _, answer = widget_api.history(enterprise, [
        {"sender": "user", "text": "小规模纳税人季度销售额28万要交增值税吗", "minutes_ago": 1},
        {"sender": "bot", "text": ANSWER["text"], "custom": ANSWER["custom"]}])
    page, _ = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))
    requests = []
    page.on("request", lambda request: requests.append(request) if request.url.endswith("/feedback") else None)
    card = page.locator(f'.msg[data-id="{answer["id"]}"]')
    expect(card).to_have_attribute("data-kind", "answer")
    expect(card).to_have_attribute("data-sender", "bot")
    expect(card.locator(".answer-card .answer-text")).to_have_text(ANSWER["text"])
    sources = card.locator(".sources")
    expect(sources).to_contain_text("依据")
    expect(sources).to_contain_text("关于增值税小规模纳税人减免增值税政策的公告")
    expect(sources).to_contain_text("财政部 税务总局公告2023年第19号")
    expect(sources).to_contain_text("有效期至 2027-12-31")
    expect(card.locator(".sender")).to_contain_text("智能助手")

    with page.expect_response(lambda r: r.url.endswith(f"/messages/{answer['id']}/feedback")) as stored:
        card.locator(".feedback-useful").click()
    assert stored.value.ok and stored.value.json()["feedback"] == "useful"  # the hub kept it
    expect(card.locator(".feedback-useful")).to_have_class(re.compile(r"\bchosen\b"))
    expect(card.locator(".feedback-useless")).not_to_have_class(re.compile(r"\bchosen\b"))
    assert requests[0].method == "POST" and requests[0].post_data_json == {"value": "useful"}
    token = page.evaluate("localStorage.getItem('taxWidget.visitorToken')")
    assert requests[0].headers["authorization"] == f"Bearer {token}"
    page.reload()  # the choice is the hub's, not the page's
    expect(page.locator(f'.msg[data-id="{answer["id"]}"] .feedback-useful')).to_have_class(re.compile(r"\bchosen\b"))
    screenshot(page, artefacts / "widget-desktop-answer.png")


def test_answer_without_end_date_is_shown_as_long_term(open_widget):
    page, _ = open_widget(DESKTOP)
    answer = {**ANSWER, "id": 9, "custom": {**ANSWER["custom"], "valid_until": None}}
    feed(page, {"type": "message", "message": answer})
    expect(page.locator('.msg[data-id="9"] .sources')).to_contain_text("长期有效")


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_message_text_is_shown_literally_and_never_runs(open_widget, payload):
    page, hub = open_widget(DESKTOP)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    feed(page, {"type": "message", "message": make_message(11, "staff", payload, sender_name=payload)})
    page.locator("#input").fill(payload)
    page.locator("#input").press("Enter")
    hub.wait_for(page, lambda: hub.messages_sent())
    expect(page.locator('#messages .msg[data-sender="user"]')).to_have_count(1)
    expect(page.locator('.msg[data-id="11"] .bubble')).to_have_text(payload)
    expect(page.locator('.msg[data-id="11"] .sender-name')).to_have_text(payload)
    expect(page.locator('#messages .msg[data-sender="user"] .bubble')).to_have_text(payload)
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("#messages script").count() == 0
    assert page.locator('#messages img[src="x"]').count() == 0
    assert hub.messages_sent()[0]["text"] == payload


def test_attachment_links_only_accept_site_paths(open_widget):
    page, _ = open_widget(DESKTOP)
    attachment = {"id": 1, "filename": "<b>x</b>.pdf", "content_type": "application/pdf", "size": 10,
                  "url": "javascript:alert(1)"}
    feed(page, {"type": "message", "message": make_message(12, "staff", "", attachment=attachment)})
    card = page.locator('.msg[data-id="12"] a.file-card')
    expect(card).to_have_attribute("href", "#")
    expect(card.locator(".file-name")).to_have_text("<b>x</b>.pdf")


def test_clarify_buttons_send_title_and_payload_and_stay_clickable(open_widget):
    page, hub = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": CLARIFY})
    message = page.locator('.msg[data-id="6"]')
    expect(message).to_have_attribute("data-kind", "clarify")
    buttons = message.locator(".quick-replies button")
    expect(buttons).to_have_text(["增值税免税", "个税汇算"])
    buttons.nth(1).click()
    sent = hub.wait_for(page, lambda: hub.messages_sent())
    assert sent[0]["text"] == "个税汇算"
    assert sent[0]["payload"] == CLARIFY["buttons"][1]["payload"]
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[0]["client_id"])
    expect(buttons.nth(0)).to_be_enabled()
    buttons.nth(0).click()
    hub.wait_for(page, lambda: len(hub.messages_sent()) == 2)
    assert hub.messages_sent()[1]["text"] == "增值税免税"


def test_closed_state_with_can_rate_shows_a_rating_card_that_posts_the_score(open_widget, widget_api, artefacts):
    enterprise = widget_api.enterprise("满意度评价测试商贸有限公司")
    widget_api.history(enterprise, [{"sender": "user", "text": "发票开错了怎么办", "minutes_ago": 3},
                                    {"sender": "system", "text": "本次服务已结束", "minutes_ago": 1}])
    conversation = widget_api.close_after_a_person(enterprise)
    page, hub = open_widget(PHONE, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator("#mode")).to_have_attribute("data-mode", "closed")  # the hub's own state says so
    expect(page.locator("#mode")).to_have_text(vocab("conversation_mode", "closed"))
    card = page.locator(".rating-card")
    expect(card).to_be_visible()
    expect(page.locator("#rating-submit")).to_be_disabled()
    card.locator('.star[data-score="4"]').click()
    expect(card.locator(".star.on")).to_have_count(4)
    page.locator("#rating-comment").fill("回复很及时")
    screenshot(page, artefacts / "widget-375-rating.png")
    with page.expect_response(f"**/api/widget/conversations/{conversation}/rating") as rated:
        page.locator("#rating-submit").click()
    assert rated.value.ok and rated.value.json()["rating"] == 4 and rated.value.request.post_data_json == {
        "score": 4, "comment": "回复很及时"}
    expect(card).to_contain_text("感谢您的评价")
    # After a reload the hub no longer asks: it was recorded.
    page.reload()
    page.wait_for_function("() => document.body.dataset.connected === '1'")
    hub.wait_for(page, lambda: len([e for e in hub.received if e.get("type") == "hello"]) == 2)
    page.wait_for_timeout(300)
    expect(page.locator(".rating-card")).to_have_count(0)


def test_header_follows_the_mode_and_seat_messages_show_name_and_badge(open_widget):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "state", "conversation": make_state("queued", tier="staff", position=2, expected_wait_seconds=240)})
    expect(page.locator("#mode")).to_have_text((vocab("conversation_mode", "queued") + " 第2位 预计等待4分钟").strip())
    expect(page.locator("#handoff-btn")).to_be_disabled()
    seat = {"name": "王芳", "role": "staff", "badge": "税务干部"}
    feed(page, {"type": "state", "conversation": make_state("human", tier="staff", seat=seat)})
    expect(page.locator("#mode")).to_have_text("税务干部 王芳 正在为您服务")
    feed(page, {"type": "message", "message": make_message(30, "staff", "您好，我是王芳。")})
    feed(page, {"type": "message", "message": make_message(31, "expert", "我是税务专家李明。")})
    expect(page.locator('.msg[data-id="30"] .sender')).to_have_text("王芳" + vocab("sender", "staff"))
    expect(page.locator('.msg[data-id="30"] .sender-name')).to_have_text("王芳")
    if vocab("sender", "staff"):
        expect(page.locator('.msg[data-id="30"] .badge')).to_have_text(vocab("sender", "staff"))
        expect(page.locator('.msg[data-id="31"] .badge')).to_have_text(vocab("sender", "expert"))
    expect(page.locator('.msg[data-id="30"] img.avatar')).to_have_attribute("src", "/static/avatars/staff.svg")


def test_time_separators_appear_only_after_a_five_minute_gap(open_widget):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "hello", "identity": None, "conversation": make_state(), "messages": [
        make_message(1, "user", "第一问", created_at=minutes_ago(30)),
        make_message(2, "bot", "第一答", created_at=minutes_ago(29)),
        make_message(3, "user", "第二问", created_at=minutes_ago(10)),
        make_message(4, "bot", "第二答", created_at=minutes_ago(9.5)),
    ]})
    expect(page.locator("#messages .time-sep")).to_have_count(2)
    assert re.fullmatch(r"\d\d:\d\d|昨天 \d\d:\d\d", page.locator("#messages .time-sep").first.inner_text())
    expect(page.locator("#messages .line.system")).to_have_count(0)


def test_system_messages_are_centred_and_errors_show_as_grey_lines(open_widget):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": make_message(40, "system", "已为您转接人工服务")})
    expect(page.locator('.msg[data-id="40"].system')).to_have_text("已为您转接人工服务")
    feed(page, {"type": "error", "code": "bot_unavailable", "text": "智能助手暂时无法回复，请稍后再试"})
    expect(page.locator("#messages .line.system.local")).to_have_text("智能助手暂时无法回复，请稍后再试")


def test_petition_and_reminder_cards(open_widget):
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "message", "message": make_message(50, "bot", "您的诉求已登记。", custom={
        "kind": "petition_created", "ticket": "SQ-20261123-0001", "category": "纳税服务类",
        "received_at": "2026-11-23T08:00:00+00:00", "due_date": "2026-11-30"})})
    card = page.locator('.msg[data-id="50"] .petition-card')
    expect(card).to_contain_text("SQ-20261123-0001")
    expect(card).to_contain_text("2026-11-30")
    feed(page, {"type": "message", "message": make_message(51, "bot", "本月15日前请完成增值税申报。", custom={
        "kind": "reminder", "reminder_id": 3, "type": "policy", "topic": "vat_filing"},
        buttons=[{"title": "查看详情", "payload": "/reminder_detail"}])})
    reminder = page.locator('.msg[data-id="51"]')
    expect(reminder).to_have_attribute("data-kind", "reminder")
    expect(reminder.locator(".reminder-card")).to_contain_text("本月15日前请完成增值税申报。")
    expect(reminder.locator(".quick-replies button")).to_have_text(["查看详情"])


def test_offline_handoff_offers_a_leave_message_form(open_widget, artefacts):
    page, _ = open_widget(PHONE)
    posted = []
    page.on("request", lambda r: posted.append(r.post_data_json) if r.url.endswith("/api/widget/leave-message") else None)
    feed(page, {"type": "message", "message": make_message(60, "user", "发票开错了怎么作废", created_at=minutes_ago(1))})
    feed(page, {"type": "message", "message": make_message(61, "bot", "现在是非工作时间，人工服务暂不在线。", custom={
        "kind": "handoff", "tier": "staff", "status": "offline", "position": None})})
    card = page.locator(".leave-message-card")
    expect(card).to_be_visible()
    expect(card.locator('textarea[name="content"]')).to_have_value("发票开错了怎么作废")
    card.locator('input[name="taxpayer_name"]').fill("某某商贸有限公司")
    card.locator('input[name="contact_phone"]').fill("12366")
    card.locator('button[type="submit"]').click()
    expect(card).to_contain_text("请填写正确的手机号")
    assert posted == []
    screenshot(page, artefacts / "widget-375-leave-message.png")
    card.locator('input[name="contact_phone"]').fill("0755-23456789")
    with page.expect_response("**/api/widget/leave-message") as registered:
        card.locator('button[type="submit"]').click()
    body = registered.value.json()
    assert registered.value.status == 201 and body["ticket"]  # registered as a petition by the real route
    expect(card).to_contain_text("工单号：" + body["ticket"])
    expect(card).to_contain_text(body["due_date"])
    assert len(posted) == 1 and re.fullmatch(r"[0-9a-f-]{32,36}", posted[0].pop("client_id"))  # resends file once
    assert posted == [{"taxpayer_name": "某某商贸有限公司", "contact_phone": "0755-23456789", "content": "发票开错了怎么作废"}]


def test_waiting_with_nobody_online_offers_a_leave_message_form(open_widget):
    """The hub queues an escalation nobody can take yet: it says so and offers 留言 (envelope leave_message)."""
    page, _ = open_widget(DESKTOP)
    feed(page, {"type": "state", "conversation": make_state("queued", tier="expert", position=1)})
    expect(page.locator(".leave-message-card")).to_have_count(0)  # an ordinary wait: no card
    feed(page, {"type": "message", "message": make_message(70, "system", "专家坐席暂时都不在线，您的问题已为您排队（排在第1位），"
                                                                         "专家上线后会第一时间接入；您也可以留言，我们会尽快与您联系。", custom={
        "kind": "handoff", "tier": "expert", "status": "queued", "position": 1, "expected_wait_seconds": None,
        "seats_online": 0, "leave_message": True})})
    card = page.locator(".leave-message-card")
    expect(card).to_be_visible()
    expect(card.locator("h2")).to_have_text("等待期间，您也可以留言")
    expect(page.locator("#mode")).to_have_text(f"{vocab('conversation_mode', 'queued')} 第1位")  # no made-up minutes


def test_service_closed_while_asking_for_a_person_offers_a_leave_message_form(open_widget):
    page, hub = open_widget(DESKTOP)
    page.locator("#handoff-btn").click()
    hub.wait_for(page, lambda: hub.messages_sent())
    feed(page, {"type": "state", "conversation": make_state("bot", service_open=False)})
    expect(page.locator(".leave-message-card")).to_be_visible()
    expect(page.locator(".leave-message-card")).to_contain_text("工作日 09:00–17:00")


# ---------------------------------------------------------------- sending and the connection

def test_enter_sends_a_pending_bubble_that_the_echo_replaces_and_typing_shows_until_the_reply(open_widget, artefacts):
    page, hub = open_widget(PHONE)
    hub.drop_connection()  # offline first: the bubble waits, marked as sending
    page.wait_for_function("() => document.body.dataset.connected === '0'")
    page.locator("#input").fill("你好")
    page.locator("#input").press("Enter")
    pending = page.locator("#messages .pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".pending-mark")).to_be_visible()
    expect(page.locator("#input")).to_have_value("")
    screenshot(page, artefacts / "widget-375-pending.png")

    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]  # sent once connected again
    assert frame == {"type": "message", "text": "你好", "client_id": frame["client_id"]}
    echo = hub.wait_for(page, lambda: next((e["message"] for e in hub.received if e.get("type") == "message"
                                            and e["message"]["client_id"] == frame["client_id"]), None))
    expect(pending).to_have_count(0)  # the hub's stored copy replaced it
    expect(page.locator(f'.msg[data-id="{echo["id"]}"]')).to_have_attribute("data-sender", "user")
    # No bot behind this API: the hub says so, and the typing dots go away.
    expect(page.locator("#messages")).to_contain_text("智能助手暂时无法回复")
    expect(page.locator(".typing-indicator")).to_have_count(0)
    feed(page, {"type": "message", "message": echo})  # the same message again (a resend): still one bubble
    expect(page.locator('#messages .msg[data-sender="user"]')).to_have_count(1)


def test_server_typing_events_show_and_hide_the_indicator(open_widget):  # a seat's typing, as the hub relays it
    page, hub = open_widget(DESKTOP)  # noqa: RUF059
    feed(page, {"type": "typing", "on": True, "sender": "staff"})
    expect(page.locator(".typing-indicator")).to_be_visible()
    expect(page.locator(".typing-indicator img.avatar")).to_have_attribute("src", "/static/avatars/staff.svg")
    feed(page, {"type": "typing", "on": False, "sender": "staff"})
    expect(page.locator(".typing-indicator")).to_have_count(0)


def test_shift_enter_makes_a_newline_and_enter_while_composing_does_not_send(open_widget):
    page, hub = open_widget(DESKTOP)
    box = page.locator("#input")
    box.fill("第一行")
    box.press("Shift+Enter")
    box.type("第二行")
    expect(box).to_have_value("第一行\n第二行")
    page.evaluate("""() => {
        const input = document.getElementById('input');
        input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}));
    }""")
    page.wait_for_timeout(200)
    assert hub.messages_sent() == []
    box.press("Enter")
    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]
    assert frame["text"] == "第一行\n第二行"
    expect(page.locator('#messages .msg[data-sender="user"] .bubble')).to_have_text("第一行\n第二行")
    assert page.eval_on_selector('#messages .msg[data-sender="user"] .bubble', "n => getComputedStyle(n).whiteSpace") == "pre-wrap"


def test_handoff_button_sends_request_human(open_widget):
    page, hub = open_widget(DESKTOP)
    page.locator("#handoff-btn").click()
    frame = hub.wait_for(page, lambda: hub.messages_sent())[0]
    assert frame["text"] == "转人工" and frame["payload"] == "/request_human" and frame["client_id"]


def test_reconnect_resumes_after_the_last_id_and_resends_pending_messages_once(open_widget, widget_api):
    enterprise = widget_api.enterprise("断线重连测试商贸有限公司")
    history = widget_api.history(enterprise, [{"sender": "user", "text": "你好", "minutes_ago": 2},
                                              {"sender": "bot", "text": "您好！", "minutes_ago": 2}])
    ids = [str(m["id"]) for m in history]
    page, hub = open_widget(DESKTOP, token=widget_api.token(enterprise.uscc, enterprise.name))
    expect(page.locator("#messages .msg[data-id]")).to_have_count(2)
    assert message_ids(page) == ids
    hub.drop_connection()
    expect(page.locator("#conn-banner")).to_be_visible()
    expect(page.locator("#conn-banner")).to_have_text("连接已断开，正在重连…")
    assert page.evaluate("document.body.dataset.connected") == "0"
    page.locator("#input").fill("断线时发的消息")  # typed while disconnected: kept, sent after reconnecting
    page.locator("#send").click()
    expect(page.locator("#messages .pending")).to_have_count(1)

    page.wait_for_function("() => document.body.dataset.connected === '1'", timeout=10000)
    expect(page.locator("#conn-banner")).to_be_hidden()
    assert hub.auths[1]["after"] == history[-1]["id"] and "?" not in hub.socket_urls[1]
    hub.wait_for(page, lambda: len([e for e in hub.received if e.get("type") == "hello"]) == 2)
    assert [m["id"] for m in hub.hello()["messages"]] == []  # nothing is sent twice after a reconnect
    hub.wait_for(page, lambda: hub.messages_sent())
    expect(page.locator("#messages .pending")).to_have_count(0)
    expect(page.locator('#messages .msg[data-sender="user"]')).to_have_count(2)
    assert message_ids(page)[:2] == ids and int(message_ids(page)[2]) > history[-1]["id"]
    page.wait_for_timeout(300)
    assert len(hub.messages_sent()) == 1


def test_expired_enterprise_token_falls_back_to_visitor(open_widget, widget_api):
    expired = widget_api.token("91440300MA5FXXXX0X", "某某商贸有限公司", hours=-1)
    page, hub = open_widget(DESKTOP, token=expired)
    expect(page.locator("#messages .line.system.notice")).to_have_text("登录已过期，已切换为访客身份")
    assert hub.session_requests == [{"enterprise_token": expired}, {}]
    expect(page.locator("#who")).to_have_text("访客")
    assert "enterprise_token" not in hub.auths[0]
    assert "enterprise_token" not in page.url  # the token never stays in the address bar


def test_enterprise_token_reaches_the_session_and_the_socket(open_widget, widget_api):
    enterprise = widget_api.enterprise("令牌测试商贸有限公司")
    token = widget_api.token(enterprise.uscc, enterprise.name)
    page, hub = open_widget(DESKTOP, token=token)
    assert hub.session_requests == [{"enterprise_token": token}]
    hub.wait_for(page, lambda: hub.auths)
    assert hub.auths[0]["enterprise_token"] == token and token not in hub.socket_urls[0]
    assert token not in page.url  # read from the fragment, then cleared from the address bar
    assert hub.wait_for(page, hub.hello)["identity"] == {"kind": "enterprise", "name": enterprise.name,
                                                          "uscc": enterprise.uscc}
    expect(page.locator("#who")).to_have_text(enterprise.name)


def test_upload_checks_type_and_size_and_shows_thumbnails_and_pdf_cards(open_widget, artefacts):
    page, _ = open_widget(DESKTOP)
    upload = page.locator("#upload-input")
    upload.set_input_files(files=[{"name": "说明.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(page.locator("#messages .line.system.local").last).to_have_text("仅支持发送 PNG、JPEG、GIF、WebP 图片或 PDF 文件")
    upload.set_input_files(files=[{"name": "big.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * (5 * 1024 * 1024)}])
    expect(page.locator("#messages .line.system.local").last).to_have_text("文件太大了，不能超过 5 MB")

    png = solid_png(160, 100, (47, 125, 225))
    uploads = []
    page.on("request", lambda r: uploads.append(r) if r.url.endswith("/api/widget/uploads") else None)
    upload.set_input_files(files=[{"name": "截图.png", "mimeType": "image/png", "buffer": png}])
    image = page.locator('.msg[data-sender="user"] .bubble.image img')
    expect(image).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('.msg[data-sender=\"user\"] .bubble.image img');"
                           " return i && i.complete && i.naturalWidth === 160; }")  # the hub's stored file, shown
    upload.set_input_files(files=[{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test"}])
    card = page.locator('.msg[data-sender="user"] a.file-card')
    expect(card).to_contain_text("发票.pdf")
    assert card.get_attribute("href").startswith("/api/attachments/")
    token = page.evaluate("localStorage.getItem('taxWidget.visitorToken')")
    assert uploads[0].headers["authorization"] == f"Bearer {token}"
    assert "multipart/form-data" in uploads[0].headers["content-type"]  # and the hub took it as a file (above)
    expect(page.locator("#messages .pending")).to_have_count(0)
    screenshot(page, artefacts / "widget-desktop-uploads.png")


# ---------------------------------------------------------------- the embed script

def test_embed_script_adds_a_floating_button_that_opens_the_widget(page_factory, web_server, artefacts):
    page = page_factory(DESKTOP)
    hub = Wire(page)  # the pages alone: the widget's own requests are what this test reads
    page.goto(web_server + "/test-fixtures/host.html")
    button = page.locator("#tax-widget-launcher")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["x"] + box["width"] > 1280 - 40 and box["y"] + box["height"] > 800 - 40  # bottom-right
    assert page.locator("#tax-widget-panel").count() == 0  # nothing loads before it is opened

    button.click()
    panel = page.locator("#tax-widget-panel")
    expect(panel).to_be_visible()
    frame_src = panel.locator("iframe").get_attribute("src")
    assert frame_src == f"{web_server}/?embed=1#enterprise_token=enterprise-token-demo"  # fragment: never sent
    assert panel.bounding_box()["width"] == 400 and panel.bounding_box()["height"] == 640
    widget = page.frame_locator("#tax-widget-panel iframe")
    expect(widget.locator("#title")).to_have_text("小微企业智能办税助手")
    hub.wait_for(page, lambda: hub.session_requests)
    assert hub.session_requests[0] == {"enterprise_token": "enterprise-token-demo"}
    screenshot(page, artefacts / "embed-desktop-open.png")

    widget.locator("#close-btn").click()  # the widget's own close button asks the host page to close
    expect(panel).to_be_hidden()


def test_embed_panel_is_full_screen_on_a_phone(page_factory, web_server):
    page = page_factory(PHONE)
    page.goto(web_server + "/test-fixtures/host.html")
    page.locator("#tax-widget-launcher").click()
    box = page.locator("#tax-widget-panel").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 812)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
