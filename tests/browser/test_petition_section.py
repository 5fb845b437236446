"""诉求 section of the staff app against the real API: a petition's whole life worked in the browser by the
accounts whose work each step is, the 台账 export holding exactly the list's rows for a filter, and the list
and detail on a desktop and a phone."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.petitionpage import _box, _choose, _open_ticket, _queue, _status, _step
from tests.browser.staffkit import DESKTOP, PHONE, login, screenshot, staff_world

SEEDED = [  # (taxpayer, category, days ago received)
    ("成都锦江区甲商贸有限公司", "政策落实类", 0),
    ("成都锦江区乙餐饮店", "纳税服务类", 0),
    ("成都锦江区丙科技有限公司", "政策落实类", 40),
    ("成都锦江区丁建材有限公司", "执法规范类", 40),
    ("成都锦江区戊物流有限公司", "政策落实类", 1),
]


def _seed(session, world):
    from api.org.models import StaffAccount
    from api.petition import service
    from api.petition.schemas import PetitionCreate

    staff = session.get(StaffAccount, world.staff_ids["staff"])
    now = datetime.now(timezone.utc)
    for i, (name, category, days_ago) in enumerate(SEEDED):
        service.register(PetitionCreate(taxpayer_name=name, contact_phone="13800138000", category=category,
                                        channel="12366热线", content=f"{name}咨询小微企业优惠政策的享受条件（{i}）",
                                        received_at=now - timedelta(days=days_ago, minutes=i)),
                         session=session, actor=staff)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=_seed)
    yield built
    built.server.stop()


def _settled(page):
    """Wait until the drawer has slid in and nothing is loading (for a screenshot)."""
    expect(page.locator(".el-loading-mask:visible")).to_have_count(0)
    page.wait_for_timeout(500)


def test_a_petition_taken_by_phone_is_worked_to_its_close_by_each_role(page_factory, world):
    staff = page_factory(DESKTOP)
    login(staff, world, "staff", "/staff/petitions")
    # each tab carries its count, and the count follows the work
    handover_count, assign_count = staff.locator("[data-test=count-handover]"), staff.locator("[data-test=count-assign]")
    expect(handover_count).to_have_text(str(len(SEEDED)))
    expect(assign_count).to_have_count(0)  # nothing waits there: no badge
    staff.click("[data-test=register]")
    form = staff.locator("[data-test=register-form]")
    _choose(staff, form.locator("[data-test=register-channel]"), "12366热线")
    _box(form, "register-name").fill("成都锦江区己机电有限公司")
    _box(form, "register-uscc").fill("91510107MAALN2LN7X")  # wrong check digit
    _box(form, "register-phone").click()
    expect(form).to_contain_text("校验位不对")
    _box(form, "register-uscc").fill("")
    _box(form, "register-phone").fill("13900139000")
    _choose(staff, form.locator("[data-test=register-category]"), "执法规范类")
    _box(form, "register-content").fill("来电反映：上门检查未出示检查通知书，请核实。")
    staff.click("[data-test=register-submit]")
    expect(staff.locator(".el-message--success")).to_contain_text("已受理登记")
    _status(staff, "已受理登记")
    ticket = staff.locator(".petition-drawer .el-drawer__title").inner_text().split()[-1]
    detail = staff.locator("[data-test=petition-detail]")
    expect(detail).to_contain_text("12366热线")
    expect(detail).to_contain_text("王芳")  # the ledger names who registered it

    expect(handover_count).to_have_text(str(len(SEEDED) + 1))
    _step(staff, "hand_over", unit="纳税服务科")
    _status(staff, "已转交纳税服务部门")
    expect(handover_count).to_have_text(str(len(SEEDED)))
    expect(assign_count).to_have_text("1")
    _step(staff, "assign", units="征收管理科")
    _status(staff, "已转交办理部门")
    expect(assign_count).to_have_count(0)
    # the service desk cannot work it: the handling department's steps are not offered
    expect(staff.locator("[data-test=detail-actions] [data-action=start]")).to_have_count(0)

    handler = page_factory(DESKTOP)
    login(handler, world, "handler", "/staff/petitions")
    _queue(handler, "start")
    _open_ticket(handler, ticket)
    _step(handler, "start")
    _status(handler, "办理中")
    # an extension needs its reason: the dialog says so and sends nothing
    handler.locator("[data-test=detail-actions] [data-action=request_extension]").click()
    dialog = handler.locator(".action-dialog:visible")
    dialog.locator("[data-test=action-submit]").click()
    expect(dialog).to_contain_text("请填写原因")
    _box(dialog, "field-days").fill("2")
    _box(dialog, "field-reason").fill("需调取上门检查的执法记录仪视频")
    dialog.locator("[data-test=action-submit]").click()
    expect(handler.locator("[data-test=detail-extensions]")).to_contain_text("待审批")
    expect(handler.locator("[data-test=detail-actions] [data-action=request_extension]")).to_have_count(0)

    supervisor = page_factory(DESKTOP)
    login(supervisor, world, "supervisor", "/staff/petitions")
    _queue(supervisor, "extensions")
    expect(supervisor.locator("[data-test=count-extensions]")).to_have_text("1")
    row = supervisor.locator(f"[data-test=petition-row][data-ticket='{ticket}']")
    expect(supervisor.locator(".petition-table")).to_contain_text("需调取上门检查的执法记录仪视频")
    row.click()
    _step(supervisor, "approve_extension", note="同意，请按期办结")
    expect(supervisor.locator("[data-test=detail-extensions]")).to_contain_text("已批准")
    expect(supervisor.locator("[data-test=petition-detail]")).to_contain_text("已延期2 个工作日")
    supervisor.keyboard.press("Escape")
    expect(supervisor.locator(f"[data-test=petition-row][data-ticket='{ticket}']")).to_have_count(0)
    expect(supervisor.locator("[data-test=count-extensions]")).to_have_count(0)

    handler.reload()
    _queue(handler, "handling")
    _open_ticket(handler, ticket)
    expect(handler.locator("[data-test=detail-extensions]")).to_contain_text("孙局")  # who approved
    _step(handler, "resolve", resolution="经核实，检查人员已补正文书，向纳税人致歉。")
    _status(handler, "已办结")
    _step(handler, "feed_back")
    _status(handler, "已反馈")

    staff.reload()
    _queue(staff, "visit")
    # the 回访 due list: each row with its visit clock (5 working days after the feedback)
    row = staff.locator(".petition-table .el-table__row", has=staff.locator(f"[data-ticket='{ticket}']"))
    expect(row.locator(".clock-tag")).to_contain_text("回访时限")
    expect(row.locator(".clock-tag")).to_have_attribute("data-clock", "on_track")
    _open_ticket(staff, ticket)
    expect(staff.locator("[data-test=visit-clock]")).to_contain_text("回访时限")
    _step(staff, "return_visit", satisfaction=4, note="纳税人表示满意")
    expect(staff.locator("[data-test=visit-clock]")).to_contain_text("按期完成")
    _status(staff, "已回访")
    _step(staff, "close")
    _status(staff, "已关闭")
    expect(staff.locator("[data-test=detail-actions]")).to_have_count(0)
    ledger = staff.locator("[data-test=ledger-entry]").all_inner_texts()
    steps = [entry.split("·")[0].split("\n")[-1].strip() for entry in ledger]
    assert steps == ["受理登记", "转交纳税服务部门", "转交办理部门", "开始办理", "申请延期", "批准延期", "办结",
                     "反馈办理结果", "回访", "关闭"], ledger
    assert re.search(r"[a-z_]{4,}", staff.inner_text("[data-test=petition-detail]")) is None, "an English key"


def _listed(page):
    expect(page.locator(".petition-table .el-loading-mask")).to_have_count(0)
    return sorted(page.locator(".petition-table [data-test=petition-row]").evaluate_all(
        "(links) => links.map((a) => a.dataset.ticket)"))


def _exported(page):
    page.click("[data-test=export]")
    with page.expect_download() as download:
        page.locator("[data-test=export-csv]:visible").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))  # noqa: SIM115
    assert rows[0][0] == "受理编号"
    return sorted(row[0] for row in rows[1:])


def test_the_ledger_export_holds_exactly_the_rows_the_list_shows(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "operator", "/staff/petitions")
    _queue(page, "all")
    everything = _listed(page)
    assert len(everything) >= len(SEEDED)
    _choose(page, page.locator("[data-test=filter-category]"), "政策落实类")
    expect(page.locator("[data-test=list-total]")).to_have_text("共 3 件")
    policy = _listed(page)
    assert _exported(page) == policy
    _box(page, "filter-q").fill("丙科技")
    page.click("[data-test=filter-search]")
    expect(page.locator("[data-test=list-total]")).to_have_text("共 1 件")
    assert _exported(page) == _listed(page)

    page.get_by_role("button", name="重置").click()
    _queue(page, "overdue")  # received 40 days ago and never handed over: overdue
    expect(page.locator("[data-test=list-total]")).to_have_text("共 2 件")
    expect(page.locator("[data-test=count-overdue]")).to_have_text("2")  # the tab's count is the list's total
    expect(page.locator("[data-test=count-overdue]")).to_have_class(re.compile("alert"))
    overdue = _listed(page)
    expect(page.locator(".petition-table [data-clock=overdue]").first).to_contain_text("超期")
    screenshot(page, "petitions-list-desktop")
    assert _exported(page) == overdue
    _open_ticket(page, overdue[0])
    expect(page.locator("[data-test=ledger-entry]")).to_have_count(1)
    expect(page.locator("[data-test=detail-actions]")).to_have_count(0)  # an operator reads, never acts
    _settled(page)
    screenshot(page, "petitions-detail-desktop")


def test_on_a_phone_the_queue_is_cards_and_the_detail_fills_the_screen(page_factory, world):
    page = page_factory(PHONE, has_touch=True, is_mobile=True)
    login(page, world, "staff", "/staff/petitions")
    cards = page.locator(".petition-card")
    expect(cards.first).to_be_visible()
    for box in [cards.nth(i).bounding_box() for i in range(cards.count())]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 1
    expect(page.locator(".petition-card [data-clock]").first).to_be_visible()
    expect(page.locator("[data-test=filter-category]")).to_be_hidden()  # folded away on a phone
    page.click("[data-test=filter-more]")
    expect(page.locator("[data-test=filter-category]")).to_be_visible()
    page.click("[data-test=filter-more]")
    screenshot(page, "petitions-list-phone")
    cards.first.tap()
    drawer = page.locator(".petition-drawer")
    expect(drawer.locator("[data-test=detail-status]")).to_have_text("已受理登记")
    _settled(page)
    box = page.locator(".el-drawer.petition-drawer, .petition-drawer .el-drawer").first.bounding_box()
    assert box["x"] >= -1 and box["x"] + box["width"] <= PHONE[0] + 1  # the whole screen, nothing beyond it
    box = page.locator("[data-test=detail-actions] [data-action=hand_over]").bounding_box()
    assert box["x"] + box["width"] <= PHONE[0] and box["height"] >= 32  # on screen and big enough to tap
    screenshot(page, "petitions-detail-phone")


def test_a_supervisor_downloads_last_months_bulletin_opens_last_weeks_to_print_and_a_seat_is_not_offered_it(page_factory, world):
    from openpyxl import load_workbook

    page = page_factory(DESKTOP)
    login(page, world, "supervisor", "/staff/petitions")
    page.click("[data-test=bulletin]")
    with page.expect_download() as download:
        page.locator("[data-test=bulletin-month]:visible").click()
    assert download.value.suggested_filename.startswith("诉求通报-上月-")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))  # the saved file has no extension  # noqa: SIM115
    assert "概况" in book.sheetnames
    # the printable page (it needs the token): a new window of the app's origin, styled by its own stylesheet
    page.click("[data-test=bulletin]")
    with page.expect_popup() as opened:
        page.locator("[data-test=bulletin-week-page]:visible").click()
    report = opened.value
    expect(report.locator("h1")).to_contain_text("诉求办理情况通报", timeout=60_000)
    expect(report.locator("table.summary")).to_contain_text("受理量")
    # its stylesheet loads after the written page shows: wait for it to apply (a timeout fails the test)
    report.wait_for_function("() => getComputedStyle(document.querySelector('h2')).borderLeftStyle === 'solid'",
                             timeout=30_000)
    screenshot(report, "petitions-bulletin-window-desktop")
    seat = page_factory(DESKTOP)
    login(seat, world, "staff", "/staff/petitions")
    expect(seat.locator("[data-test=export]")).to_be_visible()
    expect(seat.locator("[data-test=bulletin]")).to_have_count(0)


def test_a_long_term_suggestion_waits_in_its_own_queue_not_among_the_handlers_work(page_factory, world):
    """长期跟踪: a system-improvement suggestion recorded for later has its own tab (the server's `long_term`
    queue), stays out of 待办理 (as the server's `to_handle` queue), and its 台账 is the tab's rows."""
    import httpx

    from tests.browser.staffkit import PASSWORD

    def headers(username):
        token = httpx.post(world.url + "/api/auth/token", data={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def post(path, username, **body):
        response = httpx.post(world.url + path, json=body, headers=headers(username))
        assert response.status_code in (200, 201), response.text
        return response.json()

    created = post("/api/petitions", "staff", taxpayer_name="成都锦江区庚软件有限公司", contact_phone="13800138001",
                   category="信息化建设类", channel="税务网站", content="建议电子税务局增加批量开具红字发票的功能")
    post(f"/api/petitions/{created['id']}/hand-over", "staff", service_unit_id=world.units["service"])
    post(f"/api/petitions/{created['id']}/assign", "staff", unit_ids=[world.units["handling"]], long_term=True,
         reason="涉及全国版电子税务局功能，记录后待条件成熟时解决")
    short = post("/api/petitions", "staff", taxpayer_name="成都锦江区辛商贸有限公司", contact_phone="13800138002",
                 category="信息化建设类", channel="税务网站", content="电子税务局申报时提示系统错误，无法提交")
    post(f"/api/petitions/{short['id']}/hand-over", "staff", service_unit_id=world.units["service"])
    post(f"/api/petitions/{short['id']}/assign", "staff", unit_ids=[world.units["handling"]])

    page = page_factory(DESKTOP)
    login(page, world, "handler", "/staff/petitions")
    _queue(page, "start")
    assert short["ticket"] in _listed(page) and created["ticket"] not in _listed(page)
    _queue(page, "long_term")
    expect(page.locator("[data-test=list-total]")).to_have_text("共 1 件")
    assert _listed(page) == [created["ticket"]]
    assert _exported(page) == [created["ticket"]]
    _open_ticket(page, created["ticket"])
    expect(page.locator("[data-test=petition-detail]")).to_contain_text("长期跟踪")
    expect(page.locator("[data-test=detail-actions] [data-action=start]")).to_be_visible()  # still the handler's
