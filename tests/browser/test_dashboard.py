"""The operator dashboard (/dashboard) against the real API app: a migrated SQLite database in tmp_path,
embedded Redis, the daily aggregation run by hand, and Debian's Chromium driving the page.

Data: the hand-counted day of tests/api/analyticskit.py (five conversations on DAY) plus one visitor
conversation whose question is an XSS string answered by a fallback.
"""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from tests.api.analyticskit import DAY, EXPECTED, NEXT, PHONE, at, build_day
from tests.appkit import migrate, serve_api

PASSWORD = "Dashboard-Pass-9"
XSS = '<img src=x onerror="window.__xss=1">社保卡<script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from api.analytics.aggregate import aggregate_day
    from api.auth.security import hash_password
    from api.database import make_engine
    from api.hub.models import Conversation, Message
    from api.org.service import create_staff, create_unit
    from api.settings import ROOT

    url = migrate(f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'app.db'}")

    engine = make_engine(url)
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        province = create_unit(session=session, name="省税务局", level="province", kind="tax_unit")
        service = create_unit(session=session, name="纳税服务科", level="city", kind="service_department",
                              parent_id=province.id)
        password = hash_password(PASSWORD, iterations=1_000)
        create_staff(session=session, username="yunying", display_name="赵运营", role="operator", unit_id=province.id,
                     password_hash=password)
        create_staff(session=session, username="guanli", display_name="钱管理", role="admin", unit_id=province.id,
                     password_hash=password)
        seat = create_staff(session=session, username="ganbu", display_name="王芳", role="staff", unit_id=service.id,
                            password_hash=password)
        session.commit()
        build_day(session, service.id, seat)
        xss = Conversation(identity="v:xss", rasa_sender="xss-1", unit_id=service.id, mode="bot",
                           created_at=at(DAY, 16, 0), last_message_at=at(DAY, 16, 1), had_human=False, seat_read_id=0)
        session.add(xss)
        session.flush()
        session.add_all([
            Message(conversation_id=xss.id, sender="user", sender_name="访客", mode="bot", text=XSS,
                    internal=False, created_at=at(DAY, 16, 0)),
            Message(conversation_id=xss.id, sender="bot", sender_name="智能助手", mode="bot",
                    text="抱歉，这个问题我暂时没有把握准确回答。", custom={"kind": "fallback", "reason": "no_answer"},
                    kind="fallback", intent="ask_tax_question", confidence=0.31, internal=False,
                    created_at=at(DAY, 16, 1))])
        session.commit()
        for day in (DAY - timedelta(days=1), DAY, NEXT):
            aggregate_day(session, day)
        session.commit()
    engine.dispose()

    knowledge, data = tmp_path_factory.mktemp("knowledge") / "k", tmp_path_factory.mktemp("data") / "d"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py", "__pycache__", "rules"))
    shutil.copytree(ROOT / "data", data)
    server = serve_api(url, tmp_path_factory.mktemp("dashboard-redis"), knowledge_dir=knowledge, training_data_dir=data)
    yield {"url": f"http://127.0.0.1:{server.port}", "xss_id": xss.id, "knowledge": knowledge}
    server.stop()


def _login(page, base, username="yunying"):
    page.goto(base + "/dashboard")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def _dashboard_on_day(page_factory, base, username="yunying", viewport=(1366, 768)):
    """Logged in, the date range set to the hand-counted day and the next, charts requested."""
    page = page_factory(viewport)
    _login(page, base, username)
    page.wait_for_selector("#app:not([hidden])")
    page.fill("#f-from", DAY.isoformat())
    page.fill("#f-to", NEXT.isoformat())
    page.click("#f-apply")
    return page


def _table_numbers(page, card: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#card-{card} .table-wrap tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")


def test_operator_sees_charts_tables_csv_and_review(live, page_factory, artefacts):
    base = live["url"]
    page = _dashboard_on_day(page_factory, base)
    for card in ("daily", "rates", "reasons", "intents", "topics", "unanswered", "feedback", "seats", "petitions",
                 "campaigns"):
        page.wait_for_selector(f"#card-{card}[data-loaded='1'] .chart canvas", state="attached", timeout=15_000)

    # the KPI tiles and the daily table: the hand-counted day plus the XSS conversation (one fallback turn)
    expected = dict(EXPECTED, conversations=EXPECTED["conversations"] + 1, messages=EXPECTED["messages"] + 2,
                    fell_back=EXPECTED["fell_back"] + 1, bot_turns=EXPECTED["bot_turns"] + 1)
    page.click("#card-daily .toggle-table")
    rows = _table_numbers(page, "daily")
    day_row = next(r for r in rows if r[0] == DAY.isoformat())
    assert day_row[1:4] == [str(expected["conversations"]), str(expected["engaged"] + 1), str(expected["messages"])]
    assert day_row[7:11] == [str(expected["fell_back"]), str(expected["handed_off"]), str(expected["petitions"]),
                             str(expected["contained"])]
    total = rows[-1]
    assert total[0] == "合计" and total[1] == str(expected["conversations"])
    assert page.is_visible("#card-daily .table-wrap") and not page.is_visible("#card-daily .chart")

    page.click("#card-seats .toggle-table")
    seats = _table_numbers(page, "seats")
    assert seats[0][0] == "王芳" and seats[0][2] == "1" and seats[0][-2] == "5"  # one conversation, rated 5

    page.click("#card-unanswered .toggle-table")
    groups = _table_numbers(page, "unanswered")
    assert any(g[1] == "2" and "社保卡丢了怎么补办" in g[5] for g in groups)  # two fallbacks grouped, with examples
    assert any(XSS in g[5] for g in groups)
    # the XSS question is plain text in the examples, never markup
    assert page.evaluate("() => window.__xss") is None
    page.click("#card-daily .toggle-table")  # back to the chart for the screenshot
    page.wait_for_timeout(300)
    page.screenshot(path=str(artefacts / "dashboard.png"), full_page=False)

    # a CSV link answers 200 text/csv with the bearer token of the page, and downloads in the page
    href = page.get_attribute("#card-daily .csv-link", "data-url")
    assert "format=csv" in href
    token = page.evaluate("() => sessionStorage.getItem('taxDashboard.token')")
    response = page.request.get(base + href, headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert "合计" in response.text()
    with page.expect_download() as download:
        page.click("#card-daily .csv-link")
    assert download.value.suggested_filename.endswith(".csv")

    # drill-down: the day's 转人工 number opens the review list with that day and outcome
    page.click("#card-daily .toggle-table")
    day_tr = page.locator("#card-daily tbody tr", has_text=DAY.isoformat())
    day_tr.locator("td").nth(8).locator("button.drill").click()
    page.wait_for_selector("#view-review:not([hidden])")
    page.wait_for_selector("#review-rows tr[data-id]")
    assert page.input_value("#r-outcome") == "handed_off"
    assert page.locator("#review-rows tr[data-id]").count() == 1
    assert "转人工" in page.text_content("#review-rows")

    # the XSS conversation from the unanswered group's example, as text in the list and the transcript
    page.click("#r-reset")
    page.fill("#f-from", DAY.isoformat())
    page.fill("#f-to", NEXT.isoformat())
    page.select_option("#r-outcome", "fell_back")
    page.click("#review-form button[type=submit]")
    row = page.locator(f"#review-rows tr[data-id='{live['xss_id']}']")
    row.wait_for()
    assert "<img" in row.locator("td.question").text_content()
    row.click()
    page.wait_for_selector(f"#tr-messages li[data-message-id]")
    bubble = page.locator("#tr-messages li.msg-user .bubble").first
    assert bubble.text_content() == XSS
    assert page.locator("#tr-messages img").count() == 0 and page.locator("#tr-messages script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    bot = page.locator("#tr-messages li.msg-bot").first
    assert "ask_tax_question" in bot.text_content() and "0.31" in bot.text_content()

    # tag the conversation and mark the bot turn as wrong
    page.fill("#tag-input", "错答")
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#tr-tags .tag:has-text('错答')")
    bot.locator(".mark-btn").click()
    page.fill("#mark-note", "应转社保经办机构")
    page.click("#mark-ok")
    page.wait_for_selector("#tr-messages .mark-box")
    assert "应转社保经办机构" in page.text_content("#tr-messages .mark-box")
    # from the mark, a draft: the user's words prefilled (as text in a field, never markup), the source named
    page.click("#tr-messages .mark-box .improve-btn")
    page.wait_for_selector("#imp-backdrop:not([hidden])")
    assert page.input_value("#imp-text") == XSS and "标记有误" in page.text_content("#imp-origin")
    assert page.is_checked("input[name=imp-kind][value=question_variant]")
    assert page.evaluate("() => window.__xss") is None
    page.click("#imp-cancel")
    page.wait_for_selector("#imp-backdrop", state="hidden")
    page.wait_for_timeout(200)
    page.screenshot(path=str(artefacts / "dashboard-review.png"), full_page=False)


def test_fix_an_unanswered_group_with_a_new_entry_approved_by_someone_else(live, page_factory, artefacts):
    base = live["url"]
    operator = _dashboard_on_day(page_factory, base, viewport=(1366, 860))
    operator.wait_for_selector("#card-unanswered[data-loaded='1']", timeout=15_000)
    operator.click("#card-unanswered .toggle-table")
    operator.locator("#card-unanswered tbody tr", has_text="社保卡丢了怎么补办").locator(".fix-btn").click()
    operator.wait_for_selector("#imp-backdrop:not([hidden])")
    # the example without the masked phone number is offered as the wording to learn
    assert operator.input_value("#imp-text") == "社保卡丢了怎么补办" and "补办" in operator.text_content("#imp-origin")
    operator.check("input[name=imp-kind][value=new_entry]")
    assert operator.is_hidden("#imp-text-field") and "社保卡" in operator.input_value("#ne-questions")
    operator.click("#imp-ok")  # nothing filled in: a Chinese reason, nothing sent
    assert "请填写条目编号" in operator.text_content("#imp-error")
    operator.fill("#ne-id", "social-card-reissue-where")
    operator.select_option("#ne-topic", "social-insurance-fees")
    operator.fill("#ne-title", "社保卡丢失后到哪里补办")
    operator.fill("#ne-answer", "社保卡由人力资源社会保障部门管理，丢失后请先挂失，再到社保经办机构或合作银行网点补办。")
    operator.fill("#ne-source-title", "社会保障卡管理办法")
    operator.fill("#ne-from", "2026-01-01")
    operator.screenshot(path=str(artefacts / "dashboard-improve-draft.png"))
    operator.click("#imp-ok")
    operator.wait_for_selector("#imp-backdrop", state="hidden")
    operator.click("#tab-improve")
    row = operator.locator("#imp-rows tr[data-id]", has_text="social-card-reissue-where")
    row.wait_for()
    assert row.locator(".approve-btn").is_disabled() and "需由其他运营人员审核" in row.text_content()

    admin = page_factory((1366, 860))
    _login(admin, base, username="guanli")
    admin.click("#tab-improve")
    admin.locator("#imp-rows tr[data-id]", has_text="social-card-reissue-where").locator(".approve-btn").click()
    admin.wait_for_selector(".toast:has-text('knowledge/content/improvements.yml')")
    written = (live["knowledge"] / "content" / "improvements.yml").read_text(encoding="utf-8")
    assert "social-card-reissue-where" in written and "社保卡丢了怎么补办" in written
    admin.locator("#att-rows tr[data-entry='social-card-reissue-where'] .chip-review").wait_for()
    admin.click(".seg [data-status=approved]")
    approved = admin.locator("#imp-rows tr[data-id]", has_text="social-card-reissue-where")
    assert "钱管理" in approved.text_content() and "knowledge/content/improvements.yml" in approved.text_content()
    admin.screenshot(path=str(artefacts / "dashboard-improve-approved.png"))


def test_only_an_admin_sees_unmasked_text_and_every_view_is_audited(live, page_factory):
    base = live["url"]
    masked_phone = f"{PHONE[:3]}****{PHONE[-4:]}"
    for username, shown, hidden in (("yunying", masked_phone, PHONE), ("guanli", PHONE, masked_phone)):
        page = _dashboard_on_day(page_factory, base, username=username)
        assert page.is_visible("#unmask-wrap") == (username == "guanli")
        if username == "guanli":
            page.check("#unmask")
        page.click("#tab-review")
        page.select_option("#r-outcome", "handed_off")  # the 社保卡 conversation that left a phone number
        page.click("#review-form button[type=submit]")
        # the rows of the filtered search (its summary names the outcome), not the first list's: the click raced it
        page.wait_for_function("() => document.getElementById('review-summary').textContent.includes('结果：')")
        page.locator("#review-rows tr[data-id]").first.click()
        page.wait_for_selector("#tr-messages li[data-message-id]")
        text = page.text_content("#tr-messages")
        assert shown in text and hidden not in text
        summary = page.text_content("#review-summary")
        assert ("已脱敏" in summary) == (username == "yunying")
    token = page.evaluate("() => sessionStorage.getItem('taxDashboard.token')")
    audit = page.request.get(base + "/api/review/audit", headers={"Authorization": f"Bearer {token}"}).json()
    assert any(e["action"] == "view_transcript" for e in audit["items"])


def test_non_operator_is_refused(live, page_factory):
    page = page_factory((1366, 768))
    _login(page, live["url"], username="ganbu")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "无权使用统计分析平台" in page.text_content("#login-error")
    assert page.is_hidden("#app")
    assert page.evaluate("() => sessionStorage.getItem('taxDashboard.token')") is None


def test_page_headers_and_offline_echarts(live):
    import urllib.request

    with urllib.request.urlopen(live["url"] + "/dashboard") as response:
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    with urllib.request.urlopen(live["url"] + "/static/vendor/echarts.min.js") as response:
        assert response.status == 200 and len(response.read()) > 500_000
