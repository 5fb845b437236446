"""统计分析 in the staff app (/staff/analytics) against the real API: a migrated SQLite database, embedded Redis,
the daily aggregation run by hand, and Debian's Chromium driving the page (moved from the old /dashboard tests:
same data, same numbers, the new page's selectors).

Data: the hand-counted day of tests/api/analyticskit.py (five conversations on DAY, the seat 王芳 of staffkit)
plus one visitor conversation whose question is an XSS string answered by a fallback.
"""
from __future__ import annotations

import re
import shutil
from datetime import timedelta

import httpx
import pytest

from tests.api.analyticskit import DAY, EXPECTED, NEXT, PHONE, Trainer, at, build_day
from tests.browser.elplus import choose, chosen, select_root
from tests.browser.staffkit import DESKTOP, login, open_section, screenshot, staff_world
from tests.browser.staffkit import PHONE as PHONE_SIZE

XSS = '<img src=x onerror="window.__xss=1">社保卡<script>window.__xss=2</script>'
ENGLISH_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")  # ask_tax_question, fell_back, handed_off …


def _seed(session, world):
    from api.analytics.aggregate import aggregate_day
    from api.hub.models import Conversation, Message
    from api.org.models import StaffAccount

    seat = session.get(StaffAccount, world.staff_ids["staff"])
    day = build_day(session, world.units["service"], seat)
    xss = Conversation(identity="v:xss", rasa_sender="xss-1", unit_id=world.units["service"], mode="bot",
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
    for one in (DAY - timedelta(days=1), DAY, NEXT):
        aggregate_day(session, one)
    world.extra.update(xss_id=xss.id, c2_id=day.c2.id)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from api.settings import ROOT

    knowledge, data = tmp_path_factory.mktemp("knowledge") / "k", tmp_path_factory.mktemp("data") / "d"
    shutil.copytree(ROOT / "knowledge", knowledge, ignore=shutil.ignore_patterns("*.py", "__pycache__", "rules"))
    shutil.copytree(ROOT / "data", data)
    built = staff_world(tmp_path_factory, seed=_seed, knowledge_dir=knowledge, training_data_dir=data)
    built.extra["knowledge"] = knowledge
    yield built
    built.server.stop()


def set_period(page, date_from, date_to):
    """Type the period into the two date pickers and query."""
    for selector, value in (("#f-from", date_from), ("#f-to", date_to)):
        page.fill(selector, value.isoformat())
        page.press(selector, "Enter")
    page.click("#f-apply")


def on_day(page, world, username="operator"):
    """Logged in on 统计概览, the period set to the hand-counted day and the next, every card loaded."""
    login(page, world, username, "/staff/analytics")
    page.wait_for_selector("#card-daily[data-loaded='1']", timeout=15_000)
    set_period(page, DAY, NEXT)
    page.wait_for_function(
        """day => Array.from(document.querySelectorAll('#card-daily tbody tr td:first-child'))
                       .some(td => td.textContent.trim() === day)""", arg=DAY.isoformat(), timeout=15_000)
    for card in ("daily", "rates", "reasons", "intents", "topics", "unanswered", "feedback", "seats", "petitions",
                 "campaigns"):
        page.wait_for_selector(f"#card-{card}[data-loaded='1'] canvas", state="attached", timeout=15_000)


def table(page, card: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#card-{card} .table-wrap tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")


def summary_says(page, text: str):
    """Wait for the review list's summary (the pane loads on first use) to name this filter."""
    page.wait_for_function("t => (s => s && s.textContent.includes(t))(document.getElementById('review-summary'))", arg=text)


def shot_from_top(page, name: str):
    """The section scrolls inside the shell: back to its top, then the screenshot."""
    page.evaluate("() => document.querySelector('.shell-main').scrollTo(0, 0)")
    screenshot(page, name)


def review_row(page, conversation_id: int):
    return page.locator("#review-table tbody tr", has=page.locator(f"[data-id='{conversation_id}']"))


def test_operator_sees_figures_charts_tables_csv_and_drills_into_the_review(world, page_factory):
    page = page_factory(DESKTOP)
    on_day(page, world)

    # the daily table: the hand-counted day plus the XSS conversation (one more fallback turn)
    expected = dict(EXPECTED, conversations=EXPECTED["conversations"] + 1, messages=EXPECTED["messages"] + 2,
                    fell_back=EXPECTED["fell_back"] + 1, bot_turns=EXPECTED["bot_turns"] + 1)
    tiles = dict(zip(page.locator(".kpi-label").all_text_contents(), page.locator(".kpi-value").all_text_contents()))  # noqa: B905
    assert tiles["会话量"] == str(expected["conversations"]) and tiles["人工服务满意度"] == "5 分"
    page.click("#card-daily .toggle-table")
    rows = table(page, "daily")
    day_row = next(r for r in rows if r[0] == DAY.isoformat())
    assert day_row[1:4] == [str(expected["conversations"]), str(expected["engaged"] + 1), str(expected["messages"])]
    assert day_row[7:11] == [str(expected["fell_back"]), str(expected["handed_off"]), str(expected["petitions"]),
                             str(expected["contained"])]
    assert rows[-1][0] == "合计" and rows[-1][1] == str(expected["conversations"])
    assert page.is_visible("#card-daily .table-wrap") and not page.is_visible("#card-daily .chart")

    page.click("#card-seats .toggle-table")
    seats = table(page, "seats")
    assert seats[0][0] == "王芳" and seats[0][2] == "1" and seats[0][-2] == "5"  # one conversation, rated 5

    # intents by their Chinese names, never the bot's keys
    page.click("#card-intents .toggle-table")
    intents = [r[0] for r in table(page, "intents")]
    assert "咨询办税问题" in intents and not any(ENGLISH_KEY.search(i) for i in intents)

    page.click("#card-unanswered .toggle-table")
    groups = table(page, "unanswered")
    assert any(g[1] == "2" and "社保卡丢了怎么补办" in g[5] for g in groups)  # two fallbacks grouped, with examples
    assert any(XSS in g[5] for g in groups)  # the XSS question is plain text in the examples, never markup
    assert page.evaluate("() => window.__xss") is None
    for card in ("daily", "seats", "intents", "unanswered"):
        page.click(f"#card-{card} .toggle-table")  # back to the charts for the screenshot
    page.wait_for_timeout(300)
    assert ENGLISH_KEY.search(page.inner_text("main")) is None
    shot_from_top(page, "analytics-overview-desktop")

    # a card's CSV downloads with the page's token
    with page.expect_download() as download:
        page.click("#card-daily .csv-link")
    assert download.value.suggested_filename.endswith(".csv")
    assert "合计" in download.value.path().read_text(encoding="utf-8-sig")

    # drill-down: the day's 转人工 number opens the review list with that day and outcome
    page.click("#card-daily .toggle-table")
    page.locator("#card-daily tbody tr", has_text=DAY.isoformat()).locator("td").nth(8).locator("button.drill").click()
    page.wait_for_url(re.compile(r"/staff/analytics/review$"))
    summary_says(page, "结果：转人工")
    assert page.locator("#review-table tbody tr .row-id").count() == 1
    assert review_row(page, world.extra["c2_id"]).count() == 1
    assert page.input_value("#f-from") == DAY.isoformat() and page.input_value("#f-to") == DAY.isoformat()


def test_review_transcript_tags_and_marking_a_wrong_turn_from_lists_of_names(world, page_factory):
    page = page_factory(DESKTOP)
    login(page, world, "operator", "/staff/analytics/review")
    set_period(page, DAY, NEXT)
    choose(page, "#r-outcome", "未能回答")
    page.click("#r-search")
    row = review_row(page, world.extra["xss_id"])
    row.wait_for()
    assert "<img" in row.locator("span.question").text_content()  # the XSS question as text in the list
    assert "咨询办税问题" in row.text_content()
    row.click()
    page.wait_for_selector("#tr-messages li[data-message-id]")
    bubble = page.locator("#tr-messages li.msg-user .bubble").first
    assert bubble.text_content() == XSS
    assert page.locator("#tr-messages img").count() == 0 and page.locator("#tr-messages script").count() == 0
    assert page.evaluate("() => window.__xss") is None
    bot = page.locator("#tr-messages li.msg-bot").first
    assert "意图：咨询办税问题" in bot.text_content() and "0.31" in bot.text_content() and "未能回答" in bot.text_content()
    assert "ask_tax_question" not in page.inner_text("#transcript")

    # tag the conversation
    page.fill("#tag-input", "错答")
    page.click("#tag-form button[type=submit]")
    page.wait_for_selector("#tr-tags .tag:has-text('错答')")
    assert "错答" in review_row(page, world.extra["xss_id"]).text_content()

    # mark the bot turn wrong: intent by its Chinese name, entry by a search of titles, topic filled from the entry
    bot.locator(".mark-btn").click()
    page.wait_for_selector(".mark-dialog")
    choose(page, "#mark-intent", "咨询办税问题", typed="办税问题")
    # the entry list opens with the entries nearest to the user's question, before anything is typed
    select_root(page, "#mark-entry").locator(".el-select__wrapper").click()
    suggested = page.locator(".el-select-dropdown:visible .el-select-dropdown__item")
    suggested.first.wait_for()
    assert any("社保" in text for text in suggested.all_inner_texts())
    page.locator("#mark-entry").fill("社保费")
    page.locator(".el-select-dropdown:visible .el-select-dropdown__item", has_text="社保").first.click()
    picked = chosen(page, "#mark-entry")
    assert "社保" in picked
    topic = chosen(page, "#mark-topic")
    assert topic.strip() and not ENGLISH_KEY.search(topic)  # the entry's topic, by its title
    page.fill("#mark-note", "应转社保经办机构")
    screenshot(page, "analytics-mark-desktop")
    page.click("#mark-ok")
    page.wait_for_selector("#tr-messages .mark-box")
    box = page.text_content("#tr-messages .mark-box")
    assert "应转社保经办机构" in box and "正确意图：咨询办税问题" in box and "正确条目：" in box and "钱运营" in box
    page.wait_for_function("() => !document.querySelector('#tr-messages .mark-box').textContent.includes('读取中')")
    assert "正确条目：社保" in page.text_content("#tr-messages .mark-box")
    assert not ENGLISH_KEY.search(page.text_content("#tr-messages .mark-box"))

    # from the mark, a draft: the user's words prefilled (as text in a field, never markup), the source named
    page.click("#tr-messages .mark-box .improve-btn")
    page.wait_for_selector(".improve-dialog #imp-text")
    assert page.input_value("#imp-text") == XSS and "标记有误" in page.text_content("#imp-origin")
    assert page.is_checked("#imp-kind [data-kind=question_variant] input")
    assert page.evaluate("() => window.__xss") is None
    page.click("#imp-cancel")
    page.wait_for_selector(".improve-dialog", state="hidden")
    page.wait_for_timeout(300)
    screenshot(page, "analytics-review-desktop")


def test_fix_an_unanswered_group_with_a_new_entry_approved_by_someone_else(world, page_factory):
    operator = page_factory(DESKTOP)
    on_day(operator, world)
    operator.click("#card-unanswered .toggle-table")
    operator.locator("#card-unanswered tbody tr", has_text="社保卡丢了怎么补办").locator(".fix-btn").click()
    operator.wait_for_selector(".improve-dialog #imp-text")
    # the example without the masked phone number is offered as the wording to learn
    assert operator.input_value("#imp-text") == "社保卡丢了怎么补办" and "补办" in operator.text_content("#imp-origin")
    operator.click("#imp-kind [data-kind=new_entry]")
    assert operator.locator("#imp-text").count() == 0 and "社保卡" in operator.input_value("#ne-questions")
    operator.click("#imp-ok")  # nothing filled in: a Chinese reason, nothing sent
    assert "请填写条目编号" in operator.text_content("#imp-error")
    operator.fill("#ne-id", "social-card-reissue-where")
    choose(operator, "#ne-topic", "社会保险费缴纳", typed="社会保险")
    operator.fill("#ne-title", "社保卡丢失后到哪里补办")
    operator.fill("#ne-answer", "社保卡由人力资源社会保障部门管理，丢失后请先挂失，再到社保经办机构或合作银行网点补办。")
    operator.fill("#ne-source-title", "社会保障卡管理办法")
    operator.fill("#ne-from", "2026-01-01")
    operator.press("#ne-from", "Enter")
    shot_from_top(operator, "analytics-draft-desktop")
    operator.click("#imp-ok")
    operator.wait_for_selector(".improve-dialog", state="hidden")
    operator.click(".analytics-tabs #tab-improvements")
    operator.wait_for_url(re.compile(r"/staff/analytics/improvements$"))
    row = operator.locator("#imp-table tbody tr", has_text="social-card-reissue-where")
    row.wait_for()
    assert row.locator(".approve-btn").is_disabled() and "需由其他运营人员审核" in row.text_content()
    assert "新知识条目" in row.text_content()

    admin = page_factory(DESKTOP)
    login(admin, world, "admin", "/staff/analytics/improvements")
    admin.locator("#imp-table tbody tr", has_text="social-card-reissue-where").locator(".approve-btn").click()
    admin.wait_for_selector(".el-message:has-text('make retrain')")
    assert not (world.extra["knowledge"] / "content" / "improvements.yml").exists()  # approving writes no file
    admin.click("#imp-status [data-status=approved]")
    approved = admin.locator("#imp-table tbody tr", has_text="social-card-reissue-where")
    approved.wait_for()
    assert "吴管理" in approved.text_content() and "等待重新训练写入" in approved.text_content()

    # the retrain job runs (its `rasa train` stood in for; tests/e2e/test_improvement_flow.py runs the real one)
    from api.core.runtime import runtime
    from api.improvement.scheduled import retrain

    state, trainer = runtime(world.server.server.config.app), Trainer()
    done = retrain(state.session_factory, state.redis, state.settings, models=world.extra["knowledge"].parent / "m",
                   trainer=trainer.train, loader=trainer.load)
    assert done["written"] and done["loaded"]
    written = (world.extra["knowledge"] / "content" / "improvements.yml").read_text(encoding="utf-8")
    assert "social-card-reissue-where" in written and "社保卡丢了怎么补办" in written
    admin.reload()
    admin.click("#imp-status [data-status=approved]")
    applied = admin.locator("#imp-table tbody tr", has_text="social-card-reissue-where")
    applied.locator("[data-progress=applied]").wait_for()
    assert "已生效" in applied.text_content() and "knowledge/content/improvements.yml" in applied.text_content()
    admin.locator("#att-table [data-entry='social-card-reissue-where']").wait_for()
    assert "待复核" in admin.locator("#att-table tbody tr", has_text="社保卡丢失后到哪里补办").text_content()
    shot_from_top(admin, "analytics-improvements-desktop")


def test_only_an_admin_sees_unmasked_text_and_every_view_is_audited(world, page_factory):
    masked_phone = f"{PHONE[:3]}****{PHONE[-4:]}"
    for username, shown, hidden in (("operator", masked_phone, PHONE), ("admin", PHONE, masked_phone)):
        page = page_factory(DESKTOP)
        login(page, world, username, "/staff/analytics/review")
        assert page.locator("#unmask").count() == (1 if username == "admin" else 0)
        if username == "admin":
            page.locator(".el-switch", has=page.locator("#unmask")).click()
        set_period(page, DAY, NEXT)
        choose(page, "#r-outcome", "转人工")  # the 社保卡 conversation that left a phone number
        page.click("#r-search")
        summary_says(page, "结果：")
        review_row(page, world.extra["c2_id"]).click()
        page.wait_for_selector("#tr-messages li[data-message-id]")
        text = page.text_content("#tr-messages")
        assert shown in text and hidden not in text
        assert ("已脱敏" in page.text_content("#review-summary")) == (username == "operator")
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('taxStaffApp.session')).token")
    audit = httpx.get(world.url + "/api/review/audit", headers={"Authorization": f"Bearer {token}"}).json()
    assert any(e["action"] == "view_transcript" for e in audit["items"])


def test_on_a_phone_everything_is_one_column_and_nothing_is_cut_off(world, page_factory):
    page = page_factory(PHONE_SIZE, has_touch=True, is_mobile=True)
    login(page, world, "operator", "/staff/petitions")
    open_section(page, "analytics")
    page.wait_for_url(re.compile(r"/staff/analytics$"))
    page.wait_for_selector("#card-daily[data-loaded='1']", timeout=15_000)
    set_period(page, DAY, NEXT)
    page.wait_for_selector("#card-campaigns[data-loaded='1'] canvas", state="attached", timeout=15_000)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_SIZE[0], f"the page scrolls sideways: {width}px"
    boxes = [page.locator(f"#card-{c}").bounding_box() for c in ("daily", "rates", "reasons")]
    assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"] and boxes[1]["y"] > boxes[0]["y"]  # one column
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE_SIZE[0] for b in boxes)
    page.wait_for_timeout(300)
    shot_from_top(page, "analytics-overview-phone")

    page.click(".analytics-tabs #tab-review")
    page.wait_for_selector("#review-table tbody tr .row-id")
    review_row(page, world.extra["c2_id"]).tap()
    page.wait_for_selector("#tr-messages li.msg-bot")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_SIZE[0]
    mark = page.locator("#tr-messages li.msg-bot .mark-btn").first
    box = mark.bounding_box()
    assert box["x"] + box["width"] <= PHONE_SIZE[0] and box["height"] >= 24  # on screen and big enough to tap
    screenshot(page, "analytics-review-phone")
    mark.tap()
    page.wait_for_selector(".mark-dialog #mark-ok")
    dialog = page.locator(".mark-dialog").bounding_box()
    assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= PHONE_SIZE[0]
    screenshot(page, "analytics-mark-phone")
    page.click("#mark-cancel")

    page.click(".analytics-tabs #tab-improvements")
    page.wait_for_selector("#att-table .att-entry")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_SIZE[0]
    shot_from_top(page, "analytics-improvements-phone")


def test_other_roles_are_kept_out_and_the_old_address_leads_here(world, page_factory):
    page = page_factory(DESKTOP)
    login(page, world, "staff", "/staff/analytics")
    page.wait_for_url(re.compile(r"/staff/seat$"))
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('taxStaffApp.session')).token")
    refused = httpx.get(world.url + "/api/analytics/overview", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and re.search(r"[\u4e00-\u9fff]", refused.json()["detail"])
    moved = httpx.get(world.url + "/dashboard", follow_redirects=False)  # the former address serves the staff app
    assert moved.status_code == 200 and "frame-ancestors 'none'" in moved.headers["content-security-policy"]
