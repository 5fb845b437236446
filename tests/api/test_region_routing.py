"""属地 through the API: petitions the bot files and messages left in the widget go to the unit that serves the
logged-in enterprise, a visitor's to the intake unit; an admin sets the regions; the enterprise look-up names the
serving unit."""
from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select

from api.petition.models import Petition
from tests.api.hubkit import hub_client, widget_token
from tests.api.regionkit import build_area, make_enterprise


@pytest.fixture
def area(db, world):
    return build_area(db, world)


@pytest.fixture
def app(settings, world):
    """The intake unit is the other city's service department, so where a visitor's petition went can be told."""
    with hub_client(settings, world.other_service.id) as client:
        yield client


def _accepted_by(db, ticket: str) -> int:
    db.expire_all()
    return db.execute(select(Petition.accepting_unit_id).where(Petition.ticket == ticket)).scalar_one()


def _bot_body(**overrides) -> dict:
    body = dict(content="发票开具额度不够，申请提高额度一直没有结果。", category="纳税服务类", taxpayer_name="属地测试企业",  # noqa: C408
                uscc=None, contact_phone="13912345678", sender_id=f"conv-{uuid4().hex[:8]}",
                idempotency_key=uuid4().hex)
    body.update(overrides)
    return body


def test_a_petition_the_bot_files_goes_to_the_unit_serving_the_logged_in_enterprise(app, db, world, area,
                                                                                    service_headers, enterprise_grant):
    def file(**fields) -> int:
        response = app.post("/api/internal/petitions", json=_bot_body(**fields), headers=service_headers)
        assert response.status_code == 201, response.text
        return _accepted_by(db, response.json()["ticket"])

    assert file(**enterprise_grant(area.district_enterprise.uscc)) == area.district_service.id
    assert file(**enterprise_grant(area.city_enterprise.uscc)) == world.service_dept.id  # 丙区: the city serves it
    # a visitor typing a USCC is not that enterprise logged in: the intake unit accepts it
    assert file(uscc=area.district_enterprise.uscc) == world.other_service.id
    assert file() == world.other_service.id
    # an enterprise whose region no unit serves: the intake unit
    elsewhere = make_enterprise(db, area.region("丁市"), "丁市属地企业")
    db.commit()
    assert file(**enterprise_grant(elsewhere.uscc)) == world.other_service.id


def test_a_message_left_in_the_widget_goes_to_the_unit_serving_the_enterprise(app, db, world, area,
                                                                              enterprise_token):
    def leave(enterprise=None) -> int:
        token = enterprise_token(enterprise.uscc, enterprise.name) if enterprise else None
        headers = {"Authorization": f"Bearer {widget_token(app, token)}"}
        if token:
            headers["X-Enterprise-Token"] = token
        response = app.post("/api/widget/leave-message", headers=headers, json={
            "taxpayer_name": "属地留言企业", "contact_phone": "13912345678", "content": "想咨询跨区迁移的流程",
            "client_id": uuid4().hex})
        assert response.status_code == 201, response.text
        return _accepted_by(db, response.json()["ticket"])

    assert leave(area.district_enterprise) == area.district_service.id
    assert leave(area.city_enterprise) == world.service_dept.id
    assert leave() == world.other_service.id


def test_an_admin_sets_the_regions_a_unit_serves(app, db, world, area, auth):
    path = f"/api/units/{world.service_dept.id}/regions"
    read = app.get(path, headers=auth(world.clerk))
    assert read.status_code == 200
    assert read.json() == {"unit_id": world.service_dept.id, "unit_name": world.service_dept.name,
                           "regions": [area.region("甲市")], "covered": [area.region("甲市")]}
    # a district's region is also under its city bureau
    city = app.get(f"/api/units/{world.city.id}/regions", headers=auth(world.clerk)).json()
    assert city["regions"] == [] and city["covered"] == sorted([area.region("甲市"), area.region("甲市乙区")])

    body = {"regions": [area.region("甲市"), area.region("庚市")]}
    assert app.put(path, json=body, headers=auth(world.clerk)).status_code == 403
    assert app.put(path, json=body).status_code == 401
    done = app.put(path, json=body, headers=auth(world.admin))
    assert done.status_code == 200 and done.json()["regions"] == sorted(body["regions"])
    moved = make_enterprise(db, area.region("庚市某区"), "庚市属地企业")
    db.commit()
    profile = app.get(f"/api/enterprises/{moved.uscc}", headers=auth(world.admin)).json()
    assert profile["serving_unit"]["id"] == world.service_dept.id

    unknown = app.put("/api/units/999999999/regions", json=body, headers=auth(world.admin))
    assert unknown.status_code == 404 and "单位" in unknown.json()["detail"]
    empty = app.put(path, json={"regions": [" "]}, headers=auth(world.admin))
    assert empty.status_code == 422 and "地区不能为空" in empty.json()["detail"]
    taken = app.put(f"/api/units/{world.other_service.id}/regions", json={"regions": [area.region("甲市")]},
                    headers=auth(world.admin))
    assert taken.status_code == 409 and world.service_dept.name in taken.json()["detail"]
    assert app.get(path, headers=auth(world.clerk)).json()["regions"] == sorted(body["regions"])  # unchanged


def test_the_enterprise_look_up_names_the_serving_unit(app, db, world, area, auth):
    profile = app.get(f"/api/enterprises/{area.district_enterprise.uscc}", headers=auth(world.clerk)).json()
    assert profile["serving_unit"] == {"id": area.district_service.id, "name": area.district_service.name,
                                       "level_label": "区县级", "intake": False}
    elsewhere = make_enterprise(db, area.region("丁市"), "丁市属地企业")
    db.commit()
    intake = app.get(f"/api/enterprises/{elsewhere.uscc}", headers=auth(world.clerk)).json()["serving_unit"]
    assert intake["id"] == world.other_service.id and intake["intake"] is True
