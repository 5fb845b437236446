"""Report routes over HTTP: statistics and common demands for leaders and operators, the ledger
export for every reading role but only of the petitions the caller may see."""
import csv
import io
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from common.identifiers import make_uscc
from common.workdays import china_today


@pytest.fixture
def assigned(client, world, auth, register):
    """Registered by the service department, assigned to the collection department."""
    def make(**overrides):
        p = register(**overrides)
        for step, who, body in (("hand-over", world.registrar, {"service_unit_id": world.service_dept.id}),
                                ("assign", world.clerk, {"unit_ids": [world.collection.id]})):
            response = client.post(f"/api/petitions/{p['id']}/{step}", json=body, headers=auth(who))
            assert response.status_code == 200, response.text
        return response.json()
    return make


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese text right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# -- who may ask -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/petitions/statistics", "/api/petitions/common-demands"])
def test_reports_are_for_leaders_and_operators(client, world, auth, enterprise_token, path):
    for who in (world.handler, world.registrar, world.expert):
        response = client.get(path, headers=auth(who))
        assert response.status_code == 403 and response.json()["code"] == "role_forbidden", response.text
    enterprise = client.get(path, headers={"Authorization": f"Bearer {enterprise_token(make_uscc(3))}"})
    assert enterprise.status_code == 403
    assert client.get(path).status_code == 401


def test_export_is_for_reading_roles(client, world, auth, enterprise_token):
    assert client.get("/api/petitions/export", headers=auth(world.expert)).status_code == 403
    token = {"Authorization": f"Bearer {enterprise_token(make_uscc(4))}"}
    enterprise = client.get("/api/petitions/export", headers=token)
    assert enterprise.status_code == 403


# -- statistics ------------------------------------------------------------------------------

def test_statistics_count_the_petitions_of_the_period(client, world, auth, register, assigned):
    today = china_today().isoformat()
    params = {"date_from": today, "date_to": today, "group_by": "category"}

    def law_enforcement():
        response = client.get("/api/petitions/statistics", params=params, headers=auth(world.supervisor))
        assert response.status_code == 200, response.text  # not taken for a /{petition_id}
        body = response.json()
        groups = {g["key"]: g for g in body["groups"]}
        return body, groups.get("执法规范类", {"received": 0, "handled": 0})

    _, before = law_enforcement()
    register(category="执法规范类")
    assigned(category="执法规范类")
    body, after = law_enforcement()
    assert (after["received"] - before["received"], after["handled"] - before["handled"]) == (2, 0)
    assert after["label"] == "执法规范类" and set(after["on_time"]) == {"handover", "handling", "feedback"}
    assert (body["date_from"], body["date_to"], body["group_by"]) == (today, today, "category")
    assert body["total"]["received"] == sum(g["received"] for g in body["groups"])
    for group_by in ("channel", "unit", "week", "month"):
        response = client.get("/api/petitions/statistics", params={**params, "group_by": group_by},
                              headers=auth(world.operator))
        assert response.status_code == 200 and response.json()["group_by"] == group_by, response.text


def test_statistics_refuse_a_bad_grouping_or_period(client, world, auth):
    headers = auth(world.director)
    assert client.get("/api/petitions/statistics", params={"group_by": "colour"}, headers=headers).status_code == 422
    backwards = client.get("/api/petitions/statistics", params={"date_from": "2025-10-02", "date_to": "2025-10-01"},
                           headers=headers)
    assert backwards.status_code == 422 and "早于" in backwards.json()["detail"]
    default = client.get("/api/petitions/statistics", headers=headers)
    assert default.status_code == 200 and default.json()["date_to"] == china_today().isoformat()


def test_common_demands_list_themes_and_cap_top(client, world, auth, register):
    marker = uuid4().hex[:6]
    for text in ("数电发票开具时提示授信额度不足，无法继续开票。", "开具数电发票失败，提示授信额度不够。"):
        register(marker=marker, content=text)
    today = china_today().isoformat()
    url = "/api/petitions/common-demands"
    response = client.get(url, params={"date_from": today, "date_to": today, "top": 5}, headers=auth(world.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["texts"] >= 2 and len(body["themes"]) <= 5
    assert any({"数电发票", "授信额度"} & set(t["keywords"]) for t in body["themes"])
    assert client.get(url, params={"top": 51}, headers=auth(world.admin)).status_code == 422


# -- export ----------------------------------------------------------------------------------

def test_csv_export_holds_only_what_the_caller_may_see(client, world, auth, register, assigned):
    marker = uuid4().hex[:10]
    waiting = register(marker=marker)  # not assigned: no handler sees it
    working = assigned(marker=marker)  # assigned to the collection department

    def tickets(who, **params):
        response = client.get("/api/petitions/export", params={"format": "csv", "q": marker, **params},
                              headers=auth(who))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = csv_rows(response)
        assert rows[0][0] == "受理编号"
        return [row[0] for row in rows[1:]]

    assert tickets(world.operator) == [waiting["ticket"], working["ticket"]]  # receipt order
    assert tickets(world.supervisor) == [waiting["ticket"], working["ticket"]]
    assert tickets(world.handler) == [working["ticket"]]
    assert tickets(world.district_handler) == []  # another unit: outside its scope
    assert tickets(world.other_staff) == []
    assert tickets(world.operator, status="assigned") == [working["ticket"]]
    assert tickets(world.operator, status=["registered", "assigned"]) == [waiting["ticket"], working["ticket"]]
    assert tickets(world.operator, unit_id=world.collection.id) == [working["ticket"]]


def test_export_names_the_file_in_chinese_rfc5987(client, world, auth):
    response = client.get("/api/petitions/export", params={"q": uuid4().hex}, headers=auth(world.admin))
    assert response.status_code == 200
    name = f"台账-{china_today():%Y%m%d}.csv"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name)}" in disposition
    assert 'filename="petitions.csv"' in disposition  # ASCII fallback


def test_export_refuses_unknown_values(client, world, auth):
    headers = auth(world.admin)
    for params in ({"format": "pdf"}, {"category": "投诉类"}, {"channel": "微信"}, {"status": "lost"},
                   {"received_from": "2025-10-02", "received_to": "2025-10-01"}):
        assert client.get("/api/petitions/export", params=params, headers=headers).status_code == 422, params


def test_xlsx_export_opens_with_openpyxl(client, world, auth, register):
    marker = uuid4().hex[:10]
    received = datetime.now(timezone.utc) - timedelta(hours=2)
    p = register(marker=marker, received_at=received.isoformat())
    response = client.get("/api/petitions/export", params={"format": "xlsx", "q": marker},
                          headers=auth(world.registrar))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert quote(f"台账-{china_today():%Y%m%d}.xlsx") in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["诉求台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "受理编号" and len(rows) == 2
    assert rows[1][0] == p["ticket"] and rows[1][3] == "13800138000" and isinstance(rows[1][7], datetime)


def test_petition_detail_still_answers_next_to_the_report_paths(client, world, auth, register):
    p = register()
    assert client.get(f"/api/petitions/{p['id']}", headers=auth(world.registrar)).status_code == 200


# -- the periodic report (通报) ----------------------------------------------------------------------

def test_bulletin_is_for_leaders_and_operators(client, world, auth):
    for who in (world.handler, world.registrar, world.expert):
        response = client.get("/api/petitions/bulletin", headers=auth(who))
        assert response.status_code == 403 and response.json()["code"] == "role_forbidden"
    assert client.get("/api/petitions/bulletin").status_code == 401


def test_bulletin_is_a_printable_page_under_the_strict_policy(client, world, auth, register):
    register(category="执法规范类")
    today = china_today()
    response = client.get("/api/petitions/bulletin", params={"period": "week", "date": today.isoformat()},
                          headers=auth(world.supervisor))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    page = response.text
    assert "诉求办理情况通报" in page and "/static/bulletin.css" in page and "<script" not in page
    assert "转交按期率" in page and "平均满意度" in page and "延期申请" in page
    assert client.get("/static/bulletin.css").status_code == 200


def test_bulletin_as_a_workbook_and_its_default_period(client, world, auth):
    headers = auth(world.director)
    response = client.get("/api/petitions/bulletin", params={"period": "month", "format": "xlsx"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["概况", "超期情况", "共性诉求"]
    last_month_end = china_today().replace(day=1) - timedelta(days=1)
    period = dict(r[:2] for r in book["概况"].iter_rows(values_only=True))["统计期间"]
    assert period == f"{last_month_end.replace(day=1).isoformat()} 至 {last_month_end.isoformat()}"
    future = (china_today() + timedelta(days=40)).isoformat()
    for params in ({"period": "year"}, {"format": "pdf"}, {"date": future}):
        refused = client.get("/api/petitions/bulletin", params=params, headers=headers)
        assert refused.status_code == 422, params
    assert "晚于今天" in client.get("/api/petitions/bulletin", params={"date": future}, headers=headers).json()["detail"]


def test_statistics_carry_visits_satisfaction_and_extensions(client, world, auth, assigned):
    today = china_today().isoformat()
    p = assigned(category="执法规范类")
    for step, body in (("start", None), ("extensions", {"days": 2, "reason": "需核实"}),
                       ("resolve", {"resolution": "已办结"}), ("feedback", None)):
        response = client.post(f"/api/petitions/{p['id']}/{step}", json=body, headers=auth(world.handler))
        assert response.status_code in (200, 201), response.text
    def group():
        body = client.get("/api/petitions/statistics", params={"date_from": today, "date_to": today},
                          headers=auth(world.supervisor)).json()
        return {g["key"]: g for g in body["groups"]}["执法规范类"]

    before = group()
    assert before["awaiting_visit"] >= 1 and before["extensions"]["requested"] >= 1
    visit = client.post(f"/api/petitions/{p['id']}/return-visit", json={"satisfaction": 5}, headers=auth(world.registrar))
    assert visit.status_code == 200, visit.text
    after = group()
    assert after["visited"] - before["visited"] == 1 and before["awaiting_visit"] - after["awaiting_visit"] == 1
    assert after["satisfaction"]["distribution"]["5"] - before["satisfaction"]["distribution"]["5"] == 1
