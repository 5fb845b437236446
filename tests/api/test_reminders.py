"""Reminders end to end through the API and the hub: evaluation on opening the chat, campaigns with
quiet periods, caps and crash recovery, answers, repair applications, the 消息 list, privacy."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.core.runtime import runtime
from api.hub.models import Message
from api.reminder import campaigns
from api.reminder.models import Campaign, Reminder, RepairApplication
from api.reminder.scheduled import send_due_once
from tests.api.conftest import grant_fields
from tests.api.hubkit import hub_client, receive, receive_until, widget_socket, widget_token
from tests.api.reminderkit import correct_deductions, make_enterprise


@pytest.fixture
def hub(settings, world):
    quiet = settings.model_copy(update={"reminder_quiet_hours": "", "campaign_sweep_enabled": False})
    with hub_client(quiet, world.service_dept.id) as client:
        yield client


def open_widget(hub, enterprise_token):
    token = widget_token(hub, enterprise_token)
    return token, widget_socket(hub, token, enterprise_token)


def reminders_of(db, enterprise) -> list[Reminder]:
    db.expire_all()
    return list(db.execute(select(Reminder).where(Reminder.enterprise_id == enterprise.id)
                           .order_by(Reminder.id)).scalars())


def internal_answer(hub, service_headers, token, intent, reminder_id=None, **extra):
    """The action server's call for a message that came with the enterprise ``token``."""
    identity = grant_fields(token, secret=runtime(hub.app).settings.app_secret)
    return hub.post("/api/internal/reminders/answer", headers=service_headers,
                    json={**identity, "answer": intent, "reminder_id": reminder_id, **extra})


def test_opening_the_chat_finds_and_delivers_what_the_enterprise_should_know(hub, db, enterprise_token):
    enterprise = make_enterprise(db, name="提醒展示有限公司")
    token = enterprise_token(enterprise.uscc, name=enterprise.name)
    _, socket = open_widget(hub, token)
    with socket as ws:
        hello = receive(ws)
    delivered = [m for m in hello["messages"] if (m["custom"] or {}).get("kind") == "reminder"]
    kinds = {m["custom"]["type"] for m in delivered}
    rules = {m["custom"]["rule"] for m in delivered}
    assert {"risk", "credit"} <= kinds or {"policy", "credit"} <= kinds
    assert "risk-overdue-filing" in {r.rule_id for r in reminders_of(db, enterprise)}
    assert len(delivered) <= 3  # the weekly cap
    first = delivered[0]
    assert all(f'"reminder_id":"{first["custom"]["reminder_id"]}"' in b["payload"] for b in first["buttons"])
    assert first["text"] and first["custom"]["reasons"]
    stored = reminders_of(db, enterprise)
    assert sum(r.status == "delivered" for r in stored) == len(delivered) and rules <= {r.rule_id for r in stored}
    _, again = open_widget(hub, token)
    with again as ws:  # another tab: the same messages, nothing delivered twice
        hello2 = receive(ws)
    ids = [m["id"] for m in hello2["messages"] if (m["custom"] or {}).get("kind") == "reminder"]
    assert sorted(ids) == sorted(m["id"] for m in delivered)


def test_answers_are_recorded_and_a_repair_application_gets_a_five_working_day_clock(hub, db, enterprise_token,
                                                                                     service_headers, world):
    enterprise = make_enterprise(db, name="修复申请有限公司")
    token = enterprise_token(enterprise.uscc, name=enterprise.name)
    with open_widget(hub, token)[1] as ws:
        receive(ws)
    by_rule = {r.rule_id: r for r in reminders_of(db, enterprise)}
    credit = by_rule["credit-correct-deductions"]
    how = internal_answer(hub, service_headers, token, "reminder_how", credit.id).json()
    assert how["answer"] == "how" and how["topic"] == credit.topic
    early = internal_answer(hub, service_headers, token, "apply_credit_repair", credit.id)
    assert early.status_code == 409 and early.json()["code"] == "correct_first"  # nothing is filed before correcting
    assert "请先纠正" in early.json()["detail"] and "未按规定期限纳税申报" in early.json()["detail"]
    db.expire_all()
    assert db.execute(select(func.count(RepairApplication.id)).where(
        RepairApplication.enterprise_id == enterprise.id)).scalar_one() == 0
    correct_deductions(db, enterprise)
    applied = internal_answer(hub, service_headers, token, "apply_credit_repair", credit.id)
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert body["answer"] == "apply" and body["repairs"][0]["status"] == "received"
    assert body["repairs"][0]["due_date"] and "5个工作日" in body["text"]
    assert body["repairs"][0]["unit_id"] == world.service_dept.id  # the unit serving the chat decides it
    again = internal_answer(hub, service_headers, token, "apply_credit_repair", credit.id)
    assert again.status_code == 409 and "已处理完毕" in again.json()["detail"]
    db.expire_all()
    assert db.execute(select(func.count(RepairApplication.id)).where(
        RepairApplication.enterprise_id == enterprise.id)).scalar_one() == 1

    risk = by_rule["risk-overdue-filing"]
    explained = internal_answer(hub, service_headers, token, "risk_explain", risk.id, explanation="季节性停业")
    assert explained.json()["answer"] == "explained"
    db.expire_all()
    assert db.get(Reminder, risk.id).explanation == "季节性停业" and db.get(Reminder, risk.id).status == "closed"
    wrong = internal_answer(hub, service_headers, token, "apply_credit_repair", risk.id)
    assert wrong.status_code == 409


def test_a_reminder_is_answered_only_by_its_own_enterprise_with_a_valid_token(hub, db, enterprise_token,
                                                                              service_headers):
    mine, theirs = make_enterprise(db, name="甲企业"), make_enterprise(db, name="乙企业")
    with open_widget(hub, enterprise_token(mine.uscc, name=mine.name))[1] as ws:
        receive(ws)
    reminder = reminders_of(db, mine)[0]
    other_token = enterprise_token(theirs.uscc, name=theirs.name)
    assert internal_answer(hub, service_headers, other_token, "reminder_claimed", reminder.id).status_code == 404
    expired = enterprise_token(mine.uscc, name=mine.name, lifetime=timedelta(seconds=-1))
    assert internal_answer(hub, service_headers, expired, "reminder_claimed", reminder.id).status_code == 401
    assert internal_answer(hub, service_headers, None, "reminder_claimed", reminder.id).status_code == 401
    assert hub.post("/api/internal/reminders/answer", json={"answer": "reminder_claimed"}).status_code == 401


def test_the_message_list_and_read_marks(hub, db, enterprise_token):
    enterprise = make_enterprise(db, name="消息列表有限公司")
    ent_token = enterprise_token(enterprise.uscc, name=enterprise.name)
    visitor, socket = open_widget(hub, ent_token)
    with socket as ws:
        receive(ws)
    headers = {"Authorization": f"Bearer {visitor}", "X-Enterprise-Token": ent_token}
    listed = hub.get("/api/widget/reminders", headers=headers).json()
    assert listed["unread"] == len(listed["reminders"]) >= 2
    first = listed["reminders"][0]["id"]
    assert hub.post(f"/api/widget/reminders/{first}/read", headers=headers).json()["status"] == "read"
    assert hub.get("/api/widget/reminders", headers=headers).json()["unread"] == listed["unread"] - 1
    as_visitor = hub.get("/api/widget/reminders", headers={"Authorization": f"Bearer {visitor}"})
    assert as_visitor.status_code == 403 and "登录" in as_visitor.json()["detail"]
    stranger = make_enterprise(db, name="陌生企业")
    stranger_token = enterprise_token(stranger.uscc, name=stranger.name)
    peek = hub.post(f"/api/widget/reminders/{first}/read",
                    headers={"Authorization": f"Bearer {visitor}", "X-Enterprise-Token": stranger_token})
    assert peek.status_code == 404


def test_a_campaign_reaches_the_connected_enterprise_once_and_respects_the_quiet_period(hub, db, world, auth,
                                                                                       enterprise_token):
    enterprise = make_enterprise(db, name="活动对象有限公司")
    operator = auth(world.operator)
    token = enterprise_token(enterprise.uscc, name=enterprise.name)
    runtime(hub.app).redis.set(f"reminders:evaluated:{enterprise.uscc}", "1")  # no evaluation on opening: the campaign
    assert hub.post("/api/campaigns", headers=auth(world.clerk), json={"name": "x", "rule_id": "risk-overdue-filing"}
                    ).status_code == 403
    created = hub.post("/api/campaigns", headers=operator, json={"name": "逾期申报提醒", "rule_id": "risk-overdue-filing"})
    assert created.status_code == 201
    campaign_id = created.json()["id"]
    preview = hub.get("/api/campaigns/preview", params={"rule_id": "risk-overdue-filing"}, headers=operator).json()
    assert preview["audience"] >= 1 and preview["sample"] and preview["sample"][0]["reasons"]
    with open_widget(hub, token)[1] as ws:
        receive(ws)
        assert hub.post(f"/api/campaigns/{campaign_id}/schedule", headers=operator, json={}).json()["status"] == \
            "scheduled"
        assert campaign_id in send_due_once(runtime(hub.app))
        live = receive_until(ws, lambda e: e["type"] == "message" and (e["message"]["custom"] or {}).get("kind")
                             == "reminder", timeout=10)
    assert live["message"]["custom"]["rule"] == "risk-overdue-filing"
    funnel = hub.get(f"/api/campaigns/{campaign_id}", headers=operator).json()
    assert funnel["status"] == "sent" and funnel["funnel"]["targeted"] >= 1 and funnel["funnel"]["delivered"] >= 1

    second = hub.post("/api/campaigns", headers=operator, json={"name": "再提醒一次", "rule_id": "risk-overdue-filing"})
    hub.post(f"/api/campaigns/{second.json()['id']}/schedule", headers=operator, json={})
    send_due_once(runtime(hub.app))
    assert [r.rule_id for r in reminders_of(db, enterprise)].count("risk-overdue-filing") == 1
    assert hub.get(f"/api/campaigns/{second.json()['id']}", headers=operator).json()["skipped"] >= 1


def test_a_crash_half_way_resumes_without_sending_twice(hub, db, world):
    for i in range(5):
        make_enterprise(db, name=f"续发测试{i}号有限公司")
    factory = runtime(hub.app).session_factory
    with factory() as session:
        campaign = campaigns.create("续发测试", "credit-correct-deductions", session=session, staff_id=None,
                                    now=campaigns.aware_now())
        campaigns.schedule(campaign, None, now=campaigns.aware_now())
        session.commit()
        campaign_id = campaign.id
    half = campaigns.send(factory, campaign_id, batch=3, stop_after=1)  # the process dies after one batch
    assert half["status"] == "sending" and half["cursor"] > 0
    done = campaigns.send(factory, campaign_id, batch=3)
    assert done["status"] == "sent"
    db.expire_all()
    per_subject = db.execute(select(Reminder.enterprise_id, Reminder.key, func.count(Reminder.id))
                             .where(Reminder.campaign_id == campaign_id)
                             .group_by(Reminder.enterprise_id, Reminder.key)).all()
    assert per_subject and all(n == 1 for *_, n in per_subject)
    stored = db.get(Campaign, campaign_id)
    assert stored.targeted == len(per_subject)


def test_a_late_filing_shows_as_corrected_in_the_funnel(hub, db, world, auth):
    from api.enterprise.models import EnterpriseFiling

    enterprise = make_enterprise(db, name="补报有限公司")
    factory = runtime(hub.app).session_factory
    with factory() as session:
        campaign = campaigns.create("补报复核", "risk-overdue-filing", session=session, staff_id=None,
                                    now=campaigns.aware_now())
        campaigns.schedule(campaign, None, now=campaigns.aware_now())
        session.commit()
        campaign_id = campaign.id
    campaigns.send(factory, campaign_id)
    filing = db.execute(select(EnterpriseFiling).where(EnterpriseFiling.enterprise_id == enterprise.id,
                                                       EnterpriseFiling.filed_date.is_(None))).scalars().first()
    filing.filed_date = filing.due_date + timedelta(days=1)
    db.commit()
    rechecked = hub.post(f"/api/campaigns/{campaign_id}/recheck", headers=auth(world.operator)).json()
    assert rechecked["corrected_now"] >= 1 and rechecked["funnel"]["corrected"] >= 1
    assert reminders_of(db, enterprise)[0].corrected_at is not None


def test_the_weekly_cap_holds_back_the_rest(settings, world, db, enterprise_token):
    capped = settings.model_copy(update={"reminder_weekly_cap": 1, "reminder_quiet_hours": "",
                                   "campaign_sweep_enabled": False})
    enterprise = make_enterprise(db, name="限额有限公司")
    with hub_client(capped, world.service_dept.id) as client:
        token = enterprise_token(enterprise.uscc, name=enterprise.name)
        with open_widget(client, token)[1] as ws:
            hello = receive(ws)
    assert sum((m["custom"] or {}).get("kind") == "reminder" for m in hello["messages"]) == 1
    stored = reminders_of(db, enterprise)
    assert len(stored) >= 2 and sum(r.status == "created" for r in stored) == len(stored) - 1
    assert db.execute(select(func.count(Message.id)).where(Message.kind == "reminder",
                                                           Message.text.contains("限额有限公司"))).scalar_one() == 1


def test_a_seat_sees_the_enterprise_profile_credit_and_reminders(hub, db, world, auth, enterprise_token,
                                                                  service_headers, settings):
    from api.hub.models import Conversation
    from tests.api.hubkit import console_socket, say

    enterprise = make_enterprise(db, name="全景有限公司")
    token = enterprise_token(enterprise.uscc, name=enterprise.name)
    with open_widget(hub, token)[1] as ws, console_socket(hub, settings, world.clerk) as seat:
        receive(seat)
        receive(ws)
        say(ws, "我想找人工问问信用修复")
        receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")
        db.expire_all()
        conversation = db.execute(select(Conversation).where(Conversation.uscc == enterprise.uscc)).scalar_one()
        hub.post("/api/internal/handoffs", headers=service_headers,
                 json={"sender_id": conversation.rasa_sender, "tier": "staff"})
        hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.clerk))
        picture = hub.get(f"/api/seats/conversations/{conversation.id}/picture", headers=auth(world.clerk)).json()
    assert picture["profile"]["name"] == "全景有限公司" and picture["profile"]["overdue_filings"] == 1
    assert picture["credit"]["level"] == "B" and picture["credit"]["deductions"][0]["repairable"]
    assert {r["type"] for r in picture["reminders"]} >= {"risk", "credit"}
    # key facts first, in Chinese, ready to show: the seat holds the conversation, so nothing is masked
    assert list(picture)[0] == "key_facts"  # noqa: RUF015
    facts = {f["label"]: f["value"] for f in picture["key_facts"]}
    assert list(facts) == ["企业名称", "统一社会信用代码", "纳税人类型", "行业", "纳税信用", "待处理提醒", "在办诉求",
                           "风险疑点", "申报情况"]
    assert facts["企业名称"] == "全景有限公司" and facts["统一社会信用代码"] == enterprise.uscc
    assert facts["纳税信用"].startswith("B级（") and facts["申报情况"] == "1期逾期未申报"
    assert re.fullmatch(r"[1-9]\d*条", facts["待处理提醒"])  # the reminders not yet opened in the chat
    assert [g["title"] for g in picture["details"]] == ["登记信息", "规模与财务"]
    assert picture["profile"]["sources"] == {}  # sources stay in their own place, shown on demand


def test_the_bot_lists_the_enterprises_open_reminders_risks_first_and_nobody_elses(hub, db, enterprise_token,
                                                                                    service_headers):
    mine, theirs = make_enterprise(db, name="待办提醒有限公司"), make_enterprise(db, name="别家提醒有限公司")
    for enterprise in (mine, theirs):
        _, socket = open_widget(hub, enterprise_token(enterprise.uscc, name=enterprise.name))
        with socket as ws:
            receive(ws)  # opening the chat evaluates the rules
    ask = lambda token: hub.post("/api/internal/reminders/open", headers=service_headers,  # noqa: E731
                                 json=grant_fields(token, secret=runtime(hub.app).settings.app_secret))
    listed = ask(enterprise_token(mine.uscc, name=mine.name)).json()["reminders"]
    open_ids = {r.id for r in reminders_of(db, mine) if r.status in ("created", "delivered", "read")}
    assert listed and {r["reminder_id"] for r in listed} <= open_ids
    types = [r["type"] for r in listed]
    assert types == sorted(types, key=lambda t: {"risk": 0, "credit": 1, "policy": 2}[t])
    assert all(r["kind"] == "reminder" and r["buttons"] and r["title"] for r in listed)
    assert not {r["reminder_id"] for r in listed} & {r.id for r in reminders_of(db, theirs)}
    # answered reminders drop off the list
    internal_answer(hub, service_headers, enterprise_token(mine.uscc, name=mine.name),
                    "reminder_claimed" if listed[0]["type"] == "policy" else "risk_corrected", listed[0]["reminder_id"])
    again = ask(enterprise_token(mine.uscc, name=mine.name)).json()["reminders"]
    assert listed[0]["reminder_id"] not in {r["reminder_id"] for r in again}
    # no grant: a login is asked for
    anonymous = hub.post("/api/internal/reminders/open", headers=service_headers, json={"sender_id": "s"})
    assert anonymous.status_code == 401 and "登录" in anonymous.json()["detail"]
