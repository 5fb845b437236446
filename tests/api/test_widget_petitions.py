"""A logged-in enterprise sees its own petitions with their clocks in the widget, and rates the handling once it
has the result — once; visitors are asked to log in, and nobody sees or rates another enterprise's petition."""
from __future__ import annotations

import random

import pytest

from common.identifiers import make_uscc
from tests.api.conftest import petition_body
from tests.api.hubkit import hub_client, widget_token
from tests.api.petitionflow import handled_petition, step


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


def widget_headers(hub, enterprise_token, uscc):
    token = enterprise_token(uscc, name="成都小微商贸有限公司")
    return {"Authorization": f"Bearer {widget_token(hub, token)}", "X-Enterprise-Token": token}


def test_the_enterprise_sees_its_petitions_with_the_promised_date_and_days_left(hub, world, auth, enterprise_token):
    uscc = make_uscc(random.randrange(10**9))
    open_one = hub.post("/api/petitions", json=petition_body(uscc=uscc), headers=auth(world.registrar)).json()
    step(hub, open_one["id"], "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    step(hub, open_one["id"], "assign", auth(world.clerk), unit_ids=[world.collection.id])
    done_id, done_ticket, _ = handled_petition(hub, world, auth, uscc=uscc)  # noqa: RUF059
    stranger = hub.post("/api/petitions", json=petition_body(uscc=make_uscc(random.randrange(10**9))),
                        headers=auth(world.registrar)).json()

    listed = hub.get("/api/widget/petitions", headers=widget_headers(hub, enterprise_token, uscc)).json()["petitions"]
    assert [p["ticket"] for p in listed] == [done_ticket, open_one["ticket"]]  # newest first, only its own
    assert stranger["ticket"] not in {p["ticket"] for p in listed}
    running = listed[1]
    detail = hub.get(f"/api/petitions/{open_one['id']}", headers=auth(world.clerk)).json()["petition"]
    assert running["status"] == "assigned" and running["due_date"] == detail["handling_due"]
    assert isinstance(running["days_left"], int) and running["days_left"] >= 0
    assert running["result"] is None and running["may_rate"] is False
    done = listed[0]
    assert done["days_left"] is None and done["result"] == "已修复勾选功能，请重新申报。" and done["may_rate"] is True


def test_the_enterprise_rates_the_handling_once_after_the_result(hub, world, auth, enterprise_token):
    uscc = make_uscc(random.randrange(10**9))
    headers = widget_headers(hub, enterprise_token, uscc)
    early = hub.post("/api/petitions", json=petition_body(uscc=uscc), headers=auth(world.registrar)).json()
    too_soon = hub.post(f"/api/widget/petitions/{early['id']}/rating", json={"satisfaction": 4}, headers=headers)
    assert too_soon.status_code == 409 and "收到办理结果后" in too_soon.json()["detail"]

    pid, _, _ = handled_petition(hub, world, auth, uscc=uscc)
    for bad in (0, 6, "5", None):
        assert hub.post(f"/api/widget/petitions/{pid}/rating", json={"satisfaction": bad}, headers=headers
                        ).status_code == 422
    rated = hub.post(f"/api/widget/petitions/{pid}/rating", json={"satisfaction": 4, "note": "处理及时<b>谢谢</b>"},
                     headers=headers)
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == 4 and rated.json()["may_rate"] is False
    again = hub.post(f"/api/widget/petitions/{pid}/rating", json={"satisfaction": 1}, headers=headers)
    assert again.status_code == 409 and "已经评价过" in again.json()["detail"]
    staff_view = hub.get(f"/api/petitions/{pid}", headers=auth(world.clerk)).json()["petition"]
    assert staff_view["satisfaction"] == 5  # the return visit's figure is the staff's record; the rating is apart

    other = widget_headers(hub, enterprise_token, make_uscc(random.randrange(10**9)))
    assert hub.post(f"/api/widget/petitions/{pid}/rating", json={"satisfaction": 1}, headers=other).status_code == 404
    visitor = {"Authorization": f"Bearer {widget_token(hub)}"}
    refused = hub.get("/api/widget/petitions", headers=visitor)
    assert refused.status_code == 403 and "登录" in refused.json()["detail"]
