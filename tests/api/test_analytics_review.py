"""Conversation review: search filters, transcript with intents and envelopes, masking and the audit log of
unmasked views, tags, marks on wrong bot turns, roles."""
from __future__ import annotations

import csv
import io
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.analytics.aggregate import aggregate_day
from api.privacy.models import AuditEntry
from tests.api.analyticskit import C1_QUESTION, DAY, NAME, NEXT, PHONE, USCC, build_day
from tests.api.conftest import build_world


@pytest.fixture(scope="module")
def made(api_engine):
    factory = sessionmaker(bind=api_engine, future=True, expire_on_commit=False)
    with factory() as session:
        world = build_world(session, f"v{uuid4().hex[:8]}-")
        day = build_day(session, world.service_dept.id, world.clerk, tag="-review")
        aggregate_day(session, DAY)
        aggregate_day(session, NEXT)
        session.commit()
    return world, day


@pytest.fixture
def search(client, auth, made):
    world = made[0]

    def call(staff=None, expect=200, **params):
        params = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat(), "unit_id": world.service_dept.id, **params}
        response = client.get("/api/review/conversations", params=params, headers=auth(staff or world.operator))
        assert response.status_code == expect, response.text
        return response.json()
    return call


def ids(data) -> set[int]:
    return {item["id"] for item in data["items"]}


def test_search_filters(search, made):
    day = made[1]
    every = {day.c1.id, day.c2.id, day.c3.id, day.c4.id, day.c5.id}
    assert ids(search()) == every and search()["total"] == 5
    assert ids(search(q="社保卡")) == {day.c2.id}
    assert ids(search(q="开具红字")) == {day.c3.id}  # a bot answer
    assert ids(search(q="按季申报")) == {day.c1.id}  # the answer of the entry c1 was given
    assert ids(search(q="没有把握")) == {day.c2.id}  # a fallback's text
    assert ids(search(q="税务干部")) == {day.c2.id}  # a system line
    assert day.c3.id in ids(search(q="红")) and ids(search(q="丢了如何")) == {day.c2.id}
    assert ids(search(q="丢了投诉")) == set()  # both words are there, not together
    assert ids(search(q="100%_")) == set()  # LIKE wildcards are literal
    assert ids(search(enterprise=USCC)) == {day.c1.id}
    assert ids(search(enterprise="小微商贸")) == {day.c1.id}
    assert ids(search(enterprise="商贸有限公司")) == {day.c1.id, day.c4.id}
    assert ids(search(intent="file_petition")) == {day.c4.id}
    assert ids(search(intent="ask_tax_question")) == {day.c1.id, day.c2.id, day.c3.id}
    assert ids(search(intent="ask_tax")) == set()  # whole intents only
    assert ids(search(topic="invoice-digital")) == {day.c3.id}
    assert ids(search(outcome="handed_off")) == {day.c2.id}
    assert ids(search(outcome="petition")) == {day.c4.id}
    assert ids(search(outcome="fell_back")) == set()
    assert ids(search(outcome="other")) == {day.c5.id}
    assert ids(search(rating=5)) == {day.c2.id} and ids(search(rating_max=4)) == set()
    assert ids(search(rated=False)) == every - {day.c2.id}
    assert ids(search(channel="enterprise")) == {day.c1.id, day.c4.id}
    assert ids(search(contained=True)) == {day.c1.id, day.c3.id}
    assert ids(search(reason="bot_failed")) == {day.c2.id} and search(reason="bot_failed")["total"] == 1
    assert ids(search(date_from=NEXT.isoformat(), date_to=NEXT.isoformat())) == set()
    search(outcome="won", expect=422)


def test_pagination_newest_first(search, made):
    day = made[1]
    first = search(page_size=2)
    assert [i["id"] for i in first["items"]] == sorted([day.c1.id, day.c2.id, day.c3.id, day.c4.id, day.c5.id],
                                                       reverse=True)[:2]
    assert first["has_more"] and first["total"] == 5 and not first["total_capped"]
    last = search(page_size=2, page=3)
    assert len(last["items"]) == 1 and not last["has_more"]


def test_list_items_are_masked(search, made):
    item = next(i for i in search()["items"] if i["id"] == made[1].c1.id)
    assert item["uscc"] == USCC[:4] + "*" * 12 + USCC[-2:]
    assert item["enterprise_name"] == "成都******公司" and item["outcome"] == "answered" and item["outcome_label"]
    assert PHONE not in item["first_question"] and USCC not in item["first_question"]
    assert NAME not in item["first_question"] and "138****8000" in item["first_question"]
    assert item["intents"] == ["ask_tax_question", "thank"] and item["channel"] == "enterprise"


def test_transcript_with_intents_confidence_and_envelopes(client, auth, made):
    world, day = made
    data = client.get(f"/api/review/conversations/{day.c2.id}", headers=auth(world.operator)).json()
    assert data["masked"] and data["conversation"]["outcome"] == "handed_off"
    assert data["conversation"]["seat"] == {"staff_id": world.clerk.id, "name": "clerk"}
    assert data["conversation"]["reason_label"] == "智能助手未能解答" and data["conversation"]["rating"] == 5
    bots = [m for m in data["messages"] if m["sender"] == "bot"]
    assert [(m["kind"], m["intent"]) for m in bots] == [("fallback", "ask_tax_question"), ("fallback", "ask_tax_question"),
                                                        ("handoff", "request_human")]
    assert bots[0]["confidence"] == pytest.approx(0.41) and bots[0]["envelope"] == {"kind": "fallback", "reason": "no_answer"}
    assert [m["sender"] for m in data["messages"]].count("staff") == 1
    assert all(PHONE not in m["text"] for m in data["messages"])
    assert client.get("/api/review/conversations/999999", headers=auth(world.operator)).status_code == 404


def _audits(db) -> int:
    return db.execute(select(func.count(AuditEntry.id))).scalar_one()


def test_unmasked_transcript_only_for_admin_and_audited(client, auth, made, db):
    world, day = made
    url = f"/api/review/conversations/{day.c1.id}"
    before = _audits(db)
    masked = client.get(url, headers=auth(world.admin)).json()  # an admin too sees masked data by default
    text = masked["messages"][0]["text"]
    assert USCC not in text and PHONE not in text and NAME not in text
    assert masked["messages"][0]["sender_name"] == "成都******公司"
    assert _audits(db) == before
    refused = client.get(url + "?unmasked=true", headers=auth(world.operator))
    assert refused.status_code == 403 and refused.json()["code"] == "unmask_forbidden"
    assert _audits(db) == before
    plain = client.get(url + "?unmasked=true", headers=auth(world.admin)).json()
    assert not plain["masked"] and plain["messages"][0]["text"] == C1_QUESTION
    assert plain["conversation"]["uscc"] == USCC and plain["conversation"]["enterprise_name"] == NAME
    assert _audits(db) == before + 1
    log = client.get("/api/review/audit", headers=auth(world.admin)).json()
    entry = log["items"][0]
    assert (entry["staff_id"], entry["action"], entry["subject"]) == (world.admin.id, "view_transcript",
                                                                      f"conversation:{day.c1.id}")
    assert entry["at"] and entry["staff_name"] == "admin"
    assert client.get("/api/review/audit", headers=auth(world.operator)).status_code == 403
    listing = client.get("/api/review/conversations", params={"date_from": DAY.isoformat(), "date_to": DAY.isoformat(),
                                                              "enterprise": USCC, "unmasked": "true"},
                         headers=auth(world.admin)).json()
    assert listing["items"][0]["uscc"] == USCC and _audits(db) == before + 2


def test_csv_export_of_the_list_is_masked(client, auth, made):
    world = made[0]
    response = client.get("/api/review/conversations", params={"date_from": DAY.isoformat(), "date_to": DAY.isoformat(),
                                                               "unit_id": world.service_dept.id, "format": "csv"},
                          headers=auth(world.operator))
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "会话ID" and len(rows) == 6
    flat = "\n".join(",".join(r) for r in rows)
    assert USCC not in flat and PHONE not in flat and NAME not in flat


def test_tags(client, auth, made, search):
    world, day = made
    url = f"/api/review/conversations/{day.c3.id}/tags"
    headers = auth(world.operator)
    response = client.post(url, json={"add": ["错答", " 待复核 ", "错答"]}, headers=headers)
    assert response.status_code == 200 and response.json() == {"conversation_id": day.c3.id, "tags": ["错答", "待复核"]}
    assert client.post(url, json={"remove": ["待复核"]}, headers=headers).json()["tags"] == ["错答"]
    assert ids(search(tag="错答")) == {day.c3.id}
    assert next(i for i in search()["items"] if i["id"] == day.c3.id)["tags"] == ["错答"]
    assert {"tag": "错答", "conversations": 1} in client.get("/api/review/tags", headers=headers).json()["tags"]
    assert client.post(url, json={"add": ["x" * 21]}, headers=headers).status_code == 422
    assert client.post("/api/review/conversations/999999/tags", json={"add": ["a"]}, headers=headers).status_code == 404
    assert client.post(url, json={"add": ["a"]}, headers=auth(world.clerk)).status_code == 403


def test_mark_a_wrong_bot_turn(client, auth, made):
    world, day = made
    headers = auth(world.operator)
    turn = day.c2_fallbacks[0]
    response = client.post(f"/api/review/messages/{turn.id}/mark", headers=headers,
                           json={"correct_entry_id": "social-insurance-fees-collection", "note": "应能回答"})
    assert response.status_code == 200, response.text
    mark = response.json()
    assert (mark["message_id"], mark["conversation_id"], mark["kind"], mark["intent"]) == \
        (turn.id, day.c2.id, "fallback", "ask_tax_question")
    assert mark["correct_topic"] == "social-insurance-fees"  # filled from the entry
    assert mark["user_text"] == "社保卡丢了怎么补办" and mark["marked_by"]["staff_id"] == world.operator.id
    again = client.post(f"/api/review/messages/{turn.id}/mark", headers=auth(world.admin),
                        json={"correct_intent": "request_human"}).json()
    assert again["id"] == mark["id"] and again["correct_intent"] == "request_human" and again["correct_entry_id"] is None
    transcript = client.get(f"/api/review/conversations/{day.c2.id}", headers=headers).json()
    marked = next(m for m in transcript["messages"] if m["id"] == turn.id)
    assert marked["mark"]["correct_intent"] == "request_human"
    listed = client.get("/api/review/marks", headers=headers).json()
    assert listed["items"][0]["id"] == mark["id"]
    user_turn = day.c1_question
    refused = client.post(f"/api/review/messages/{user_turn.id}/mark", headers=headers, json={"note": "x"})
    assert refused.status_code == 409 and refused.json()["code"] == "not_a_bot_turn"
    for body, code in (({"correct_intent": "no_such_intent"}, "unknown_intent"),
                       ({"correct_entry_id": "no-such-entry"}, "unknown_entry"),
                       ({"correct_topic": "no-such-topic"}, "unknown_topic"), ({}, "empty_mark")):
        response = client.post(f"/api/review/messages/{turn.id}/mark", headers=headers, json=body)
        assert response.status_code == 422 and response.json()["code"] == code
    assert client.post("/api/review/messages/999999/mark", headers=headers, json={"note": "x"}).status_code == 404


def test_review_needs_an_operator(client, auth, made):
    world, day = made
    for url in ("/api/review/conversations", f"/api/review/conversations/{day.c1.id}", "/api/review/tags",
                "/api/review/marks"):
        assert client.get(url).status_code == 401
        assert client.get(url, headers=auth(world.clerk)).status_code == 403
        assert client.get(url, headers=auth(world.director)).status_code == 403
