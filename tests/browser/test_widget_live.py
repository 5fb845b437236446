"""The widget on the real API (PostgreSQL of the test run, the app in-process, embedded Redis; no bot): the welcome
card and its 常见问题 from the knowledge base, the header naming who is logged in, a long answer opening at its
start, a reminder opened from 消息 with its full text and answer buttons, labels from the server's vocabulary, and
the demo list counting the reminders an enterprise really gets. Screenshots at 1280×800 and 390×844."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import sessionmaker

from tests.appkit import serve_api

DESKTOP = (1280, 800)
PHONE = (390, 844)
CONNECTED = "() => document.body.dataset.connected === '1'"


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    """The API with demo mode on, over demo enterprises (the showcase first: it qualifies for reminders)."""
    from api.core.database import make_engine
    from api.reminder.models import Reminder
    from tools.demo.enterprises import delete_demo, seed_demo

    engine = make_engine(database_url)
    with sessionmaker(bind=engine, future=True)() as session:
        session.execute(Reminder.__table__.delete())  # another module's reminders must not count here
        seed_demo(session, n=12, reset=True)
        session.commit()
    engine.dispose()
    server = serve_api(database_url, tmp_path_factory.mktemp("widget-live"), demo_mode=True)
    yield {"url": f"http://127.0.0.1:{server.port}", "db": database_url}
    server.stop()
    engine = make_engine(database_url)
    with sessionmaker(bind=engine, future=True)() as session:  # later modules seed their own demo set
        delete_demo(session)
        session.commit()
    engine.dispose()


def enterprise_token(uscc: str, name: str) -> str:
    import os

    from api.auth.security import create_enterprise_token

    return create_enterprise_token(uscc, name, secret=os.environ["APP_SECRET"])


def open_widget(page_factory, live, viewport=DESKTOP, token: str | None = None):
    page = page_factory(viewport)
    page.goto(live["url"] + "/" + (f"#enterprise_token={token}" if token else ""))
    page.wait_for_function(CONNECTED)
    return page


def shown_text(page) -> str:
    return page.inner_text("body")


def test_the_demo_list_counts_the_reminders_the_enterprise_then_finds(live, page_factory):
    from tools.demo.enterprises import SHOWCASE_NAME, SHOWCASE_USCC

    demo = page_factory(DESKTOP)
    demo.goto(live["url"] + "/demo")
    row = demo.locator("#rows tr.showcase")
    row.wait_for()
    promised = int(row.locator("td").nth(5).inner_text())
    assert promised >= 3  # the showcase qualifies for several reminders before it has ever opened the chat

    page = open_widget(page_factory, live, DESKTOP, enterprise_token(SHOWCASE_USCC, SHOWCASE_NAME))
    page.click("#reminders-btn")
    page.wait_for_selector("#reminders-list .reminder-item")
    assert page.locator("#reminders-list .reminder-item").count() == promised


def test_a_visitor_sees_a_welcome_menu_and_questions_drawn_from_the_knowledge_base(live, page_factory, artefacts):
    from knowledge.base import get_knowledge_base
    from knowledge.welcome import suggestions

    expected = [s["question"] for s in suggestions(get_knowledge_base())]
    assert len(expected) >= 4
    for viewport, name in ((DESKTOP, "widget-welcome-desktop.png"), (PHONE, "widget-welcome-phone.png")):
        page = open_widget(page_factory, live, viewport)
        page.wait_for_selector("#welcome-questions:not([hidden]) .welcome-question")
        assert page.locator(".welcome-question").all_text_contents() == expected
        assert page.locator(".welcome-action").all_text_contents() == ["转人工", "提诉求"]  # 我的… need a log-in
        assert page.text_content("#who") == "访客"
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artefacts / name))

    # a question tapped is sent as the user's message, bound to the entry it was drawn from
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.reload()
    page.wait_for_function(CONNECTED)
    page.click(".welcome-question >> nth=0")
    page.wait_for_selector(f".msg[data-sender=user] .bubble:text-is('{expected[0]}')")
    message = next(f for f in sent if '"type": "message"' in f or '"type":"message"' in f)
    assert "/ask_tax_question" in message and "entry_id" in message
    assert page.is_visible("#welcome")  # the card stays at the top of the conversation


def test_the_header_names_the_logged_in_enterprise_and_the_menu_grows(live, page_factory, artefacts):
    from tools.demo.enterprises import SHOWCASE_NAME, SHOWCASE_USCC

    for viewport, name in ((DESKTOP, "widget-enterprise-desktop.png"), (PHONE, "widget-enterprise-phone.png")):
        page = open_widget(page_factory, live, viewport, enterprise_token(SHOWCASE_USCC, SHOWCASE_NAME))
        page.wait_for_function("() => document.querySelector('#who').dataset.kind === 'enterprise'")
        assert page.text_content("#who") == SHOWCASE_NAME
        assert SHOWCASE_USCC not in page.inner_text("#header")  # the code is not put on show
        assert page.locator(".welcome-action").all_text_contents() == ["转人工", "提诉求", "我的诉求", "我的提醒"]
        page.wait_for_selector("#welcome-questions:not([hidden])")
        page.screenshot(path=str(artefacts / name))
    page.click(".welcome-action[data-action=reminders]")
    page.wait_for_selector("#reminders-panel:not([hidden])")


def test_a_long_answer_opens_at_its_start(live, page_factory):
    page = open_widget(page_factory, live, PHONE)
    long_text = "\n".join(f"{i}. 第{i}条办理要点：" + "按规定填写申报表的对应栏次并留存资料备查。" * 3 for i in range(1, 30))
    page.evaluate("""text => window.__taxWidget.handleServerEvent({type: 'message', message: {
        id: 900001, conversation_id: 1, client_id: null, sender: 'bot', sender_name: '智能助手', text: text,
        buttons: [], attachment: null, internal: false, created_at: new Date().toISOString(), feedback: null,
        custom: {kind: 'answer', topic: 'vat-small-scale-exemption', entry: 'x', valid_until: null,
                 sources: [{title: '关于增值税小规模纳税人减免增值税政策的公告', doc_no: '财政部 税务总局公告2023年第19号'}]}}})""",
                  long_text)
    box = page.evaluate("""() => {
        const list = document.querySelector('#messages').getBoundingClientRect();
        const card = document.querySelector('.msg[data-id="900001"]').getBoundingClientRect();
        return {listTop: list.top, listBottom: list.bottom, cardTop: card.top, cardBottom: card.bottom};
    }""")
    assert box["cardBottom"] > box["listBottom"]  # taller than the window …
    assert box["listTop"] <= box["cardTop"] <= box["listTop"] + 40  # … and its first line is in view


def test_a_reminder_in_messages_opens_to_its_full_text_and_answer_buttons(live, page_factory, artefacts):
    from tools.demo.enterprises import SHOWCASE_NAME, SHOWCASE_USCC

    sent = []
    page = page_factory(PHONE)
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.goto(live["url"] + f"/#enterprise_token={enterprise_token(SHOWCASE_USCC, SHOWCASE_NAME)}")
    page.wait_for_function(CONNECTED)
    page.wait_for_selector("#reminders-btn:not([hidden])")
    page.click("#reminders-btn")
    page.wait_for_selector("#reminders-list .reminder-item")
    risk = page.locator("#reminders-list .reminder-item", has=page.locator(".type-risk")).first
    risk.click()
    detail = page.locator("#reminder-detail")
    detail.wait_for(state="visible")
    assert page.is_hidden("#reminders-list")
    body = detail.locator(".reminder-text").inner_text()
    full = page.evaluate("() => window.__taxWidget.state.reminders.items.find(r => r.type === 'risk').message")
    assert body.strip() == full.strip() and len(body) > 40  # the whole text, not the list's three clamped lines
    assert detail.locator(".reminder-actions button").all_text_contents() == ["已自查更正", "有合理原因", "需要帮助"]
    assert detail.locator(".reminder-tag").inner_text() and "risk" not in detail.inner_text()
    page.screenshot(path=str(artefacts / "widget-reminder-detail-phone.png"))

    detail.locator(".reminder-actions button", has_text="已自查更正").click()  # answered in the chat, as the card is
    page.wait_for_selector("#reminders-panel", state="hidden")
    page.wait_for_selector(".msg[data-sender=user] .bubble:text-is('已自查更正')")
    frame = next(f for f in sent if "已自查更正" in f)
    assert re.search(r'/risk_corrected\{\\"reminder_id\\":\\"\d+\\"\}', frame), frame

    page.click("#reminders-btn")  # 返回 leads back to the list; a settled status shows in Chinese, never a key
    page.wait_for_selector("#reminders-list .reminder-item")
    page.locator("#reminders-list .reminder-item").first.click()
    page.click("#reminder-back")
    page.wait_for_selector("#reminders-list:not([hidden]) .reminder-item")
    statuses = page.locator("#reminders-list .reminder-status").all_text_contents()
    assert statuses and not any(re.search(r"[a-z_]{3,}", s) for s in statuses), statuses


def test_petition_and_reminder_labels_never_show_a_server_key(live, page_factory):
    page = open_widget(page_factory, live)
    page.evaluate("""() => window.__taxWidget.handleServerEvent({type: 'message', message: {
        id: 900002, conversation_id: 1, client_id: null, sender: 'bot', sender_name: '智能助手',
        text: '您的诉求正在办理。', buttons: [], attachment: null, internal: false,
        created_at: new Date().toISOString(), feedback: null,
        custom: {kind: 'petition_status', ticket: 'SQ20260105-0001', status: 'registered', due_date: '2026-01-12'}}})""")
    card = page.locator(".petition-card").inner_text()
    assert "SQ20260105-0001" in card and "registered" not in card
    try:
        import api.vocabulary  # noqa: F401 - the server's vocabulary (GET /api/vocabulary), when it is there
    except ImportError:
        return
    from api.petition.constants import STATUS_LABELS

    assert STATUS_LABELS["registered"] in card
