"""The whole service in a real browser (Debian's Chromium): an enterprise in the widget asks a question
and sees the answer card, asks for a person; a staff seat in the staff app's 坐席 claims and answers; the seat
escalates to an expert who answers and closes; the enterprise rates. Reloading restores the history,
and markup typed on either side shows as text on the other. Screenshots go to results/screenshots/."""
from __future__ import annotations

import re

from tests.chromium import SCREENSHOTS
from tests.e2e.conftest import DEMO_PASSWORD

XSS_USER = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
XSS_STAFF = '<b>粗体</b><script>window.__pwned=3</script>'
WAIT = 60_000  # ms: a bot turn on a busy 2-core machine


def log_in(page, username: str):
    """Log in to the staff app on /staff/seat and wait for the seat's live line."""
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("[data-test=seat-bar][data-status]", timeout=WAIT)
    page.wait_for_function("() => !document.querySelector('[data-test=line]')", timeout=WAIT)


def send_in_widget(widget, text: str):
    widget.fill("#input", text)
    widget.press("#input", "Enter")


def answer_in_console(console, text: str):
    console.fill("#seat-composer", text)
    console.press("#seat-composer", "Enter")


def test_bot_then_staff_then_expert_then_rating_in_real_browsers(pages):
    widget = pages("/")
    widget.wait_for_function("() => document.body.dataset.connected === '1'", timeout=WAIT)
    send_in_widget(widget, "小规模纳税人季度销售额28万要交增值税吗")
    card = widget.wait_for_selector(".msg[data-sender=bot] .answer-card", timeout=WAIT)
    assert "依据" in card.inner_text() and widget.locator(".answer-card .sources").first.inner_text()
    widget.screenshot(path=str(SCREENSHOTS / "flow-widget-answer.png"))

    staff = pages("/staff/seat", viewport=(1366, 768))
    log_in(staff, "ganbu1")
    staff.click("[data-test=status]")  # busy: nothing is assigned, the seat claims from the queue
    staff.locator(".el-select-dropdown__item").nth(1).click()  # 在线 · 忙碌 · 离开
    staff.wait_for_selector("[data-test=seat-bar][data-status=busy]")

    widget.click("#handoff-btn")
    widget.wait_for_function("() => /排队|第\\s*1\\s*位|下一位/.test(document.querySelector('#mode').textContent)",
                             timeout=WAIT)
    staff.wait_for_selector("[data-test=queue] .claim", timeout=WAIT)
    staff.click("[data-test=queue] .claim")
    widget.wait_for_function("() => document.querySelector('#mode').textContent.includes('王芳')", timeout=WAIT)
    staff.wait_for_selector("[data-test=transcript] .msg[data-sender=user]", timeout=WAIT)

    send_in_widget(widget, XSS_USER)
    shown = staff.wait_for_selector(f"[data-test=transcript] .msg[data-sender=user] >> text={XSS_USER}", timeout=WAIT)
    assert shown and staff.evaluate("() => window.__pwned === undefined"
                                    " && !document.querySelector('[data-test=transcript] img[src=x]')")
    answer_in_console(staff, XSS_STAFF)
    widget.wait_for_selector(f".msg[data-sender=staff] >> text={XSS_STAFF}", timeout=WAIT)
    assert widget.evaluate("() => window.__pwned === undefined && !document.querySelector('#messages b')")
    answer_in_console(staff, "您好，我是税务干部王芳，请问具体是什么情况？")
    widget.wait_for_selector(".msg[data-sender=staff] >> text=请问具体是什么情况", timeout=WAIT)
    widget.screenshot(path=str(SCREENSHOTS / "flow-handoff-widget.png"))
    staff.screenshot(path=str(SCREENSHOTS / "flow-console-staff.png"))

    expert = pages("/staff/seat", viewport=(1366, 768))
    log_in(expert, "zhuanjia1")
    staff.click("[data-test=escalate]")
    staff.wait_for_selector(".el-dialog [data-test=presence-board]")  # who is online, before the note
    staff.fill("[data-test=escalate-note]", "跨区迁移涉及清税，需要专家判断")
    staff.click("[data-test=escalate-submit]")
    widget.wait_for_function("() => document.querySelector('#mode').textContent.includes('税务专家')", timeout=WAIT)
    expert.wait_for_selector("[data-test=mine] .item", timeout=WAIT)
    expert.click("[data-test=mine] .item")
    expert.wait_for_selector("[data-test=transcript] .msg >> text=跨区迁移涉及清税", timeout=WAIT)  # seats only
    answer_in_console(expert, "已核实，您的情况可以直接办理迁移。")
    widget.wait_for_selector(".msg[data-sender=expert] >> text=可以直接办理迁移", timeout=WAIT)
    assert "跨区迁移涉及清税" not in widget.inner_text("#messages")
    expert.click("[data-test=close]")
    expert.fill("[data-test=close-summary]", "已解答跨区迁移")
    expert.click("[data-test=close-submit]")
    expert.wait_for_selector("[data-test=ended] .item", timeout=WAIT)
    expert.screenshot(path=str(SCREENSHOTS / "flow-console-expert.png"))

    widget.wait_for_selector(".rating-card", timeout=WAIT)
    widget.click(".rating-card .star[data-score='5']")
    widget.fill("#rating-comment", "专家解答很清楚")
    widget.click("#rating-submit")
    widget.wait_for_selector("text=感谢您的评价", timeout=WAIT)
    widget.screenshot(path=str(SCREENSHOTS / "flow-widget-rated.png"))
    expert.wait_for_selector("[data-test=ended] [data-test=rating] >> text=5 分", timeout=WAIT)  # the seat sees it

    before = widget.eval_on_selector_all(".msg[data-id]", "els => els.map(e => e.dataset.id)")
    widget.reload()
    widget.wait_for_function("() => document.body.dataset.connected === '1'", timeout=WAIT)
    widget.wait_for_selector(".msg[data-sender=expert]", timeout=WAIT)
    after = widget.eval_on_selector_all(".msg[data-id]", "els => els.map(e => e.dataset.id)")
    assert after == before and len(set(after)) == len(after)  # nothing lost, nothing doubled


def test_the_widget_on_a_phone(pages):
    phone = pages("/", viewport=(375, 812))
    phone.wait_for_function("() => document.body.dataset.connected === '1'", timeout=WAIT)
    send_in_widget(phone, "逾期申报了怎么办")
    phone.wait_for_selector(".msg[data-sender=bot][data-kind]", timeout=WAIT)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(SCREENSHOTS / "flow-widget-375.png"), full_page=True)
    assert re.search(r"逾期|申报", phone.inner_text("#messages"))
