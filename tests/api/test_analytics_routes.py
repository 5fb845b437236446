"""Dashboard chart routes: the hand-counted day through the API, CSV downloads (masked), roles, petitions,
campaigns."""
from __future__ import annotations

import csv
import io
from uuid import uuid4

import pytest
from sqlalchemy.orm import sessionmaker

from api.analytics.aggregate import aggregate_day
from api.core.time import aware_now
from api.reminder.models import Campaign
from common.workdays import china_today
from tests.api.analyticskit import DAY, EXPECTED, EXPECTED_ENTERPRISE, NEXT, PHONE, build_day
from tests.api.conftest import build_world

CHARTS = ("overview", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns")


@pytest.fixture(scope="module")
def made(api_engine):
    factory = sessionmaker(bind=api_engine, future=True, expire_on_commit=False)
    with factory() as session:
        world = build_world(session, f"r{uuid4().hex[:8]}-")
        day = build_day(session, world.service_dept.id, world.clerk, tag="-routes")
        aggregate_day(session, DAY)
        aggregate_day(session, NEXT)
        session.commit()
    return world, day


@pytest.fixture
def get(client, auth, made):
    world = made[0]

    def call(chart: str, staff=None, **params):
        params = {"date_from": DAY.isoformat(), "date_to": NEXT.isoformat(), "unit_id": world.service_dept.id, **params}
        response = client.get(f"/api/analytics/{chart}", params=params, headers=auth(staff or world.operator))
        assert response.status_code == 200, response.text
        return response.json() if params.get("format") != "csv" else response
    return call


@pytest.mark.parametrize("chart", CHARTS)
def test_charts_need_an_operator_or_an_admin(client, auth, made, chart):
    world = made[0]
    url = f"/api/analytics/{chart}?date_from={DAY}&date_to={NEXT}"
    assert client.get(url).status_code == 401
    for other in (world.clerk, world.supervisor, world.handler, world.expert):
        response = client.get(url, headers=auth(other))
        assert response.status_code == 403 and response.json()["code"] == "role_forbidden"
    for allowed in (world.operator, world.admin):
        assert client.get(url, headers=auth(allowed)).status_code == 200


def test_overview_per_day_and_rates(get):
    data = get("overview")
    first, second = data["days"]
    assert first["day"] == DAY.isoformat() and {k: first[k] for k in EXPECTED} == EXPECTED
    assert (first["containment_rate"], first["handoff_rate"], first["fallback_rate"], first["clarify_rate"]) == \
        (0.4, 0.2, 0.25, 0.125)
    assert (second["conversations"], second["messages"], second["containment_rate"]) == (0, 2, None)
    assert data["total"]["messages"] == 19 and data["total"]["bot_turns"] == 9
    assert data["handoff_reasons"] == [{"reason": "bot_failed", "label": "智能助手未能解答", "conversations": 1,
                                        "share": 1.0}]
    assert data["fallback_reasons"][0]["reason"] == "no_answer" and data["fallback_reasons"][0]["turns"] == 2
    assert data["as_of"] is not None
    enterprise = get("overview", channel="enterprise")["days"][0]
    assert {k: enterprise[k] for k in EXPECTED_ENTERPRISE} == EXPECTED_ENTERPRISE
    assert get("overview", date_from="2026-10-01", date_to="2026-10-02")["total"]["conversations"] == 0


def test_period_limits(client, auth, made):
    headers = auth(made[0].operator)
    assert client.get("/api/analytics/overview?date_from=2026-10-02&date_to=2026-10-01", headers=headers).status_code == 422
    assert client.get("/api/analytics/overview?date_from=2024-01-01&date_to=2026-10-01", headers=headers).status_code == 422
    assert client.get("/api/analytics/overview?channel=fax", headers=headers).status_code == 422
    assert len(client.get("/api/analytics/overview", headers=headers).json()["days"]) == 30


def test_top_intents_and_topics(get):
    intents = {r["intent"]: r for r in get("intents")["intents"]}
    assert intents["ask_tax_question"] == {"intent": "ask_tax_question", "turns": 5, "unanswered": 3,
                                           "unanswered_rate": 0.6, "share": 0.5556}
    assert intents["thank"]["turns"] == 1
    topics = {r["topic"]: r for r in get("topics")["topics"]}
    assert (topics["vat-small-scale-exemption"]["answers"], topics["vat-small-scale-exemption"]["useful"]) == (1, 1)
    assert (topics["invoice-red-letter"]["answers"], topics["invoice-red-letter"]["clarify_offers"],
            topics["invoice-red-letter"]["useless"]) == (1, 1, 1)
    assert (topics["invoice-digital"]["answers"], topics["invoice-digital"]["clarify_offers"]) == (0, 1)
    assert topics["vat-small-scale-exemption"]["title"] != "vat-small-scale-exemption"  # the topic's name


def test_unanswered_questions_grouped_with_masked_examples(get, made):
    day = made[1]
    data = get("unanswered")
    assert data["turns"] == 3
    social, invoice = data["groups"]
    assert (social["count"], social["fallbacks"], social["clarifies"]) == (2, 2, 0)
    assert {e["message_id"] for e in social["examples"]} == {m.id for m in day.c2_fallbacks}
    assert all(e["conversation_id"] == day.c2.id for e in social["examples"])
    texts = " ".join(e["text"] for e in social["examples"])
    assert PHONE not in texts and "138****8000" in texts
    assert (invoice["count"], invoice["clarifies"]) == (1, 1)
    assert invoice["suggested_entry"]["entry_id"] == "invoice-red-letter-confirmation"
    assert invoice["suggested_topic"]["topic"] == "invoice-red-letter"
    assert [g["count"] for g in get("unanswered", kind="fallback")["groups"]] == [2]
    assert [g["count"] for g in get("unanswered", kind="clarify")["groups"]] == [1]


def test_feedback_per_entry(get):
    data = get("feedback")
    assert data["total"] == {"answers": 2, "useful": 1, "useless": 1, "rated": 2, "useful_rate": 0.5}
    first, second = data["entries"]
    assert (first["entry_id"], first["useless"], first["useful_rate"]) == ("invoice-red-letter-confirmation", 1, 0.0)
    assert (second["entry_id"], second["useful"], second["useful_rate"]) == ("vat-small-scale-exemption-threshold", 1, 1.0)
    assert first["in_knowledge_base"] and first["topic"] == "invoice-red-letter"


def test_seats(get, made):
    world = made[0]
    data = get("seats")
    (seat,) = data["seats"]
    assert (seat["staff_id"], seat["name"], seat["conversations"]) == (world.clerk.id, "clerk", 1)
    assert (seat["wait_avg_seconds"], seat["first_response_avg_seconds"], seat["handling_avg_seconds"]) == (60, 60, 840)
    assert (seat["ratings"], seat["rating_avg"], seat["satisfied_rate"]) == (1, 5.0, 1.0)
    assert data["overall"]["rating_distribution"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    assert data["overall"]["conversations"] == 1


def _csv(response) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_the_same_numbers(get):
    rows = _csv(get("overview", format="csv"))
    assert rows[0][:3] == ["日期", "会话数", "有效会话"]
    day = rows[1]
    assert day[0] == DAY.isoformat() and day[1:4] == ["5", "5", "17"] and day[15] == "0.4"
    assert rows[3][0] == "合计" and rows[3][3] == "19"
    intents = _csv(get("intents", format="csv"))
    assert ["ask_tax_question", "5", "3", "0.6", "0.5556"] in intents
    for chart in ("topics", "feedback", "seats", "petitions", "campaigns"):
        assert _csv(get(chart, format="csv"))[0]


def test_csv_of_unanswered_is_masked(get):
    rows = _csv(get("unanswered", format="csv"))
    flat = "\n".join(",".join(r) for r in rows)
    assert PHONE not in flat and rows[1][2] == "2"


def test_petitions_reuse_the_statistics_and_mask_demands(get, client, auth, made, register):
    content = f"电子税务局申报时退税进度一直查不到，联系电话{PHONE}，请尽快处理退税进度。"
    for _ in range(2):
        register(content=content)
    today = china_today()
    data = get("petitions", date_from=today.isoformat(), date_to=today.isoformat(), top=5)
    assert data["total"]["received"] >= 2
    assert {"by_category", "by_channel", "by_unit", "common_demands"} <= set(data)
    assert any(g["key"] == "信息化建设类" for g in data["by_category"])
    assert set(data["total"]["on_time"]) == {"handover", "handling", "feedback"}
    examples = [e["content"] for t in data["common_demands"]["themes"] for e in t["examples"]]
    assert examples and all(PHONE not in text for text in examples)
    assert any("138****8000" in text for text in examples)


def test_campaign_funnels(get, db, made):
    now = aware_now()
    campaign = Campaign(name="小微企业优惠提醒", rule_id="policy-small-low-profit", status="sent", repeat="none",
                        created_at=now, started_at=now, finished_at=now, cursor=0, evaluated=12, targeted=0, skipped=0,
                        created_by_staff_id=made[0].operator.id)
    db.add(campaign)
    db.commit()
    today = china_today().isoformat()
    data = get("campaigns", date_from=today, date_to=today)
    mine = next(c for c in data["campaigns"] if c["id"] == campaign.id)
    assert mine["funnel"]["evaluated"] == 12 and mine["funnel"]["targeted"] == 0
    assert set(mine["funnel"]) >= {"delivered", "read", "answered", "corrected", "closed"}


def test_unmasked_charts_are_for_admins_and_audited(client, auth, made):
    world = made[0]
    url = f"/api/analytics/unanswered?date_from={DAY}&date_to={NEXT}&unit_id={world.service_dept.id}&unmasked=true"
    response = client.get(url, headers=auth(world.operator))
    assert response.status_code == 403 and response.json()["code"] == "unmask_forbidden"
    response = client.get(url, headers=auth(world.admin))
    assert response.status_code == 200
    assert PHONE in " ".join(e["text"] for g in response.json()["groups"] for e in g["examples"])
    audit = client.get("/api/review/audit", headers=auth(world.admin)).json()["items"]
    assert audit[0]["staff_id"] == world.admin.id and audit[0]["subject"] == "/api/analytics/unanswered"
    assert audit[0]["detail"]["unmasked"] == "true"


def test_the_whole_dashboard_in_one_call(client, auth, made, get):
    world = made[0]
    params = {"date_from": DAY.isoformat(), "date_to": NEXT.isoformat(), "unit_id": world.service_dept.id}
    assert client.get("/api/analytics/dashboard", params=params, headers=auth(world.clerk)).status_code == 403
    data = client.get("/api/analytics/dashboard", params=params, headers=auth(world.operator)).json()
    assert set(CHARTS) <= set(data)
    for chart in ("overview", "intents", "topics", "feedback", "seats", "unanswered"):
        single = get(chart)
        if chart == "overview":
            single.pop("as_of"), data[chart].pop("as_of")
        assert data[chart] == single
    assert PHONE not in str(data["unanswered"])
