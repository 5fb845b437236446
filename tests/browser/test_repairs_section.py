"""信用修复 in the staff app, against the real API: a seat of the service department sees its unit's credit-repair
applications (never another unit's) with the enterprise, the deduction and the clock, opens one, and approves it
with a reason; the decision is stored and the application moves to 已通过. Desktop and phone screenshots."""
from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.database import make_engine
from tests.browser.staffkit import DESKTOP, PASSWORD, PHONE, login, open_section, screenshot, staff_world

OURS, SECOND, THEIRS = "成都蓉信小微商贸有限公司", "成都锦江便民超市", "外区某科技有限公司"
NOTE = "已核实逾期申报已补正，同意修复。"


def _enterprise(session, index: int, name: str, *, corrected: date | None):
    """An enterprise at B with one repairable overdue-filing deduction, reminded of it."""
    from api.core.time import aware_now
    from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise
    from tools.demo.enterprises import make_demo_uscc

    now = aware_now()
    enterprise = Enterprise(uscc=make_demo_uscc(index, "510104", "company"), name=name, taxpayer_type="small_scale",
                            kind="company", industry_code="F52", industry="零售业", region="四川省成都市锦江区",
                            registration_date=date(2019, 3, 1), created_at=now, updated_at=now)
    session.add(enterprise)
    session.flush()
    record = CreditRecord(enterprise_id=enterprise.id, year=now.year - 1, level="B", score=86, synced_at=now)
    session.add(record)
    session.flush()
    deduction = CreditDeduction(credit_record_id=record.id, reason_code="overdue_filing",
                                reason="未按规定期限填报纳税申报表", points=5, occurred_on=date(now.year - 1, 10, 16),
                                corrected_on=corrected, repairable=True, synced_at=now)
    session.add(deduction)
    session.flush()
    return enterprise, deduction


def _apply(session, enterprise, deduction, unit_id: int):
    """The enterprise answers its credit reminder with 申请修复 (the services the chat uses)."""
    from api.core.time import aware_now
    from api.reminder import service
    from api.reminder.models import Reminder

    now = aware_now()
    reminder = Reminder(enterprise_id=enterprise.id, uscc=enterprise.uscc, rule_id="credit-repair-application",
                        type="credit", topic="credit-repair", key=f"deduction:{deduction.id}",
                        title="已纠正的扣分可申请纳税信用修复", message="贵单位的逾期申报已补正，可以申请纳税信用修复。",
                        reasons=["纳税信用 B级，属于B级及以下", "逾期申报已于补正后纠正"],
                        values={"deduction_ids": [deduction.id]}, status="delivered", created_at=now,
                        delivered_at=now - timedelta(hours=1))
    session.add(reminder)
    session.flush()
    service.record_answer(reminder, "apply", None, session=session, now=now)
    return service.apply_repair(reminder, session=session, now=now, unit_id=unit_id)[0]


def seed(session, world) -> None:
    from api.org.service import create_unit

    other = create_unit(session=session, name="外区税务局", level="city", kind="tax_unit",
                        parent_id=world.units["province"])
    session.flush()
    corrected = date.today() - timedelta(days=20)  # noqa: DTZ011
    ours = _apply(session, *_enterprise(session, 101, OURS, corrected=corrected), world.units["service"])
    second = _apply(session, *_enterprise(session, 102, SECOND, corrected=corrected), world.units["service"])
    theirs = _apply(session, *_enterprise(session, 103, THEIRS, corrected=corrected), other.id)
    world.extra.update(ours=ours.id, second=second.id, theirs=theirs.id, corrected=corrected.isoformat())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=seed)
    yield built
    built.server.stop()


def stored(world, application_id: int):
    from api.reminder.models import RepairApplication

    engine = make_engine(world.database_url)
    try:
        with Session(engine) as session:
            return session.execute(select(RepairApplication).where(RepairApplication.id == application_id)).scalar_one()
    finally:
        engine.dispose()


def token(world, username: str) -> str:
    answer = httpx.post(world.url + "/api/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_the_unit_decides_its_own_application_in_the_browser(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "staff")
    open_section(page, "repairs")
    page.wait_for_url(re.compile(r"/staff/repairs$"))
    table = page.locator("[data-test=repair-table]")
    table.locator(".repair-row").first.wait_for()
    page.wait_for_selector(".repairs .el-loading-mask", state="detached")
    text = table.inner_text()
    assert OURS in text and SECOND in text and THEIRS not in text  # another unit's application is not ours to see
    assert "未按规定期限填报纳税申报表（扣5分）" in text and "剩 " in text and "个工作日" in text
    assert page.locator("[data-test=repair-status] .is-active").inner_text() == "已受理"  # the server's label
    screenshot(page, "repairs-list-desktop")

    table.locator(".repair-row", has_text=OURS).click()
    detail = page.locator("[data-test=repair-detail]")
    detail.locator("[data-test=repair-deduction]").wait_for()
    assert f"已于 {world.extra['corrected']} 纠正" in detail.inner_text()
    assert "纳税信用 B级，属于B级及以下" in detail.inner_text()  # why the enterprise was reminded
    page.click("[data-test=repair-submit]")
    page.get_by_text("请选择审核结果：通过或不通过").wait_for()
    assert stored(world, world.extra["ours"]).status == "received"  # nothing is decided without a choice and a reason
    detail.locator("[data-test=repair-approve] label", has_text="通过").first.click()
    detail.locator("textarea[data-test=repair-note]").fill(NOTE)
    screenshot(page, "repairs-detail-desktop")
    page.click("[data-test=repair-submit]")
    decision = detail.locator("[data-test=repair-decision]")
    decision.wait_for()
    assert "已通过" in decision.inner_text() and NOTE in decision.inner_text() and "王芳" in decision.inner_text()

    application = stored(world, world.extra["ours"])
    assert (application.status, application.decision_note, application.decided_by_staff_id) == (
        "approved", NOTE, world.staff_ids["staff"])
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('[data-test=repair-table]').innerText.includes(%r)" % OURS)  # noqa: UP031
    page.locator("[data-test=repair-status] label", has_text="已通过").click()
    page.wait_for_function("() => document.querySelector('[data-test=repair-table]')?.innerText.includes(%r)" % OURS)  # noqa: UP031
    assert SECOND not in page.locator("[data-test=repair-table]").inner_text()


def test_another_units_application_cannot_be_opened_or_decided(world):
    headers = {"Authorization": f"Bearer {token(world, 'staff')}"}
    theirs = world.extra["theirs"]
    opened = httpx.get(f"{world.url}/api/repairs/{theirs}", headers=headers)
    assert opened.status_code == 404 and "不属于本单位" in opened.json()["detail"]
    decided = httpx.post(f"{world.url}/api/repairs/{theirs}/decision", headers=headers,
                         json={"approve": True, "note": "越权审核"})
    assert decided.status_code == 404
    assert stored(world, theirs).status == "received"
    listed = httpx.get(f"{world.url}/api/repairs", params={"status": "all"}, headers=headers).json()
    assert theirs not in {row["id"] for row in listed} and world.extra["second"] in {row["id"] for row in listed}
    unknown = httpx.get(f"{world.url}/api/repairs", params={"status": "pending"}, headers=headers)
    assert unknown.status_code == 422 and "申请状态" in unknown.json()["detail"]
    operator = httpx.get(f"{world.url}/api/repairs", headers={"Authorization": f"Bearer {token(world, 'operator')}"})
    assert operator.status_code == 403


def test_on_a_phone_the_applications_are_cards_and_the_detail_fills_the_screen(page_factory, world):
    page = page_factory(PHONE, has_touch=True, is_mobile=True)
    login(page, world, "supervisor", path="/staff/repairs")  # the city bureau above the service department
    cards = page.locator("[data-test=repair-cards]")
    cards.locator(".card", has_text=SECOND).wait_for()
    page.wait_for_selector(".repairs .el-loading-mask", state="detached")
    assert not page.locator("[data-test=repair-table]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # nothing cut off sideways
    screenshot(page, "repairs-list-phone")
    cards.locator(".card", has_text=SECOND).tap()
    detail = page.locator("[data-test=repair-detail]")
    detail.locator("[data-test=repair-deduction]").wait_for()
    submit = page.locator("[data-test=repair-submit]")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] and box["height"] >= 32
    screenshot(page, "repairs-detail-phone")
