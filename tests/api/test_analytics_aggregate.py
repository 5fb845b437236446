"""The daily aggregation: hand-counted numbers for a hand-made day, idempotence, stale days, the sweep, the CLI."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.analytics import aggregate as agg
from api.analytics.models import AnalyticsDayRun, ConversationFact, DailyFigures, DailyKey, DailySeat, UnansweredGroup
from api.analytics.scheduled import LAST_SWEEP_KEY, sweep_once
from api.core.runtime import runtime
from api.hub.models import Message
from tests.api.analyticskit import DAY, EXPECTED, EXPECTED_ENTERPRISE, NEXT, at, build_day
from tests.api.conftest import build_world


@pytest.fixture(scope="module")
def made(api_engine):
    factory = sessionmaker(bind=api_engine, future=True, expire_on_commit=False)
    with factory() as session:
        world = build_world(session, f"a{uuid4().hex[:8]}-")
        day = build_day(session, world.service_dept.id, world.clerk, tag="-agg")
        agg.aggregate_day(session, DAY)
        agg.aggregate_day(session, NEXT)
        session.commit()
    return world, day, factory


def _figures(session, day, unit_id, channel=None) -> dict:
    rows = session.execute(select(DailyFigures).where(DailyFigures.day == day, DailyFigures.unit_id == unit_id)).scalars()
    out: dict = {}
    for row in rows:
        if channel and row.channel != channel:
            continue
        for name in EXPECTED:
            out[name] = out.get(name, 0) + getattr(row, name)
    return out


def _keys(session, dimension, day=DAY) -> dict:
    """key → (total, unanswered, useful, useless), summed over the channels."""
    out: dict = {}
    for row in session.execute(select(DailyKey).where(DailyKey.day == day, DailyKey.dimension == dimension)).scalars():
        before = out.get(row.key, (0, 0, 0, 0))
        out[row.key] = tuple(a + b for a, b in zip(before, (row.total, row.unanswered, row.useful, row.useless)))  # noqa: B905
    return out


def _snapshot(session, day) -> list:
    out = []
    for model in (DailyFigures, DailyKey, DailySeat, UnansweredGroup, ConversationFact):
        for row in session.execute(select(model).where(model.day == day)).scalars():
            out.append((model.__tablename__, tuple(sorted((c.name, repr(getattr(row, c.name))) for c in model.__table__.c
                                                           if c.name != "id"))))
    return sorted(out)


def test_daily_figures_are_the_hand_counted_ones(made, db):
    world, _, _ = made
    assert _figures(db, DAY, world.service_dept.id) == EXPECTED
    enterprise = _figures(db, DAY, world.service_dept.id, "enterprise")
    assert {k: enterprise[k] for k in EXPECTED_ENTERPRISE} == EXPECTED_ENTERPRISE
    # the next day has c1's "谢谢" and its small talk, but no conversation of its own
    following = _figures(db, NEXT, world.service_dept.id)
    assert following["conversations"] == 0 and following["messages"] == 2 and following["bot_turns"] == 1


def test_seat_figures_and_ratings(made, db):
    world, _, _ = made
    row = db.execute(select(DailyFigures).where(DailyFigures.day == DAY, DailyFigures.channel == "visitor",
                                                DailyFigures.unit_id == world.service_dept.id)).scalar_one()
    assert (row.seat_conversations, row.wait_seconds_sum, row.first_response_seconds_sum, row.handling_seconds_sum,
            row.rating_sum, row.rating_count, row.rating_satisfied) == (1, 60, 60, 840, 5, 1, 1)
    seat = db.execute(select(DailySeat).where(DailySeat.day == DAY, DailySeat.staff_id == world.clerk.id)).scalar_one()
    assert (seat.conversations, seat.wait_count, seat.first_response_count, seat.handling_count, seat.rating_count) == \
        (1, 1, 1, 1, 1)
    assert seat.handling_seconds_sum == 840


def test_intents_topics_entries_and_reasons(made, db):
    assert _keys(db, "intent") == {"ask_tax_question": (5, 3, 0, 0), "request_human": (1, 0, 0, 0),
                                   "file_petition": (1, 0, 0, 0), "greet": (1, 0, 0, 0)}
    assert _keys(db, "intent", NEXT) == {"thank": (1, 0, 0, 0)}
    assert _keys(db, "topic") == {"vat-small-scale-exemption": (1, 0, 1, 0), "invoice-red-letter": (1, 1, 0, 1),
                                  "invoice-digital": (0, 1, 0, 0)}
    assert _keys(db, "entry") == {"vat-small-scale-exemption-threshold": (1, 0, 1, 0),
                                  "invoice-red-letter-confirmation": (1, 0, 0, 1)}
    assert _keys(db, "handoff_reason") == {"bot_failed": (1, 0, 0, 0)}
    assert _keys(db, "fallback_reason") == {"no_answer": (2, 0, 0, 0)}
    assert _keys(db, "rating") == {"5": (1, 0, 0, 0)}


def test_conversation_facts(made, db):
    _, day, _ = made
    facts = {f.conversation_id: f for f in db.execute(select(ConversationFact).where(ConversationFact.day == DAY))
             .scalars()}
    by = {name: facts[getattr(day, name).id] for name in ("c1", "c2", "c3", "c4", "c5")}
    assert {name: f.outcome for name, f in by.items()} == {"c1": "answered", "c2": "handed_off", "c3": "clarified",
                                                            "c4": "petition", "c5": "other"}
    assert {name for name, f in by.items() if f.contained} == {"c1", "c3"}
    assert by["c1"].user_messages == 2 and by["c1"].intents == " ask_tax_question thank "
    assert by["c1"].topics == " vat-small-scale-exemption " and by["c1"].channel == "enterprise"
    assert by["c3"].topics == " invoice-red-letter invoice-digital "
    assert by["c2"].fell_back == 2 and by["c2"].rating == 5 and by["c2"].staff_id == made[0].clerk.id
    assert by["c2"].first_question == "社保卡丢了怎么补办"
    assert by["c5"].day == DAY  # 00:30 in Shanghai is the day before in UTC


def test_unanswered_turns_are_kept_by_term_set(made, db):
    _, day, _ = made
    rows = {r.terms: r for r in db.execute(select(UnansweredGroup).where(UnansweredGroup.day == DAY)).scalars()}
    # the knowledge analyzer's terms: what went missing ("丢"), what went wrong ("开", "错") count as much as nouns
    assert set(rows) == {"丢 社会保险费 补办", "丢 电话 社会保险费 补办", "发票 开 错"}
    first = rows["丢 社会保险费 补办"]
    assert (first.count, first.fallbacks, first.clarifies) == (1, 1, 0)
    assert first.examples[0]["message_id"] == day.c2_fallbacks[0].id
    assert first.examples[0]["conversation_id"] == day.c2.id and first.examples[0]["text"] == "社保卡丢了怎么补办"
    clarify = rows["发票 开 错"]
    assert (clarify.count, clarify.clarifies, clarify.entry_id) == (1, 1, "invoice-red-letter-confirmation")


def test_aggregation_is_idempotent(made, db):
    before = _snapshot(db, DAY)
    runs = db.execute(select(AnalyticsDayRun).where(AnalyticsDayRun.day == DAY)).scalars().all()
    assert len(runs) == 1
    agg.aggregate_day(db, DAY)
    agg.aggregate_day(db, DAY)
    db.commit()
    assert _snapshot(db, DAY) == before
    assert len(db.execute(select(AnalyticsDayRun).where(AnalyticsDayRun.day == DAY)).scalars().all()) == 1


def test_a_late_change_is_found_and_counted(made, db):
    _, day, _ = made
    assert DAY in agg.changed_days(db, at(NEXT, 0, 0))  # c1 got a message on the next day
    assert agg.changed_days(db, at(NEXT, 12, 0)) & {DAY, NEXT} == set()
    answer = db.get(Message, day.c1_answer.id)
    answer.feedback, answer.feedback_at = "useless", at(NEXT, 13, 0)
    db.commit()
    try:
        assert DAY in agg.changed_days(db, at(NEXT, 12, 0))
        agg.aggregate_day(db, DAY)
        db.commit()
        figures = _figures(db, DAY, made[0].service_dept.id)
        assert (figures["feedback_useful"], figures["feedback_useless"]) == (0, 2)
    finally:
        answer.feedback, answer.feedback_at = "useful", at(DAY, 9, 2)
        db.commit()
        agg.aggregate_day(db, DAY)
        db.commit()


def test_the_sweep_aggregates_today_yesterday_and_stale_days(client, made, db):
    app = client.app
    runtime(app).redis.delete(LAST_SWEEP_KEY)
    later = at(NEXT, 12, 0) + timedelta(days=3)  # "today" is NEXT + 3; c1's last message is older than a day
    result = sweep_once(runtime(app), now=later)
    assert result["days"] == [(NEXT + timedelta(days=2)).isoformat(), (NEXT + timedelta(days=3)).isoformat()]
    answer = db.get(Message, made[1].c1_answer.id)
    answer.feedback_at = later + timedelta(minutes=1)  # feedback given after the last sweep
    db.commit()
    result = sweep_once(runtime(app), now=later + timedelta(minutes=5))
    assert DAY.isoformat() in result["days"]
    assert runtime(app).redis.get(LAST_SWEEP_KEY)
    lock = runtime(app).redis.lock("lock:analytics-sweep", timeout=5, blocking=False)
    assert lock.acquire()
    try:
        assert sweep_once(runtime(app), now=later) is None  # another instance holds the lock
    finally:
        lock.release()


def test_command_line(made, database_url, capsys, db):
    before = _snapshot(db, DAY)
    assert agg.main(["--from", DAY.isoformat(), "--to", NEXT.isoformat(), "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert f"{DAY.isoformat()}: 5 conversations" in out and "2 days in" in out
    db.expire_all()
    assert _snapshot(db, DAY) == before
