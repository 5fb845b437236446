"""Joint handling over HTTP: a co-department can no longer move the petition (transfer it away, start it, ask
for an extension, resolve, close); it completes its own part on its own route; an outside department co-handles
and sees only that petition; the detail lists every department's task."""
from uuid import uuid4

import pytest

from api.org.service import create_staff, create_unit
from api.privacy.masking import mask_name, mask_uscc
from tests.api.conftest import petition_body
from tests.api.reminderkit import make_enterprise
from tests.api.test_petition_routes import assigned, post  # noqa: F401 - a fixture


@pytest.fixture
def outside(db, world):
    """The city's market-regulation bureau (outside the tax system): a handler and a supervisor account."""
    unit = create_unit(session=db, name=world.prefix + "市市场监督管理局", level="city", kind="outside_department",
                       parent_id=world.city.id)
    handler = create_staff(session=db, username=world.prefix + "scjg", display_name="市场监管经办", role="handler",
                           unit_id=unit.id)
    supervisor = create_staff(session=db, username=world.prefix + "scjg-lead", display_name="市场监管分管领导",
                              role="supervisor", unit_id=unit.id)
    db.commit()
    return unit, handler, supervisor


@pytest.fixture
def joint(client, world, auth, register):
    """Handed over and assigned to 征管科 (lead) and 税政科 (co-department), started by the lead."""
    def make():
        p = register()
        post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
        post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id, world.policy.id])
        return post(client, p, "start", auth(world.handler))
    return make


def refused(client, petition, step, headers, status=403, **body):
    response = client.post(f"/api/petitions/{petition['id']}/{step}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()["detail"]


def test_a_co_department_cannot_transfer_the_petition_away_or_move_it(client, world, auth, joint):
    p = joint()
    co = auth(world.policy_handler)
    assert "主办部门" in refused(client, p, "transfer", co, to_unit_id=world.district_dept.id, reason="属区局管辖")
    assert "主办部门" in refused(client, p, "extensions", co, days=2, reason="需会商")
    assert "主办部门" in refused(client, p, "resolve", co, resolution="已答复")
    assert "主办部门" in refused(client, p, "co-handlers", co, unit_id=world.district_dept.id, reason="x")
    detail = client.get(f"/api/petitions/{p['id']}", headers=co).json()
    assert detail["petition"]["handling_unit_id"] == world.collection.id and detail["petition"]["status"] == \
        "in_progress"
    assert [e["action"] for e in detail["events"]][-1] == "start"  # nothing happened

    moved = post(client, p, "transfer", auth(world.handler), to_unit_id=world.district_dept.id, reason="属区局管辖")
    assert moved["handling_unit_id"] == world.district_dept.id and moved["joint"] is True


def test_each_department_completes_its_part_and_the_lead_resolves_after_all(client, world, auth, joint):
    p = joint()
    open_part = refused(client, p, "resolve", auth(world.handler), status=409, resolution="已答复")
    assert "协办部门尚未完成办理" in open_part and world.policy.name in open_part

    url = f"/api/petitions/{p['id']}/tasks/{world.policy.id}/complete"
    by_lead = client.post(url, json={"answer": "代为填写"}, headers=auth(world.handler))
    assert by_lead.status_code == 403 and "只有该协办部门" in by_lead.json()["detail"]
    empty = client.post(url, json={"answer": "  "}, headers=auth(world.policy_handler))
    assert empty.status_code == 422 and "办理意见" in empty.json()["detail"]
    done = client.post(url, json={"answer": "政策口径已确认：可享受减免"}, headers=auth(world.policy_handler))
    assert done.status_code == 200, done.text
    assert done.json()["completed"] is True and done.json()["answer"] == "政策口径已确认：可享受减免"
    again = client.post(url, json={"answer": "再改一次"}, headers=auth(world.policy_handler))
    assert again.status_code == 409 and "不能重复提交" in again.json()["detail"]

    tasks = client.get(f"/api/petitions/{p['id']}", headers=auth(world.clerk)).json()["handlers"]
    assert [(t["unit_id"], t["lead"], t["completed"], t["answer"]) for t in tasks] == [
        (world.collection.id, True, False, None), (world.policy.id, False, True, "政策口径已确认：可享受减免")]
    assert tasks[1]["completed_by"] == world.policy_handler.id and tasks[1]["completed_at"]

    post(client, p, "resolve", auth(world.handler), resolution="已答复企业")
    assert "主办部门" in refused(client, p, "feedback", auth(world.policy_handler))
    post(client, p, "feedback", auth(world.handler))


def test_staff_of_a_co_department_cannot_visit_or_close(client, db, world, auth, joint):
    co_staff = create_staff(session=db, username=world.prefix + "policy-staff", display_name="税政科干部",
                            role="staff", unit_id=world.policy.id)
    db.commit()
    p = joint()
    client.post(f"/api/petitions/{p['id']}/tasks/{world.policy.id}/complete", json={"answer": "已会商"},
                headers=auth(world.policy_handler))
    post(client, p, "resolve", auth(world.handler), resolution="已答复")
    post(client, p, "feedback", auth(world.handler))
    assert "协办部门不能回访或关闭" in refused(client, p, "close", auth(co_staff))
    assert "协办部门不能回访或关闭" in refused(client, p, "return-visit", auth(co_staff), satisfaction=5)
    assert post(client, p, "close", auth(world.clerk))["status"] == "closed"  # the service department closes


def test_an_outside_department_co_handles_and_sees_only_that_petition(client, world, auth, joint, outside):
    unit, handler, supervisor = outside
    p, other = joint(), joint()
    lead = auth(world.handler)
    assert "须说明原因" in refused(client, p, "co-handlers", lead, status=422, unit_id=unit.id, reason=" ")
    invited = post(client, p, "co-handlers", lead, unit_id=unit.id, reason="涉及个体工商户登记信息变更")
    assert invited["joint"] is True

    for account in (handler, supervisor):
        mine = client.get("/api/petitions", headers=auth(account)).json()
        assert [item["id"] for item in mine["items"]] == [p["id"]]
        assert client.get(f"/api/petitions/{other['id']}", headers=auth(account)).status_code == 404
    detail = client.get(f"/api/petitions/{p['id']}", headers=auth(handler)).json()
    assert [(t["unit_name"], t["unit_kind"]) for t in detail["handlers"]][-1] == (unit.name, "outside_department")
    assert detail["actions"] == ["complete_task"]  # the page offers it nothing else
    assert client.get("/api/petitions", headers=auth(supervisor)).json()["may_register"] is False
    assert detail["events"][-1]["action"] == "add_co_handler"

    assert "税务系统外部门" in refused(client, p, "start", auth(handler))
    assert "税务系统外部门" in refused(client, p, "transfer", auth(handler), to_unit_id=world.district_dept.id,
                                   reason="x")
    registered = client.post("/api/petitions", json=petition_body(), headers=auth(supervisor))
    assert registered.status_code == 403 and "税务系统外部门" in registered.json()["detail"]
    done = client.post(f"/api/petitions/{p['id']}/tasks/{unit.id}/complete",
                       json={"answer": "登记信息已于当日变更完毕"}, headers=auth(handler))
    assert done.status_code == 200, done.text


def test_joint_extensions_go_to_the_director_never_to_an_outside_account_or_the_requester(client, world, auth,
                                                                                          joint, outside):
    unit, _, supervisor = outside
    p = joint()
    post(client, p, "co-handlers", auth(world.handler), unit_id=unit.id, reason="涉及市场主体登记")
    response = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 3, "reason": "需三部门会商"},
                           headers=auth(world.handler))
    assert response.status_code == 201, response.text
    url = f"/api/petitions/extensions/{response.json()['id']}/approve"
    outside_try = client.post(url, headers=auth(supervisor))
    assert outside_try.status_code == 403 and "税务系统外部门不能审批延期" in outside_try.json()["detail"]
    assert client.post(url, headers=auth(world.supervisor)).status_code == 403
    assert client.post(url, headers=auth(world.director)).json()["status"] == "approved"


def test_transfer_needs_a_reason_and_one_level(client, world, auth, assigned):  # noqa: F811
    p = assigned()
    assert "须说明原因" in refused(client, p, "transfer", auth(world.handler), status=422,
                               to_unit_id=world.district_dept.id, reason=" ")
    two_levels = refused(client, p, "transfer", auth(world.handler), status=422, to_unit_id=world.policy.id,
                         reason="同级")
    assert "只能上报上一级或转交下一级" in two_levels and "市级" in two_levels


def test_an_outside_department_never_reads_the_enterprises_tax_profile_unmasked(client, db, world, auth, register,
                                                                                 outside):
    unit, _, supervisor = outside
    enterprise = make_enterprise(db, name=f"共治{uuid4().hex[:6]}商贸有限公司")
    db.commit()
    p = register(uscc=enterprise.uscc)
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id, unit.id])
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(supervisor)).status_code == 200  # co-handles it
    shown = client.get(f"/api/enterprises/{enterprise.uscc}", headers=auth(supervisor)).json()
    assert (shown["name"], shown["uscc"]) == (mask_name(enterprise.name), mask_uscc(enterprise.uscc))
    tax_side = client.get(f"/api/enterprises/{enterprise.uscc}", headers=auth(world.supervisor)).json()
    assert tax_side["uscc"] == enterprise.uscc  # the tax bureau's own leader, whose unit holds it, sees it


def test_the_lead_sets_a_co_departments_deadline_and_the_detail_shows_its_clock(client, world, auth, joint):
    p = joint()
    lead, co = auth(world.handler), auth(world.policy_handler)
    path = f"/api/petitions/{p['id']}/tasks/{world.policy.id}/deadline"
    refused = client.post(path, json={"days": 1}, headers=co)
    assert refused.status_code == 403 and "主办部门" in refused.json()["detail"]
    too_late = client.post(path, json={"days": 9}, headers=lead)  # later than the 5 working days of handling
    assert too_late.status_code == 422 and "协办期限" in too_late.json()["detail"]
    task = client.post(path, json={"days": 1, "reason": "先核对政策口径"}, headers=lead)
    assert task.status_code == 200, task.text
    body = task.json()
    assert body["due_days"] == 1 and body["clock"]["state"] == "due_soon" and body["clock"]["days_left"] in (0, 1)
    detail = client.get(f"/api/petitions/{p['id']}", headers=lead).json()
    tasks = {h["unit_id"]: h for h in detail["handlers"]}
    assert tasks[world.policy.id]["due"] == body["due"] <= detail["petition"]["handling_due"]
    assert tasks[world.collection.id]["due"] == detail["petition"]["handling_due"]  # the lead's: the handling deadline
    assert detail["events"][-1]["action"] == "set_task_deadline" and detail["events"][-1]["reason"] == "先核对政策口径"
    assert "set_task_deadline" in detail["actions"]
    assert "set_task_deadline" not in client.get(f"/api/petitions/{p['id']}", headers=co).json()["actions"]
    # nothing is overdue yet: the filter of overdue tasks does not list it
    listed = client.get("/api/petitions", params={"clock": "task_overdue"}, headers=lead).json()
    assert p["id"] not in [i["id"] for i in listed["items"]]


def test_an_extension_is_decided_by_the_leaders_of_the_handling_bureau_only(client, db, world, auth, register):
    province_director = create_staff(session=db, username=world.prefix + "prov-dir", display_name="省局局长",
                                     role="director", unit_id=world.city.parent_id)
    db.commit()
    p = register()
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    asked = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 2, "reason": "需调取资料"},
                        headers=auth(world.handler)).json()
    pending = client.get("/api/petitions/extensions/pending", headers=auth(province_director)).json()
    assert asked["id"] not in [x["extension"]["id"] for x in pending]
    refused = client.post(f"/api/petitions/extensions/{asked['id']}/approve", json={},
                          headers=auth(province_director))
    assert refused.status_code == 403 and refused.json()["code"] == "not_same_level"
    assert refused.json()["detail"].startswith(f"延期须由本级税务机关（{world.prefix}市税务局）的领导审批")
    approved = client.post(f"/api/petitions/extensions/{asked['id']}/approve", json={}, headers=auth(world.supervisor))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
