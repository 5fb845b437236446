"""Enterprise routes over HTTP: staff's profile with role checks, the demo routes (absent without demo mode),
and the action server's own-credit route, which answers for the token's enterprise and nobody else."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from api.auth.security import verify_enterprise_token
from api.enterprise import router as enterprise_router
from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling
from api.main import create_app
from api.privacy.masking import mask_name, mask_uscc
from common.identifiers import make_uscc

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")

NOW = datetime.now(timezone.utc)
_seeds = iter(range(720_000_000, 730_000_000, 7919))


@pytest.fixture
def demo_client(settings):
    with TestClient(create_app(settings.model_copy(update={"demo_mode": True}))) as test_client:
        yield test_client


@pytest.fixture
def marker():
    return uuid4().hex[:6]


def make(db, name: str, *, demo: bool = True, level: str | None = "B", repairable: bool = True) -> Enterprise:
    enterprise = Enterprise(uscc=make_uscc(next(_seeds)), name=name, taxpayer_type="small_scale", kind="company",
                            industry_code="F52", industry="零售业", region="四川省成都市武侯区", restricted_industry=False,
                            employees=9, total_assets=Decimal("1200000"), annual_sales=Decimal("800000"),
                            taxable_income=Decimal("300000"), rd_expense=Decimal("0"), new_hires_key_groups=0,
                            registration_date=date(2020, 3, 1), demo=demo,
                            sources={"name": {"source": "market", "synced_at": NOW.isoformat()},
                                     "employees": {"source": "social_security", "synced_at": NOW.isoformat()}},
                            created_at=NOW, updated_at=NOW)
    db.add(enterprise)
    db.flush()
    db.add(EnterpriseFiling(enterprise_id=enterprise.id, tax_type="vat", period_start=date(2026, 7, 1),
                            period_end=date(2026, 9, 30), due_date=date(2026, 10, 22), filed_date=None,
                            declared_sales=None, invoice_sales=Decimal("210000"), tax_paid=None, zero_filing=False,
                            source="tax", synced_at=NOW))
    if level:
        record = CreditRecord(enterprise_id=enterprise.id, year=2025, level=level, score=87 if level != "D" else None,
                              source="tax", synced_at=NOW)
        db.add(record)
        db.flush()
        db.add(CreditDeduction(credit_record_id=record.id, reason_code="overdue_filing",
                               reason="未按规定期限填报纳税申报表", points=5, occurred_on=date(2025, 10, 24),
                               corrected_on=None, repairable=repairable, source="tax", synced_at=NOW))
    db.commit()
    return enterprise


# -- staff: the enterprise profile --------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["registrar", "expert", "operator", "admin", "supervisor"])
def test_staff_roles_read_the_profile_with_its_sources(client, db, world, auth, marker, who):
    e = make(db, f"画像{marker}商贸有限公司")
    response = client.get(f"/api/enterprises/{e.uscc}", headers=auth(getattr(world, who)))
    assert response.status_code == 200, response.text
    body = response.json()
    # none of them serves this enterprise (no conversation held, no petition of it): name and USCC masked
    assert body["name"] == mask_name(e.name) != e.name and body["uscc"] == mask_uscc(e.uscc)
    assert body["credit"]["level"] == "B"
    assert body["sources"]["employees"]["source_label"] == "社保"
    assert body["filings"]["overdue_unfiled"] == 1
    assert body["credit"]["deductions"][0]["repairable"] is True


def test_the_profile_opens_with_key_facts_in_chinese_for_the_unit_handling_its_petition(client, db, world, auth,
                                                                                      marker, register):
    e = make(db, f"要点{marker}商贸有限公司")
    register(uscc=e.uscc, taxpayer_name=e.name)  # the registrar's unit now holds a petition of it: unmasked
    body = client.get(f"/api/enterprises/{e.uscc}", headers=auth(world.registrar)).json()
    facts = [(f["label"], f["value"]) for f in body["key_facts"]]
    assert facts[:2] == [("企业名称", e.name), ("统一社会信用代码", e.uscc)]
    from api.reminder.delivery import pending_counts

    waiting = pending_counts(db, [e.id])[e.id]  # the reminders it will find on opening the chat (overdue filing …)
    assert waiting > 0
    assert facts[2:] == [("纳税人类型", "小规模纳税人"), ("行业", "零售业（F52）"), ("纳税信用", "B级（2025年度，87分）"),
                         ("待处理提醒", f"{waiting}条"), ("在办诉求", "1件"), ("风险疑点", "无"),
                         ("申报情况", "1期逾期未申报")]
    hints = {f["label"]: f["hint"] for f in body["key_facts"]}
    assert hints["纳税信用"] == "有1项可修复的扣分尚未纠正" and "逾期未申报" in hints["申报情况"]
    assert [g["title"] for g in body["details"]] == ["登记信息", "规模与财务"]
    money = {i["label"]: i["value"] for i in body["details"][1]["items"]}
    assert money["资产总额"] == "120.00万元" and money["从业人数"] == "9人"
    assert body["sources"]["employees"]["field_label"] == "从业人数"  # sources stay apart, each named in Chinese


def test_key_facts_mask_the_name_and_uscc_for_those_who_do_not_serve_the_enterprise(client, db, world, auth,
                                                                                    marker):
    e = make(db, f"脱敏要点{marker}商贸有限公司", level=None)
    body = client.get(f"/api/enterprises/{e.uscc}", headers=auth(world.operator)).json()
    facts = {f["field"]: f["value"] for f in body["key_facts"]}
    assert facts["name"] == mask_name(e.name) and facts["uscc"] == mask_uscc(e.uscc)
    assert e.name not in str(body["key_facts"]) and e.uscc not in str(body["key_facts"])
    assert facts["credit"] == "暂无评价记录" and facts["open_petitions"] == "无"


@pytest.mark.parametrize("who", ["handler", "director"])
def test_other_roles_are_forbidden(client, db, world, auth, marker, who):
    e = make(db, f"无权{marker}商贸有限公司")
    response = client.get(f"/api/enterprises/{e.uscc}", headers=auth(getattr(world, who)))
    assert response.status_code == 403 and "无权" in response.json()["detail"]


def test_the_profile_needs_a_staff_login(client, db, marker, enterprise_token):
    e = make(db, f"未登录{marker}商贸有限公司")
    assert client.get(f"/api/enterprises/{e.uscc}").status_code == 401
    response = client.get(f"/api/enterprises/{e.uscc}", headers={"Authorization": f"Bearer {enterprise_token(e.uscc)}"})
    assert response.status_code == 403


def test_unknown_and_invalid_usccs(client, world, auth):
    headers = auth(world.registrar)
    unknown = make_uscc(next(_seeds))
    response = client.get(f"/api/enterprises/{unknown}", headers=headers)
    assert response.status_code == 404 and "未找到统一社会信用代码" in response.json()["detail"]
    broken = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")
    assert client.get(f"/api/enterprises/{broken}", headers=headers).status_code == 422


# -- demo routes ------------------------------------------------------------------------------------------------

def test_demo_routes_are_absent_without_demo_mode(client, db, marker):
    e = make(db, f"关闭{marker}商贸有限公司")
    assert client.get("/api/demo/enterprises").status_code == 404
    assert client.post("/api/demo/token", json={"uscc": e.uscc}).status_code == 404


def test_demo_list_searches_filters_and_counts_pending_reminders(demo_client, db, marker, monkeypatch):
    b = make(db, f"演示{marker}商贸有限公司", level="B")
    c = make(db, f"演示{marker}餐饮有限公司", level="C")
    make(db, f"真实{marker}商贸有限公司", demo=False)
    monkeypatch.delitem(enterprise_router.PENDING_COUNTS, "reminders", raising=False)  # the registry alone
    monkeypatch.setitem(enterprise_router.PENDING_COUNTS, "test", lambda session, ids: {b.id: 2})
    response = demo_client.get("/api/demo/enterprises", params={"q": marker})
    assert response.status_code == 200, response.text
    items = {i["uscc"]: i for i in response.json()["items"]}
    assert set(items) == {b.uscc, c.uscc}  # the imported enterprise is never listed
    assert items[b.uscc]["credit_level"] == "B" and items[b.uscc]["pending_reminders"] == 2
    assert items[c.uscc]["pending_reminders"] == 0 and items[c.uscc]["taxpayer_type_label"] == "小规模纳税人"
    only_c = demo_client.get("/api/demo/enterprises", params={"q": marker, "level": "c"}).json()["items"]
    assert [i["uscc"] for i in only_c] == [c.uscc]
    by_code = demo_client.get("/api/demo/enterprises", params={"q": b.uscc[:12].lower()}).json()["items"]
    assert b.uscc in [i["uscc"] for i in by_code]
    assert demo_client.get("/api/demo/enterprises", params={"level": "E"}).status_code == 422
    assert demo_client.get("/api/demo/enterprises", params={"q": "%_%" + marker}).json()["items"] == []


def test_demo_pending_counts_default_to_zero(demo_client, db, marker, monkeypatch):
    monkeypatch.delitem(enterprise_router.PENDING_COUNTS, "reminders", raising=False)  # nothing registered
    e = make(db, f"零提醒{marker}商贸有限公司")
    [item] = demo_client.get("/api/demo/enterprises", params={"q": marker}).json()["items"]
    assert item["uscc"] == e.uscc and item["pending_reminders"] == 0


def test_demo_token_is_a_two_hour_enterprise_token(demo_client, db, settings, marker):
    e = make(db, f"令牌{marker}商贸有限公司")
    response = demo_client.post("/api/demo/token", json={"uscc": e.uscc.lower()})
    assert response.status_code == 200, response.text
    body = response.json()
    identity = verify_enterprise_token(body["token"], secret=settings.app_secret)
    assert identity.uscc == e.uscc and identity.name == e.name
    left = identity.expires_at - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)
    assert body["widget_url"] == f"/#enterprise_token={body['token']}"


def test_demo_token_is_never_given_for_an_imported_enterprise(demo_client, db, marker):
    real = make(db, f"真实{marker}商贸有限公司", demo=False)
    response = demo_client.post("/api/demo/token", json={"uscc": real.uscc})
    assert response.status_code == 404 and "演示企业" in response.json()["detail"]
    assert demo_client.post("/api/demo/token", json={"uscc": "91510107MAALN2LN7Z"}).status_code == 422


def test_the_demo_page_is_served_with_its_script_and_styles(client):
    page = client.get("/demo")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/demo.js"' in page.text and "演示模式未开启" in page.text
    assert client.get("/static/demo.js").status_code == 200 and client.get("/static/demo.css").status_code == 200


# -- the action server's own-credit route ---------------------------------------------------------------------

def test_own_credit_for_the_tokens_enterprise(client, db, marker, service_headers, enterprise_grant):
    e = make(db, f"信用{marker}商贸有限公司")
    response = client.post("/api/internal/credit", json=enterprise_grant(e.uscc),
                           headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["level"], body["year"], body["score"]) == ("B", 2025, 87)
    assert body["text"].startswith("贵企业2025年度纳税信用等级为B级（87分）")
    assert body["deductions"] == [{"id": body["deductions"][0]["id"], "reason_code": "overdue_filing",
                                   "reason": "未按规定期限填报纳税申报表", "points": 5, "date": "2025-10-24",
                                   "repairable": True, "corrected": False, "corrected_on": None}]


def test_another_enterprises_token_gives_that_enterprises_data_only(client, db, marker, service_headers,
                                                                    enterprise_grant):
    mine = make(db, f"甲{marker}商贸有限公司", level="A", repairable=False)
    theirs = make(db, f"乙{marker}商贸有限公司", level="D")
    response = client.post("/api/internal/credit", json=enterprise_grant(theirs.uscc),
                           headers=service_headers)
    assert response.status_code == 200 and response.json()["level"] == "D"
    assert "A级" not in response.json()["text"]
    response = client.post("/api/internal/credit", json=enterprise_grant(mine.uscc),
                           headers=service_headers)
    assert response.json()["level"] == "A"


def test_a_uscc_in_the_body_is_ignored(client, db, marker, service_headers, enterprise_grant):
    mine = make(db, f"本企业{marker}商贸有限公司", level="B")
    other = make(db, f"他企业{marker}商贸有限公司", level="C")
    response = client.post("/api/internal/credit", headers=service_headers,
                           json={**enterprise_grant(mine.uscc), "uscc": other.uscc})
    assert response.status_code == 200 and response.json()["level"] == "B"
    response = client.post("/api/internal/credit", headers=service_headers, json={"uscc": other.uscc})
    assert response.status_code == 401 and "登录" in response.json()["detail"]


def test_bad_expired_or_missing_tokens_are_refused(client, db, marker, service_headers, enterprise_grant):
    e = make(db, f"过期{marker}商贸有限公司")
    expired = enterprise_grant(e.uscc, lifetime=timedelta(seconds=-5))
    response = client.post("/api/internal/credit", json=expired, headers=service_headers)
    assert response.status_code == 401 and "过期" in response.json()["detail"]
    response = client.post("/api/internal/credit", json={"sender_id": "s", "enterprise_grant": "not-a-token"},
                           headers=service_headers)
    assert response.status_code == 401 and "无效" in response.json()["detail"]
    assert client.post("/api/internal/credit", json={}, headers=service_headers).status_code == 401
    assert client.post("/api/internal/credit", headers=service_headers).status_code == 422


def test_only_the_action_server_may_ask(client, db, marker, enterprise_grant):
    e = make(db, f"服务凭证{marker}商贸有限公司")
    body = enterprise_grant(e.uscc)
    assert client.post("/api/internal/credit", json=body).status_code == 401
    assert client.post("/api/internal/credit", json=body,
                       headers={"Authorization": "Bearer wrong-service-token"}).status_code == 401


def test_no_credit_record_is_404_with_the_bots_sentence(client, db, marker, service_headers, enterprise_grant):
    e = make(db, f"无记录{marker}商贸有限公司", level=None)
    for uscc in (e.uscc, make_uscc(next(_seeds))):
        response = client.post("/api/internal/credit", json=enterprise_grant(uscc),
                               headers=service_headers)
        assert response.status_code == 404 and response.json()["detail"].startswith("暂未查询到贵企业的纳税信用记录")
