"""Petition routes over HTTP against the real database: roles and units, the life cycle, refusals,
the ledger list with its filters, and the bot's internal routes."""
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest

from api.core.time import china_date
from common.identifiers import make_uscc
from common.workdays import china_today, due_date
from tests.api.conftest import petition_body


@pytest.fixture
def assigned(client, world, auth, register):
    """A petition registered by the service department and assigned to the collection department (A)."""
    def make(**overrides):
        p = register(**overrides)
        post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
        return post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    return make


def post(client, petition, step, headers, expect=200, **body):
    response = client.post(f"/api/petitions/{petition['id']}/{step}", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


# -- registration ------------------------------------------------------------------------------

def test_staff_register_with_the_channel_given_and_their_unit_accepting(register, world):
    p = register(channel="12366平台")
    assert p["channel"] == "12366平台" and p["status"] == "registered" and p["ticket"].startswith("SQ-")
    assert p["accepting_unit_id"] == world.service_dept.id and p["accepting_staff_id"] == world.registrar.id
    assert p["contact_phone"] == "13800138000" and p["clocks"]["handover"]["state"] in ("on_track", "due_soon")


@pytest.mark.parametrize("channel", ["办税服务厅", "税务机关电话", "12366热线"])
def test_a_petition_taken_at_the_hall_or_by_phone_keeps_its_channel(client, world, auth, register, channel):
    """Hall and phone petitions are recorded as such (not lumped into 其他), so the list filters them and the
    statistics count them by channel."""
    p = register(channel=channel)
    assert p["channel"] == channel
    listed = client.get("/api/petitions", params={"channel": channel, "q": p["ticket"]},
                        headers=auth(world.registrar)).json()["items"]
    assert [item["ticket"] for item in listed] == [p["ticket"]]


@pytest.mark.parametrize("field, value, message", [
    ("category", "投诉类", "诉求类别“投诉类”不存在"),
    ("contact_phone", "12366", "是服务热线"),
    ("contact_phone", "12345", "是服务热线"),
    ("contact_phone", "138001", "联系电话“138001”无效"),
    ("uscc", "91510100MA6CXXXXX0", "统一社会信用代码"),
    ("channel", "微信", "受理渠道“微信”不存在"),
])
def test_invalid_registrations_are_422_with_a_chinese_reason(client, world, auth, field, value, message):
    response = client.post("/api/petitions", json=petition_body(**{field: value}), headers=auth(world.registrar))
    assert response.status_code == 422 and message in response.json()["detail"], response.text


def test_a_missing_field_is_422_naming_it(client, world, auth):
    body = petition_body()
    del body["taxpayer_name"]
    response = client.post("/api/petitions", json=body, headers=auth(world.registrar))
    assert response.status_code == 422 and "taxpayer_name" in response.json()["detail"]


def test_handlers_and_operators_do_not_register(client, world, auth):
    for who in (world.handler, world.operator):
        response = client.post("/api/petitions", json=petition_body(), headers=auth(who))
        assert response.status_code == 403, response.text


# -- the life cycle ----------------------------------------------------------------------------

def test_full_life_cycle_over_http(client, world, auth, register):
    p = register()
    p = post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    assert p["status"] == "handed_over" and p["service_unit_id"] == world.service_dept.id
    p = post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    assert p["status"] == "assigned" and p["handling_unit_id"] == world.collection.id and p["handling_due"]
    p = post(client, p, "start", auth(world.handler))
    assert p["status"] == "in_progress"

    response = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 3, "reason": "需调取三年申报数据核实"},
                           headers=auth(world.handler))
    assert response.status_code == 201, response.text
    extension = response.json()
    assert extension["status"] == "pending"
    response = client.post(f"/api/petitions/extensions/{extension['id']}/approve", json={"note": "同意"},
                           headers=auth(world.supervisor))
    assert response.status_code == 200 and response.json()["status"] == "approved"

    p = post(client, p, "resolve", auth(world.handler), resolution="已修复勾选功能，请重新申报。")
    assert p["status"] == "resolved" and p["extended_days"] == 3 and p["feedback_due"]
    p = post(client, p, "feedback", auth(world.handler), message="已电话告知")
    p = post(client, p, "return-visit", auth(world.clerk), satisfaction=5, note="满意")
    assert p["status"] == "visited" and p["satisfaction"] == 5
    p = post(client, p, "close", auth(world.clerk))
    assert p["status"] == "closed" and p["closed_at"]

    detail = client.get(f"/api/petitions/{p['id']}", headers=auth(world.clerk)).json()
    assert [e["action"] for e in detail["events"]] == [
        "register", "hand_over", "assign", "start", "request_extension", "approve_extension", "resolve", "feed_back",
        "return_visit", "close"]
    assert all(e["actor"] for e in detail["events"])
    assert [x["status"] for x in detail["extensions"]] == ["approved"]
    lead = detail["handlers"][0]
    assert detail["handlers"] == [{"unit_id": world.collection.id, "unit_name": world.collection.name,
                                   "unit_kind": "handling_department", "lead": True,
                                   "assigned_at": lead["assigned_at"], "completed": True,
                                   "answer": "已修复勾选功能，请重新申报。", "completed_at": lead["completed_at"],
                                   "completed_by": world.handler.id,  # the lead's part is its resolution
                                   # the lead's task runs on the handling deadline, met when it resolved
                                   "due": detail["petition"]["handling_due"], "due_days": None,
                                   "clock": {"due": detail["petition"]["handling_due"], "state": "met",
                                             "days_left": None}}]
    assert detail["petition"]["handling_due"] > detail["events"][2]["data"]["handling_due"]  # moved by 3 days


def test_illegal_transition_is_409_with_the_reason(client, world, auth, register):
    p = register()
    response = client.post(f"/api/petitions/{p['id']}/close", headers=auth(world.registrar))
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "当前状态为“已受理登记”，不能关闭" in response.json()["detail"]
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    again = client.post(f"/api/petitions/{p['id']}/hand-over", json={"service_unit_id": world.service_dept.id},
                        headers=auth(world.registrar))
    assert again.status_code == 409 and "不能转交纳税服务部门" in again.json()["detail"]


def test_hand_over_to_a_unit_that_is_not_a_service_department_is_422(client, world, auth, register):
    p = register()
    response = client.post(f"/api/petitions/{p['id']}/hand-over", json={"service_unit_id": world.collection.id},
                           headers=auth(world.registrar))
    assert response.status_code == 422 and "不是纳税服务部门" in response.json()["detail"]


def test_extension_needs_a_reason(client, world, auth, assigned):
    p = assigned()
    url = f"/api/petitions/{p['id']}/extensions"
    missing = client.post(url, json={"days": 2}, headers=auth(world.handler))
    assert missing.status_code == 422 and "reason" in missing.json()["detail"]
    blank = client.post(url, json={"days": 2, "reason": "   "}, headers=auth(world.handler))
    assert blank.status_code == 422 and blank.json()["detail"] == "申请延期必须说明原因"
    zero = client.post(url, json={"days": 0, "reason": "需核实"}, headers=auth(world.handler))
    assert zero.status_code == 422


def test_extension_rejection_needs_a_note_and_only_approvers_decide(client, world, auth, assigned):
    p = assigned()
    ext = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 2, "reason": "需外部门配合"},
                      headers=auth(world.handler)).json()
    url = f"/api/petitions/extensions/{ext['id']}"
    assert client.post(f"{url}/approve", headers=auth(world.handler)).status_code == 403
    assert client.post(f"{url}/reject", json={}, headers=auth(world.director)).status_code == 422
    rejected = client.post(f"{url}/reject", json={"note": "可在时限内办结"}, headers=auth(world.director))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = client.post(f"{url}/approve", headers=auth(world.supervisor))
    assert again.status_code == 409
    assert client.post("/api/petitions/extensions/999999999/approve", headers=auth(world.supervisor)).status_code == 404


def test_in_joint_handling_only_the_lead_resolves_and_a_director_approves(client, world, auth, register):
    p = register()
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    p = post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id, world.policy.id])
    assert p["joint"] is True
    post(client, p, "start", auth(world.handler))  # the lead starts
    ext = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 2, "reason": "两部门需会商"},
                      headers=auth(world.handler)).json()
    by_supervisor = client.post(f"/api/petitions/extensions/{ext['id']}/approve", headers=auth(world.supervisor))
    assert by_supervisor.status_code == 403 and "主要领导" in by_supervisor.json()["detail"]
    by_director = client.post(f"/api/petitions/extensions/{ext['id']}/approve", headers=auth(world.director))
    assert by_director.status_code == 200
    not_lead = client.post(f"/api/petitions/{p['id']}/resolve", json={"resolution": "已答复"},
                           headers=auth(world.policy_handler))
    assert not_lead.status_code == 403 and "主办部门" in not_lead.json()["detail"]
    post(client, p, f"tasks/{world.policy.id}/complete", auth(world.policy_handler), answer="政策口径已确认")
    assert post(client, p, "resolve", auth(world.handler), resolution="已答复")["status"] == "resolved"


def test_a_handler_outside_the_petition_cannot_act_on_it(client, world, auth, assigned):
    p = assigned()
    response = client.post(f"/api/petitions/{p['id']}/resolve", json={"resolution": "x"},
                           headers=auth(world.policy_handler))
    assert response.status_code == 404


# -- who sees what -----------------------------------------------------------------------------

def test_handler_of_another_unit_cannot_see_the_petition(client, world, auth, assigned):
    p = assigned()
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.handler)).status_code == 200
    hidden = client.get(f"/api/petitions/{p['id']}", headers=auth(world.district_handler))
    assert hidden.status_code == 404 and "不存在或不在您的权限范围内" in hidden.json()["detail"]
    missing = client.get("/api/petitions/999999999", headers=auth(world.district_handler))
    assert missing.status_code == 404 and missing.json()["detail"] == hidden.json()["detail"].replace(
        str(p["id"]), "999999999")  # the same answer: existence is not disclosed
    listed = client.get("/api/petitions", params={"q": p["ticket"]}, headers=auth(world.district_handler)).json()
    assert listed["total"] == 0
    acting = client.post(f"/api/petitions/{p['id']}/start", headers=auth(world.district_handler))
    assert acting.status_code == 404


def test_handler_sees_only_once_assigned(client, world, auth, register):
    p = register()
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.handler)).status_code == 404
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id, world.policy.id])
    for handler in (world.handler, world.policy_handler):  # joint handling: both departments
        assert client.get(f"/api/petitions/{p['id']}", headers=auth(handler)).status_code == 200


def test_staff_of_another_city_cannot_see_or_act(client, world, auth, register):
    p = register()
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.other_staff)).status_code == 404
    response = client.post(f"/api/petitions/{p['id']}/hand-over", json={"service_unit_id": world.other_service.id},
                           headers=auth(world.other_staff))
    assert response.status_code == 404


def test_operator_lists_all_but_cannot_act(client, world, auth, register):
    marker = uuid4().hex[:10]
    mine = register(marker=marker)
    theirs = register(staff=world.other_staff, marker=marker)
    everything = client.get("/api/petitions", params={"q": marker}, headers=auth(world.operator)).json()
    assert {i["id"] for i in everything["items"]} == {mine["id"], theirs["id"]} and everything["total"] == 2
    scoped = client.get("/api/petitions", params={"q": marker}, headers=auth(world.supervisor)).json()
    assert [i["id"] for i in scoped["items"]] == [mine["id"]]
    response = client.post(f"/api/petitions/{mine['id']}/hand-over", json={"service_unit_id": world.service_dept.id},
                           headers=auth(world.operator))
    assert response.status_code == 403 and "运营人员" in response.json()["detail"]


def test_visible_but_wrong_role_or_unit_is_403(client, world, auth, assigned):
    p = assigned()
    as_handler = client.post(f"/api/petitions/{p['id']}/close", headers=auth(world.handler))
    assert as_handler.status_code == 403  # handlers do not close
    as_supervisor = client.post(f"/api/petitions/{p['id']}/start", headers=auth(world.supervisor))
    assert as_supervisor.status_code == 403  # supervisors see it but do not handle it


def test_staff_who_registered_elsewhere_still_see_their_own(client, world, auth, register):
    p = register(staff=world.other_staff)
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.other_staff)).status_code == 200
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.registrar)).status_code == 404


# -- the ledger list ---------------------------------------------------------------------------

def test_pagination_is_newest_first_with_a_total(client, world, auth, register):
    marker = uuid4().hex[:10]
    now = datetime.now(timezone.utc)
    made = [register(marker=marker, received_at=(now - timedelta(hours=h)).isoformat()) for h in (3, 1, 2)]
    headers = auth(world.operator)
    first = client.get("/api/petitions", params={"q": marker, "page_size": 2}, headers=headers).json()
    second = client.get("/api/petitions", params={"q": marker, "page_size": 2, "page": 2}, headers=headers).json()
    assert first["total"] == second["total"] == 3 and (first["page"], second["page"]) == (1, 2)
    assert [i["id"] for i in first["items"] + second["items"]] == [made[1]["id"], made[2]["id"], made[0]["id"]]
    assert client.get("/api/petitions", params={"page_size": 101}, headers=headers).status_code == 422
    assert client.get("/api/petitions", params={"page": 0}, headers=headers).status_code == 422


def test_filters_by_status_category_channel_unit_and_text(client, world, auth, register, assigned):
    marker = uuid4().hex[:10]
    a = register(marker=marker, category="纳税服务类", channel="12366平台")
    b = assigned(marker=marker, category="执法规范类", channel="税务网站", taxpayer_name=f"锦江餐饮店{marker}")
    headers = auth(world.supervisor)

    def ids(**params):
        response = client.get("/api/petitions", params={"q": marker, **params}, headers=headers)
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()["items"]}

    assert ids() == {a["id"], b["id"]}
    assert ids(status="registered") == {a["id"]} and ids(status="assigned") == {b["id"]}
    assert ids(category="执法规范类") == {b["id"]} and ids(channel="12366平台") == {a["id"]}
    assert ids(unit_id=world.collection.id) == {b["id"]} and ids(unit_id=world.policy.id) == set()
    assert ids(accepting_unit_id=world.service_dept.id) == {a["id"], b["id"]}
    name = client.get("/api/petitions", params={"q": f"锦江餐饮店{marker}"}, headers=headers).json()
    assert [i["id"] for i in name["items"]] == [b["id"]]
    by_ticket = client.get("/api/petitions", params={"q": a["ticket"].lower()}, headers=headers).json()
    assert [i["id"] for i in by_ticket["items"]] == [a["id"]]
    bad = client.get("/api/petitions", params={"category": "投诉类"}, headers=headers)
    assert bad.status_code == 422 and "诉求类别" in bad.json()["detail"]
    assert client.get("/api/petitions", params={"status": "lost"}, headers=headers).status_code == 422


def test_date_range_is_inclusive_in_shanghai_days(client, world, auth, register):
    marker = uuid4().hex[:10]
    now = datetime.now(timezone.utc)
    old = register(marker=marker, received_at=(now - timedelta(days=10)).isoformat())
    new = register(marker=marker)
    headers = auth(world.operator)
    old_day, today = china_date(now - timedelta(days=10)), china_date(now)

    def ids(**params):
        return {i["id"] for i in client.get("/api/petitions", params={"q": marker, **params}, headers=headers)
                .json()["items"]}

    assert ids(received_from=old_day.isoformat(), received_to=old_day.isoformat()) == {old["id"]}
    assert ids(received_from=today.isoformat()) == {new["id"]}
    assert ids(received_to=(old_day + timedelta(days=1)).isoformat()) == {old["id"]}
    backwards = client.get("/api/petitions", params={"received_from": today.isoformat(),
                                                      "received_to": old_day.isoformat()}, headers=headers)
    assert backwards.status_code == 422


def test_overdue_filter_finds_a_petition_whose_due_date_passed(client, world, auth, register):
    marker = uuid4().hex[:10]
    late = register(marker=marker, received_at=(datetime.now(timezone.utc) - timedelta(days=20)).isoformat())
    fresh = register(marker=marker)
    assert late["clocks"]["handover"]["state"] == "overdue" and late["handover_due"] < china_today().isoformat()
    headers = auth(world.registrar)
    overdue = client.get("/api/petitions", params={"q": marker, "clock": "overdue"}, headers=headers).json()
    assert [i["id"] for i in overdue["items"]] == [late["id"]] and overdue["total"] == 1
    handover = client.get("/api/petitions", params={"q": marker, "clock": "handover_overdue"}, headers=headers).json()
    assert [i["id"] for i in handover["items"]] == [late["id"]]
    handling = client.get("/api/petitions", params={"q": marker, "clock": "handling_overdue"}, headers=headers).json()
    assert handling["total"] == 0 and fresh["clocks"]["handover"]["state"] != "overdue"


# -- internal routes for the bot ---------------------------------------------------------------

def bot_body(**overrides) -> dict:
    body = dict(content="电子税务局申报小规模减免时系统报错，无法提交。", category="信息化建设类",  # noqa: C408
                taxpayer_name="成都小微商贸有限公司", uscc=None, contact_phone="13912345678",
                sender_id=f"conv-{uuid4().hex[:8]}", idempotency_key=uuid4().hex)
    body.update(overrides)
    return body


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-of-some-length"},
                                     {"Authorization": "Basic Ym90OnNlY3JldA=="}])
def test_internal_routes_need_the_service_token(client, headers):
    for path, body in (("/api/internal/petitions", bot_body()), ("/api/internal/petitions/status", {})):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 401 and "服务凭证" in response.json()["detail"]


def test_a_staff_token_is_not_a_service_token(client, world, auth):
    response = client.post("/api/internal/petitions", json=bot_body(), headers=auth(world.admin))
    assert response.status_code == 401


def test_bot_registers_on_channel_zhinengzhushou_with_a_due_date(client, world, auth, service_headers):
    response = client.post("/api/internal/petitions", json=bot_body(), headers=service_headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"ticket", "category", "received_at", "due_date", "status"}
    assert created["category"] == "信息化建设类" and created["status"] == "registered"
    received = datetime.fromisoformat(created["received_at"])
    assert created["due_date"] == due_date(received, 6).isoformat()  # 1 day to hand over + 5 to handle
    p = client.get("/api/petitions", params={"q": created["ticket"]}, headers=auth(world.operator)).json()["items"][0]
    assert p["channel"] == "智能助手" and p["accepting_staff_id"] is None
    detail = client.get(f"/api/petitions/{p['id']}", headers=auth(world.operator)).json()
    assert detail["events"][0]["actor"] == "bot"


def test_bot_repeats_with_the_same_idempotency_key_get_the_same_ticket(client, service_headers):
    body = bot_body()
    first = client.post("/api/internal/petitions", json=body, headers=service_headers)
    second = client.post("/api/internal/petitions", json=body, headers=service_headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket"] == second.json()["ticket"]


@pytest.mark.parametrize("field, value, message", [("category", "投诉类", "诉求类别"), ("contact_phone", "12366", "服务热线"),
                                                   ("uscc", "91510100MA6CXXXXX0", "统一社会信用代码")])
def test_bot_registration_refuses_invalid_values_in_chinese(client, service_headers, field, value, message):
    response = client.post("/api/internal/petitions", json=bot_body(**{field: value}), headers=service_headers)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_status_with_an_enterprise_grant_lists_that_enterprises_petitions(client, service_headers, enterprise_grant):
    uscc = make_uscc(int(uuid4().int % 10_000_000))
    tickets = [client.post("/api/internal/petitions", json=bot_body(**enterprise_grant(uscc)),
                           headers=service_headers).json()["ticket"] for _ in range(2)]
    client.post("/api/internal/petitions", json=bot_body(uscc=make_uscc(1)), headers=service_headers)
    response = client.post("/api/internal/petitions/status", json={**enterprise_grant(uscc), "text": "我的诉求办得怎么样了"},
                           headers=service_headers)
    assert response.status_code == 200, response.text
    items = response.json()["petitions"]
    assert {i["ticket"] for i in items} == set(tickets)
    item = items[0]
    assert item["status"] == "registered" and item["status_label"] == "已受理登记" and item["due_date"]
    assert item["ticket"] in item["text"] and "预计" in item["text"] and "\n" not in item["text"]
    other = client.post("/api/internal/petitions/status", json=enterprise_grant(make_uscc(99)),
                        headers=service_headers)
    assert other.status_code == 200 and other.json()["petitions"] == []


def test_status_by_grant_shows_at_most_five_latest(client, service_headers, enterprise_grant):
    uscc = make_uscc(int(uuid4().int % 10_000_000))
    tickets = [client.post("/api/internal/petitions", json=bot_body(uscc=uscc), headers=service_headers)
               .json()["ticket"] for _ in range(6)]
    items = client.post("/api/internal/petitions/status", json=enterprise_grant(uscc),
                        headers=service_headers).json()["petitions"]
    assert [i["ticket"] for i in items] == tickets[::-1][:5]


def test_status_anonymously_needs_the_ticket_and_its_phone(client, service_headers):
    ticket = client.post("/api/internal/petitions", json=bot_body(contact_phone="0755-23456789"),
                         headers=service_headers).json()["ticket"]
    url = "/api/internal/petitions/status"
    ok = client.post(url, json={"ticket": ticket.lower(), "contact_phone": "(0755)23456789"}, headers=service_headers)
    assert ok.status_code == 200 and [i["ticket"] for i in ok.json()["petitions"]] == [ticket]
    wrong = client.post(url, json={"ticket": ticket, "contact_phone": "13800138000"}, headers=service_headers)
    unknown = client.post(url, json={"ticket": "SQ-20000101-9999", "contact_phone": "13800138000"},
                          headers=service_headers)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"] == unknown.json()["detail"] == "没有找到与该受理编号和联系电话相符的诉求，请核对后再试"
    no_phone = client.post(url, json={"ticket": ticket}, headers=service_headers)
    assert no_phone.status_code == 403 and "受理编号和登记时留的联系电话" in no_phone.json()["detail"]


def test_status_with_a_bad_enterprise_grant_is_401(client, service_headers, enterprise_grant, enterprise_token):
    expired = enterprise_grant(make_uscc(5), lifetime=timedelta(seconds=-10))
    response = client.post("/api/internal/petitions/status", json=expired, headers=service_headers)
    assert response.status_code == 401 and "过期" in response.json()["detail"]
    garbage = client.post("/api/internal/petitions/status", json={"sender_id": "s", "enterprise_grant": "x.y.z"},
                          headers=service_headers)
    assert garbage.status_code == 401
    # a grant read from one conversation's tracker does not open another conversation's lookups
    stolen = enterprise_grant(make_uscc(6), sender="conversation-a")
    response = client.post("/api/internal/petitions/status", headers=service_headers,
                           json={**stolen, "sender_id": "conversation-b"})
    assert response.status_code == 401
    # nor is the enterprise's own token a grant: the action server never holds one
    token = client.post("/api/internal/petitions/status", headers=service_headers,
                        json={"sender_id": "s", "enterprise_grant": enterprise_token(make_uscc(6))})
    assert token.status_code == 401


def test_status_of_another_enterprises_ticket_is_404_under_a_grant(client, service_headers, enterprise_grant):
    ticket = client.post("/api/internal/petitions", json=bot_body(uscc=make_uscc(21)),
                         headers=service_headers).json()["ticket"]
    response = client.post("/api/internal/petitions/status",
                           json={**enterprise_grant(make_uscc(22)), "ticket": ticket},
                           headers=service_headers)
    assert response.status_code == 404


def test_status_text_follows_the_petition_through_its_life(client, world, auth, service_headers, db):
    created = client.post("/api/internal/petitions", json=bot_body(contact_phone="13912345678"),
                          headers=service_headers).json()
    p = client.get("/api/petitions", params={"q": created["ticket"]}, headers=auth(world.operator)).json()["items"][0]
    post(client, p, "hand-over", auth(world.admin), service_unit_id=world.service_dept.id)
    p = post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    post(client, p, "start", auth(world.handler))
    post(client, p, "resolve", auth(world.handler), resolution="系统已修复，请重新提交申报。")
    query = {"ticket": created["ticket"], "contact_phone": "13912345678"}
    item = client.post("/api/internal/petitions/status", json=query, headers=service_headers).json()["petitions"][0]
    assert item["status"] == "resolved" and "已办结" in item["text"] and item["due_date"] == p["handling_due"]
    post(client, p, "feedback", auth(world.handler))
    item = client.post("/api/internal/petitions/status", json=query, headers=service_headers).json()["petitions"][0]
    assert item["status"] == "fed_back" and "系统已修复" in item["text"]
