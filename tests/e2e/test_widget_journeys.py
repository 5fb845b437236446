"""The widget's journeys with the real bot, in Chromium: a visitor files a petition tapping the form's choices
(类别, 确认提交) instead of typing them; asks how to enjoy a policy just answered and gets its filing points; a
logged-in enterprise opens reminders from 消息, answers them there, and sees their state change."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker

from api.auth.security import create_enterprise_token
from api.core.database import make_engine
from common.petitions import CATEGORIES
from knowledge.base import get_knowledge_base
from tests.api.reminderkit import make_enterprise
from tests.chromium import SCREENSHOTS

WAIT = 60_000  # ms: a bot turn on a busy 2-core machine
CONNECTED = "() => document.body.dataset.connected === '1'"
PHONE = (390, 844)


def bot_messages(page, kind: str):
    return page.locator(f".msg[data-sender=bot][data-kind={kind}]")


def wait_for_more(page, kind: str, count: int):
    page.wait_for_function("([kind, n]) => document.querySelectorAll(`.msg[data-sender=bot][data-kind=${kind}]`).length > n",
                           arg=[kind, count], timeout=WAIT)
    return bot_messages(page, kind).last


def ask(page, text: str):
    page.fill("#input", text)
    page.press("#input", "Enter")


def test_a_visitor_files_a_petition_by_tapping_the_forms_choices(pages):
    page = pages("/", viewport=PHONE)
    page.wait_for_function(CONNECTED, timeout=WAIT)
    page.click(".welcome-action[data-action=petition]")  # the welcome card's 提诉求
    first = wait_for_more(page, "form", 0)
    assert first.inner_text().count("请") and "确认提交" not in first.inner_text()  # no stray error on opening
    ask(page, "电子税务局申报增值税时一直提示系统错误，已经三天了，请尽快处理")
    category = wait_for_more(page, "form", 1)
    titles = category.locator(".quick-reply").all_text_contents()
    assert sorted(titles) == sorted(CATEGORIES)
    chosen = next(t for t in titles[1:] if t != "其他")  # not the suggested one: the tap decides
    page.screenshot(path=str(SCREENSHOTS / "widget-petition-category-phone.png"))
    category.locator(".quick-reply", has_text=chosen).click()
    wait_for_more(page, "form", 2)  # taxpayer name
    ask(page, "成都某某商贸有限公司")
    wait_for_more(page, "form", 3)  # USCC
    ask(page, "无")
    wait_for_more(page, "form", 4)  # phone
    ask(page, "13800138000")
    confirm = wait_for_more(page, "form", 5)
    assert confirm.locator(".quick-reply").all_text_contents() == ["确认提交", "修改", "取消"]
    assert f"类别：{chosen}" in confirm.inner_text()
    confirm.locator(".quick-reply", has_text="确认提交").click()
    created = wait_for_more(page, "petition_created", 0)
    assert chosen in created.locator(".petition-card").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "widget-petition-created-phone.png"))


def test_how_to_enjoy_after_an_answer_gives_its_filing_points(pages):
    page = pages("/")
    page.wait_for_function(CONNECTED, timeout=WAIT)
    ask(page, "小规模纳税人季度销售额28万要交增值税吗")
    first = wait_for_more(page, "answer", 0)
    assert "填报要点" not in first.inner_text()
    ask(page, "怎么享受")
    points = wait_for_more(page, "answer", 1).inner_text()
    entry = get_knowledge_base().get("vat-small-scale-exemption-threshold")
    assert "填报要点" in points and "小微企业免税销售额" in points and entry.answer.splitlines()[0] not in points


def test_an_enterprise_answers_reminders_from_messages_and_their_state_follows(pages, stack):
    engine = make_engine(f"sqlite:///{stack.logs / 'e2e.db'}")
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        enterprise = make_enterprise(session, name="消息面板测试商贸有限公司", level="B")
        session.commit()
    engine.dispose()
    token = create_enterprise_token(enterprise.uscc, enterprise.name, secret=stack.env["APP_SECRET"],
                                    lifetime=timedelta(hours=1))
    page = pages(f"/#enterprise_token={token}", viewport=PHONE)
    page.wait_for_function(CONNECTED, timeout=WAIT)
    assert page.text_content("#who") == enterprise.name

    def open_item(kind: str, title: str = "") -> str:
        page.click("#reminders-btn")
        item = page.locator("#reminders-list .reminder-item", has=page.locator(f".reminder-tag.type-{kind}"),
                            has_text=title).first
        item.wait_for(timeout=WAIT)
        reminder_id = item.get_attribute("data-id")
        item.click()
        page.wait_for_selector("#reminder-detail:not([hidden]) .reminder-actions")
        return reminder_id

    def status_of(reminder_id: str) -> str:
        return page.evaluate("id => window.__taxWidget.state.reminders.items.find(r => String(r.id) === id).status",
                             reminder_id)

    risk = open_item("risk")
    before = bot_messages(page, "reminder_answer").count()
    page.locator("#reminder-detail .reminder-actions .quick-reply", has_text="已自查更正").click()
    wait_for_more(page, "reminder_answer", before)
    page.wait_for_function("id => window.__taxWidget.state.reminders.items.find(r => String(r.id) === id).status === 'closed'",
                           arg=risk, timeout=WAIT)
    assert status_of(risk) == "closed"

    policy = open_item("policy", "免征增值税")  # a policy whose entry has filing points
    answers = bot_messages(page, "answer").count()
    page.locator("#reminder-detail .reminder-actions .quick-reply", has_text="怎么享受").click()
    guidance = wait_for_more(page, "answer", answers).inner_text()
    assert "填报要点" in guidance
    page.wait_for_function("id => window.__taxWidget.state.reminders.items.find(r => String(r.id) === id).status === 'answered'",
                           arg=policy, timeout=WAIT)
    page.click("#reminders-btn")  # the list shows it answered, in Chinese
    status = page.locator(f'#reminders-list .reminder-item[data-id="{policy}"] .reminder-status').inner_text()
    assert "answered" not in status and "how" not in status
    page.screenshot(path=str(SCREENSHOTS / "widget-reminders-answered-phone.png"))
