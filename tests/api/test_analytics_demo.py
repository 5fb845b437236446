"""Demo conversations (tools.demo.conversations): after a demo seeding an operator finds every chart of the dashboard
filled with sensible numbers and a demo enterprise's conversations by its name in the review; seeding again adds
nothing. A small volume (300 conversations over 10 days) in a unit of its own, through the real routes."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from api.core.time import aware_now, china_date
from api.hub.models import Conversation, Message
from api.petition.models import Petition, PetitionTicketCounter
from tests.api.conftest import build_world
from tools.demo.conversations import DEMO_SENDER, MESSAGES_PER_CONVERSATION, seed_demo_conversations
from tools.demo.enterprises import seed_demo

CONVERSATIONS, DAYS = 300, 10
NOW = aware_now()
TODAY = china_date(NOW)
FIRST_DAY = TODAY - timedelta(days=DAYS - 1)
CHARTS = ("overview", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns")


@pytest.fixture(scope="module")
def ticket_counters_restored(api_engine):
    """Seeding moves the petition ticket counters of its days on; leave_no_trace deletes the petitions (by id), the
    counters (keyed by day) are put back here."""
    with api_engine.connect() as connection:
        before = dict(connection.execute(select(PetitionTicketCounter.day, PetitionTicketCounter.last)).all())
    yield
    counters = PetitionTicketCounter.__table__
    with api_engine.begin() as connection:
        connection.execute(delete(counters).where(counters.c.day.not_in(list(before))))
        for day, last in before.items():
            connection.execute(counters.update().where(counters.c.day == day).values(last=last))


def _seed(session, world) -> dict:
    return seed_demo_conversations(session, unit_id=world.service_dept.id,
                                   seats=[world.clerk, world.registrar, world.expert], operator_id=world.operator.id,
                                   conversations=CONVERSATIONS, days=DAYS, now=NOW)


@pytest.fixture(scope="module")
def seeded(api_engine, ticket_counters_restored):
    factory = sessionmaker(bind=api_engine, future=True, expire_on_commit=False)
    with factory() as session:
        world = build_world(session, f"d{uuid4().hex[:8]}-")
        seed_demo(session, n=40)  # the demo enterprises the conversations are attributed to
        result = _seed(session, world)
        session.commit()
    return world, result, factory


@pytest.fixture
def get(client, auth, seeded):
    world = seeded[0]

    def call(path: str, **params):
        params = {"date_from": FIRST_DAY.isoformat(), "date_to": TODAY.isoformat(), **params}
        response = client.get(path, params=params, headers=auth(world.operator))
        assert response.status_code == 200, response.text
        return response.json()
    return call


def _chart(get, seeded, chart: str) -> dict:
    return get(f"/api/analytics/{chart}", unit_id=seeded[0].service_dept.id)


def test_the_plan_is_written_as_asked_and_nothing_happens_after_now(seeded):
    world, result, factory = seeded
    assert result["skipped"] is None and result["conversations"] == CONVERSATIONS
    assert result["messages"] == CONVERSATIONS * MESSAGES_PER_CONVERSATION and result["days"] == DAYS
    with factory() as session:
        demo = select(Conversation).where(Conversation.rasa_sender.like(f"{DEMO_SENDER}%"))
        conversations = session.execute(demo).scalars().all()
        latest = session.execute(select(func.max(Message.created_at)).where(
            Message.conversation_id.in_([c.id for c in conversations]))).scalar_one()
    assert len(conversations) == CONVERSATIONS and {c.unit_id for c in conversations} == {world.service_dept.id}
    assert all(c.created_at.tzinfo is not None for c in conversations)
    assert min(china_date(c.created_at) for c in conversations) >= FIRST_DAY and latest <= NOW
    ids = [c.id for c in sorted(conversations, key=lambda c: c.created_at)]
    assert ids == sorted(ids)  # numbered in the order they began, as the hub numbers them


def test_the_overview_has_every_day_and_rates_strictly_between_nought_and_one(get, seeded):
    data = _chart(get, seeded, "overview")
    total = data["total"]
    assert len(data["days"]) == DAYS and sum(day["conversations"] > 0 for day in data["days"]) >= DAYS - 1
    assert total["conversations"] == CONVERSATIONS and total["messages"] >= CONVERSATIONS * 8
    for rate in ("containment_rate", "handoff_rate", "fallback_rate", "clarify_rate"):
        assert 0 < total[rate] < 1, rate
    assert total["containment_rate"] > total["handoff_rate"]
    assert {r["reason"] for r in data["handoff_reasons"]} >= {"user_request", "bot_failed"}
    assert {r["reason"] for r in data["fallback_reasons"]} >= {"no_answer"} and data["as_of"]


def test_intents_topics_and_feedback_count_the_answers(get, seeded):
    intents = {row["intent"]: row for row in _chart(get, seeded, "intents")["intents"]}
    assert intents["ask_tax_question"]["turns"] > 0 and 0 < intents["ask_tax_question"]["unanswered_rate"] < 1
    topics = _chart(get, seeded, "topics")
    assert topics["total_answers"] > 0 and all(row["title"] for row in topics["topics"])
    feedback = _chart(get, seeded, "feedback")["total"]
    assert feedback["useful"] > feedback["useless"] > 0
    assert feedback["rated"] == feedback["useful"] + feedback["useless"]
    assert feedback["answers"] == topics["total_answers"]


def test_fallbacks_are_grouped_in_unanswered(get, seeded):
    data = _chart(get, seeded, "unanswered")
    assert data["groups"] and sum(group["fallbacks"] for group in data["groups"]) > 0
    assert all(group["count"] >= 1 and group["examples"] for group in data["groups"])


def test_the_seats_have_ratings_from_one_to_five(get, seeded):
    world = seeded[0]
    data = _chart(get, seeded, "seats")
    overall = data["overall"]
    assert overall["conversations"] > 0 and overall["ratings"] > 0 and 1 <= overall["rating_avg"] <= 5
    assert sum(overall["rating_distribution"].values()) == overall["ratings"]
    assert overall["wait_avg_seconds"] > 0 and overall["first_response_avg_seconds"] > 0
    seats = {row["staff_id"]: row for row in data["seats"]}
    assert set(seats) <= {world.clerk.id, world.registrar.id, world.expert.id} and world.clerk.id in seats
    assert all(row["rating_avg"] is None or 1 <= row["rating_avg"] <= 5 for row in seats.values())


def test_petitions_and_campaigns_have_their_charts(get, seeded):
    world, result, factory = seeded
    petitions = _chart(get, seeded, "petitions")
    assert petitions["total"]["received"] >= result["petitions"] > 0
    assert "智能助手" in {group["key"] for group in petitions["by_channel"]}
    campaigns = _chart(get, seeded, "campaigns")["campaigns"]
    assert campaigns and all(c["status"] == "sent" and c["funnel"]["evaluated"] > 0 for c in campaigns)
    # Sent for real: the rules found the demo enterprises they are written for (never "2000 evaluated, 0 targeted").
    assert all(c["funnel"]["targeted"] > 0 for c in campaigns if c["rule_id"] != "risk-overdue-filing")
    assert sum(c["funnel"]["targeted"] for c in campaigns) == result["reminders"] > 0
    with factory() as session:  # a petition filed in the chat is the conversation's ticket
        conversation = session.execute(select(Conversation).where(
            Conversation.unit_id == world.service_dept.id, Conversation.petition_ticket.is_not(None))
            .limit(1)).scalar_one()
        petition = session.execute(select(Petition).where(Petition.ticket == conversation.petition_ticket)).scalar_one()
    assert (petition.channel, petition.sender_id) == ("智能助手", conversation.rasa_sender)


def test_the_dashboard_route_answers_in_one_call(get, seeded):
    data = get("/api/analytics/dashboard", unit_id=seeded[0].service_dept.id)
    assert set(CHARTS) <= set(data) and data["overview"]["total"]["conversations"] == CONVERSATIONS


def test_the_review_finds_a_demo_enterprise_by_its_name(get, seeded):
    world, _, factory = seeded
    with factory() as session:
        conversation = session.execute(select(Conversation).where(
            Conversation.unit_id == world.service_dept.id, Conversation.enterprise_name.is_not(None))
            .order_by(Conversation.id.desc()).limit(1)).scalar_one()
    found = get("/api/review/conversations", enterprise=conversation.enterprise_name, unit_id=world.service_dept.id,
                page_size=100)
    assert found["total"] >= 1 and conversation.id in {item["id"] for item in found["items"]}
    assert all(item["channel"] == "enterprise" for item in found["items"])


def _counts(session) -> tuple[int, int]:
    return (session.execute(select(func.count()).select_from(Conversation)).scalar_one(),
            session.execute(select(func.count()).select_from(Message)).scalar_one())


def test_seeding_again_adds_nothing(seeded):
    world, _, factory = seeded
    with factory() as session:
        before = _counts(session)
        again = _seed(session, world)
        session.commit()
        assert again == {"skipped": "demo conversations exist"} and _counts(session) == before
