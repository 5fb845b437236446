"""Joint handling in the 诉求 section, on the real API: the lead department invites an outside department
(市场监管) to co-handle, each co-department sees only its own step and writes its part, the lead resolves once
every part is in, and the detail shows every department's answer with the ledger."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.petitionpage import _open_ticket, _step
from tests.browser.staffkit import DESKTOP, PASSWORD, login, screenshot, staff_world


def _seed(session, world):
    from api.auth.security import hash_password
    from api.org.service import create_staff, create_unit

    password = hash_password(PASSWORD, iterations=1_000)
    policy = create_unit(session=session, name="税政科", level="city", kind="handling_department",
                         parent_id=world.units["city"])
    market = create_unit(session=session, name="市市场监督管理局", level="city", kind="outside_department",
                         parent_id=world.units["city"])
    session.flush()
    create_staff(session=session, username="cohandler", display_name="郑协办", role="handler", unit_id=policy.id,
                 password_hash=password)
    create_staff(session=session, username="market", display_name="冯监管", role="handler", unit_id=market.id,
                 password_hash=password)
    world.units.update(policy=policy.id, market=market.id)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=_seed)
    login_form = {"username": "staff", "password": PASSWORD}
    staff = {"Authorization": "Bearer " + httpx.post(built.url + "/api/auth/token", data=login_form).json()["access_token"]}
    body = dict(taxpayer_name="成都联合办理商贸有限公司", contact_phone="13800138000", category="政策落实类",  # noqa: C408
                channel="12366热线", content="办理营业执照变更后，税务登记信息迟迟没有同步，影响开票。")
    petition = httpx.post(built.url + "/api/petitions", json=body, headers=staff).json()
    for step, payload in (("hand-over", {"service_unit_id": built.units["service"]}),
                          ("assign", {"unit_ids": [built.units["handling"], built.units["policy"]]})):
        response = httpx.post(f"{built.url}/api/petitions/{petition['id']}/{step}", json=payload, headers=staff)
        assert response.status_code == 200, response.text
    built.extra["petition"] = petition
    yield built
    built.server.stop()


def _buttons(page):
    return sorted(page.locator("[data-test=detail-actions] [data-action]").evaluate_all(
        "(buttons) => buttons.map((b) => b.dataset.action)"))


def test_each_department_does_its_part_and_the_lead_resolves_when_all_are_in(page_factory, world):
    ticket = world.extra["petition"]["ticket"]

    lead = page_factory(DESKTOP)
    login(lead, world, "handler", "/staff/petitions")
    lead.locator("#tab-all").click()
    _open_ticket(lead, ticket)
    _step(lead, "start")
    assert "resolve" not in _buttons(lead)  # 税政科's part is still open
    _step(lead, "add_co_handler", unit="市市场监督管理局", reason="涉及营业执照变更信息的共享")
    expect(lead.locator("[data-test=handler]")).to_have_count(3)

    for username, answer in (("cohandler", "已核对税务登记信息并完成同步。"), ("market", "执照变更信息已于当日推送共享平台。")):
        page = page_factory(DESKTOP)
        login(page, world, username, "/staff/petitions")
        page.locator("#tab-all").click()
        _open_ticket(page, ticket)
        assert _buttons(page) == ["complete_task"]  # a co-department never transfers, resolves or closes
        _step(page, "complete_task", answer=answer)
        expect(page.locator("[data-test=task-answers]")).to_contain_text(answer)

    lead.reload()
    lead.locator("#tab-all").click()
    _open_ticket(lead, ticket)
    assert "resolve" in _buttons(lead)  # every part is in
    _step(lead, "resolve", resolution="税务登记信息已同步，可正常开票。")
    answers = lead.locator("[data-test=task-answers]")
    expect(answers).to_contain_text("税政科")
    expect(answers).to_contain_text("市市场监督管理局")
    expect(lead.locator("[data-test=ledger]")).to_contain_text("提交协办意见")
    screenshot(lead, "petitions-joint-desktop")
