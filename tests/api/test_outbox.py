"""The enterprise hears what happens to its petition (告知): a notice for each step it must know of, in its chat
(when it opens the widget, or live while connected) and in 消息, and an SMS through the outbox, whose
development sender records the message and never claims it was delivered."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from api.core.runtime import runtime
from api.outbox import sms
from api.outbox.models import EnterpriseNotice, SmsMessage
from api.outbox.scheduled import run_outbox_once
from common.identifiers import make_uscc
from tests.api.conftest import petition_body
from tests.api.hubkit import drain, hub_client, receive_until, widget_socket, widget_token
from tests.api.petitionflow import handled_petition, step


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


def test_each_step_the_enterprise_must_hear_of_leaves_one_notice_in_plain_chinese(hub, world, auth, db):
    pid, ticket, _ = handled_petition(hub, world, auth)
    told = hub.get(f"/api/petitions/{pid}/notices", headers=auth(world.clerk)).json()
    assert [n["kind"] for n in told] == ["assigned", "extended", "result", "visited"]  # not hand-over, start, resolve
    assigned, extended, result, visited = (n["text"] for n in told)
    assert ticket in assigned and world.collection.name in assigned and "前办结" in assigned
    assert "需调取三年申报数据核实" in extended and "延期" in extended
    petition = hub.get(f"/api/petitions/{pid}", headers=auth(world.clerk)).json()["petition"]
    year, month, day = petition["handling_due"].split("-")
    assert f"{year}年{month}月{day}日" in extended  # the new date, after the extension
    assert "勾选功能已修复，请您重新申报即可。" in result
    assert "回访" in visited
    assert all(n["sms"]["status"] == "pending" for n in told)
    assert hub.get(f"/api/petitions/{pid}/notices", headers=auth(world.other_staff)).status_code == 404


def test_the_hand_over_to_a_department_and_a_transfer_are_told_with_their_reason_by_notice_and_sms(hub, world, auth):
    created = hub.post("/api/petitions", json=petition_body(uscc=make_uscc(random.randrange(10**9)),
                                                            contact_phone="13800138000"), headers=auth(world.registrar))
    assert created.status_code == 201, created.text
    pid, ticket = created.json()["id"], created.json()["ticket"]
    step(hub, pid, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    step(hub, pid, "assign", auth(world.clerk), unit_ids=[world.collection.id], reason="涉及发票额度核定。")
    step(hub, pid, "start", auth(world.handler))
    step(hub, pid, "transfer", auth(world.handler), to_unit_id=world.district_dept.id,
         reason="企业由区局管辖，由区局税源管理股核实")
    told = hub.get(f"/api/petitions/{pid}/notices", headers=auth(world.clerk)).json()
    assert [n["kind"] for n in told] == ["assigned", "transferred"]
    assigned, transferred = (n["text"] for n in told)
    # 因涉及其他部门不能当场办理或答复的，应将转交情况告知小微企业: where it went, why, and by when
    assert assigned.startswith(f"您的诉求（受理编号 {ticket}）已转交{world.collection.name}办理")
    assert "不能当场答复，说明：涉及发票额度核定。" in assigned and "前办结" in assigned
    assert world.district_dept.name in transferred and "已转交" in transferred
    assert "原因：企业由区局管辖，由区局税源管理股核实。" in transferred and "前办结" in transferred
    assert [n["sms"]["status"] for n in told] == ["pending", "pending"]  # the same words queued for the phone


def test_the_sms_outbox_records_in_development_and_never_says_delivered(hub, world, auth, settings):
    pid, ticket, _ = handled_petition(hub, world, auth)
    assert run_outbox_once(runtime(hub.app)) >= 4

    def recorded():
        lines = [json.loads(line) for line in open(settings.sms_record_path, encoding="utf-8")]  # noqa: SIM115
        return [line for line in lines if ticket in line["text"]]

    assert [line["phone"] for line in recorded()] == ["13800138000"] * 4
    told = hub.get(f"/api/petitions/{pid}/notices", headers=auth(world.clerk)).json()
    assert {n["sms"]["status"] for n in told} == {"recorded"}  # written down here; nothing claims a delivery
    assert run_outbox_once(runtime(hub.app)) == 0  # nothing is handed over twice
    assert len(recorded()) == 4


def test_a_landline_contact_gets_no_sms_but_still_the_notices(hub, world, auth, db):
    pid, _, _ = handled_petition(hub, world, auth, phone="028-86661234")
    told = hub.get(f"/api/petitions/{pid}/notices", headers=auth(world.clerk)).json()
    assert len(told) == 4 and all(n["sms"] is None for n in told)


def test_a_sender_that_fails_is_retried_later_and_given_up_visibly(hub, world, auth, db):
    class Down:
        def send(self, *, phone, text, reference):
            raise sms.SmsError("网关无响应")

    pid, _, _ = handled_petition(hub, world, auth, phone="028-86661234")
    notice = db.execute(select(EnterpriseNotice).where(EnterpriseNotice.petition_id == pid)).scalars().first()
    now = datetime.now(timezone.utc)
    message = SmsMessage(notice_id=notice.id, phone="13800138000", text="测试", status="pending", next_attempt_at=now,
                         created_at=now, updated_at=now)
    db.add(message)
    db.flush()
    moment = now
    for attempt in range(1, len(sms.RETRY_AFTER) + 2):
        assert sms.drain(db, Down(), now=moment) == 0
        assert message.attempts == attempt and message.last_error == "网关无响应"
        if attempt <= len(sms.RETRY_AFTER):
            assert message.status == "pending" and message.next_attempt_at == moment + sms.RETRY_AFTER[attempt - 1]
            assert sms.drain(db, Down(), now=moment + timedelta(seconds=1)) == 0  # not due yet: untouched
            assert message.attempts == attempt
            moment = message.next_attempt_at
    assert message.status == "failed"
    db.rollback()


def test_notices_reach_the_chat_once_when_the_widget_opens_and_stay_in_messages(hub, world, auth, enterprise_token):
    _, ticket, uscc = handled_petition(hub, world, auth)
    token = enterprise_token(uscc, name="成都小微商贸有限公司")
    visitor = widget_token(hub, token)
    with widget_socket(hub, visitor, token) as first, widget_socket(hub, visitor, token) as second:
        seen = drain(first, quiet=1.0) + drain(second, quiet=0.5)
    posted = [e for e in seen if e.get("type") == "message" and (e["message"].get("custom") or {}).get("kind")
              == "petition_notice"]
    hello = [m for e in seen if e.get("type") == "hello" for m in e.get("messages", [])
             if (m.get("custom") or {}).get("kind") == "petition_notice"]
    in_chat = {m["message"]["id"]: m["message"]["text"] for m in posted} | {m["id"]: m["text"] for m in hello}
    assert len(in_chat) == 4 and all(ticket in text for text in in_chat.values())  # two tabs: each posted once
    headers = {"Authorization": f"Bearer {visitor}", "X-Enterprise-Token": token}
    listed = hub.get("/api/widget/notices", headers=headers).json()
    assert listed["unread"] == 4 and [n["kind"] for n in listed["notices"]] == ["visited", "result", "extended", "assigned"]
    first_id = listed["notices"][0]["id"]
    assert hub.post(f"/api/widget/notices/{first_id}/read", headers=headers).json()["read_at"]
    assert hub.get("/api/widget/notices", headers=headers).json()["unread"] == 3
    stranger = enterprise_token(make_uscc(random.randrange(10**9)), name="别家企业")
    peek = hub.post(f"/api/widget/notices/{first_id}/read",
                    headers={"Authorization": f"Bearer {visitor}", "X-Enterprise-Token": stranger})
    assert peek.status_code == 404
    as_visitor = hub.get("/api/widget/notices", headers={"Authorization": f"Bearer {visitor}"})
    assert as_visitor.status_code == 403 and "登录" in as_visitor.json()["detail"]


def test_a_connected_enterprise_hears_a_new_step_without_reopening(hub, world, auth, enterprise_token):
    uscc = make_uscc(random.randrange(10**9))
    created = hub.post("/api/petitions", json=petition_body(uscc=uscc), headers=auth(world.registrar)).json()
    step(hub, created["id"], "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    token = enterprise_token(uscc, name="成都小微商贸有限公司")
    visitor = widget_token(hub, token)
    with widget_socket(hub, visitor, token) as ws:
        drain(ws, quiet=0.5)
        step(hub, created["id"], "assign", auth(world.clerk), unit_ids=[world.collection.id])
        run_outbox_once(runtime(hub.app))
        event = receive_until(ws, lambda e: e.get("type") == "message"
                              and (e["message"].get("custom") or {}).get("kind") == "petition_notice")
    assert created["ticket"] in event["message"]["text"] and world.collection.name in event["message"]["text"]


def _received_application(db, world, enterprise):
    """A credit-repair application of ``enterprise`` waiting for the service department's decision."""
    from api.reminder.models import RepairApplication

    application = RepairApplication(enterprise_id=enterprise.id, deduction_id=1, reason="未按规定期限纳税申报",
                                    status="received", received_at=datetime.now(timezone.utc),
                                    unit_id=world.service_dept.id)
    db.add(application)
    db.commit()
    return application


def _decide(hub, headers, application, approve, note):
    return hub.post(f"/api/repairs/{application.id}/decision", headers=headers, json={"approve": approve, "note": note})


@pytest.mark.parametrize("approve, note, kind, words", [
    (True, "已核实补办申报", "repair_approved", "审核通过"),
    (False, "滞纳金尚未缴清", "repair_rejected", "未通过审核，原因：滞纳金尚未缴清"),
])
def test_the_enterprise_hears_the_decision_on_its_credit_repair(hub, db, world, auth, enterprise_token,
                                                               approve, note, kind, words):
    from tests.api.reminderkit import make_enterprise

    enterprise = make_enterprise(db, name="修复告知有限公司")
    application = _received_application(db, world, enterprise)
    decided = _decide(hub, auth(world.clerk), application, approve, note)
    assert decided.status_code == 200, decided.text
    token = enterprise_token(enterprise.uscc, name=enterprise.name)
    visitor = widget_token(hub, token)
    listed = hub.get("/api/widget/notices", headers={"Authorization": f"Bearer {visitor}", "X-Enterprise-Token": token})
    mine = [n for n in listed.json()["notices"] if n["repair_id"] == application.id]
    assert [n["kind"] for n in mine] == [kind]
    assert words in mine[0]["text"] and "未按规定期限纳税申报" in mine[0]["text"]


@pytest.mark.parametrize("approve, note, words", [
    (True, "已核实补办申报", "已审核通过，审核意见：已核实补办申报。"),
    (False, "滞纳金尚未缴清", "未通过审核，原因：滞纳金尚未缴清。"),
])
def test_the_repair_decision_goes_by_sms_to_the_mobile_number_the_enterprise_left(hub, db, world, auth, settings,
                                                                                   tmp_path, approve, note, words):
    """The enterprise left 139 0013 9000 on a petition (and a landline on a newer one): the decision and its
    reason go to the mobile number through the outbox; the development sender records it — nothing claims a
    delivery."""
    from tests.api.reminderkit import make_enterprise

    enterprise = make_enterprise(db, name="短信告知有限公司")
    for phone in ("139 0013 9000", "028-88886666"):
        created = hub.post("/api/petitions", json=petition_body(uscc=enterprise.uscc, contact_phone=phone),
                           headers=auth(world.registrar))
        assert created.status_code == 201, created.text
    application = _received_application(db, world, enterprise)
    decided = _decide(hub, auth(world.clerk), application, approve, note)
    assert decided.status_code == 200 and decided.json()["sms_queued"] is True, decided.text
    notice = db.execute(select(EnterpriseNotice).where(EnterpriseNotice.repair_id == application.id)).scalar_one()
    message = db.execute(select(SmsMessage).where(SmsMessage.notice_id == notice.id)).scalar_one()
    assert (message.phone, message.status, message.text) == ("13900139000", "pending", notice.text)
    assert words in message.text and "未按规定期限纳税申报" in message.text

    record = tmp_path / "sms.jsonl"
    taken = sms.drain(db, sms.RecordingSmsSender(record), now=datetime.now(timezone.utc) + timedelta(seconds=1))
    db.commit()
    db.refresh(message)
    assert taken >= 1 and message.status == "recorded"
    sent = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert any(m["phone"] == "13900139000" and words in m["text"] for m in sent)


def test_no_sms_when_the_enterprise_left_no_mobile_number(hub, db, world, auth):
    from tests.api.reminderkit import make_enterprise

    enterprise = make_enterprise(db, name="无手机号有限公司")
    application = _received_application(db, world, enterprise)
    decided = _decide(hub, auth(world.clerk), application, False, "尚未纠正")
    assert decided.status_code == 200 and decided.json()["sms_queued"] is False
    notice = db.execute(select(EnterpriseNotice).where(EnterpriseNotice.repair_id == application.id)).scalar_one()
    assert db.execute(select(SmsMessage).where(SmsMessage.notice_id == notice.id)).first() is None


def test_resetting_the_demo_removes_the_notices_about_demo_enterprises_too(db, world):
    from api.outbox.service import notice_for_repair
    from api.reminder.models import RepairApplication
    from tests.api.reminderkit import make_enterprise
    from tools.demo.enterprises import delete_demo

    enterprise = make_enterprise(db, name="演示告知有限公司")
    enterprise.demo = True
    application = RepairApplication(enterprise_id=enterprise.id, deduction_id=1, reason="未按规定期限纳税申报",
                                    status="approved", received_at=datetime.now(timezone.utc), decision_note="已核实",
                                    unit_id=world.service_dept.id)
    db.add(application)
    db.flush()
    notice, _ = notice_for_repair(application, uscc=enterprise.uscc, session=db, now=datetime.now(timezone.utc))
    db.flush()
    db.add(SmsMessage(notice_id=notice.id, phone="13800138000", text=notice.text, status="pending",
                      next_attempt_at=notice.created_at, created_at=notice.created_at, updated_at=notice.created_at))
    db.commit()
    notice_id, application_id = notice.id, application.id
    assert delete_demo(db) >= 1  # no foreign key stops it
    db.commit()
    assert db.get(EnterpriseNotice, notice_id) is None and db.get(RepairApplication, application_id) is None


def test_a_crash_mid_batch_sends_nothing_again_that_was_already_sent(hub, world, auth, db, tmp_path):
    """The outbox job commits each message's outcome as it goes: when the process dies during a batch, the
    messages sent before are marked and the next run hands none of them to the sender again."""
    class DiesOnThird(sms.RecordingSmsSender):
        calls = 0

        def send(self, *, phone, text, reference):
            DiesOnThird.calls += 1
            if DiesOnThird.calls == 3:
                raise KeyboardInterrupt("kill -9")  # nothing after this line runs in a killed process
            return super().send(phone=phone, text=text, reference=reference)

    handled_petition(hub, world, auth)  # four notices, four SMS waiting
    record = tmp_path / "crash.jsonl"
    rt = runtime(hub.app)
    from api.outbox import scheduled

    real = scheduled.sender_from_settings
    scheduled.sender_from_settings = lambda settings: DiesOnThird(record)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_outbox_once(rt)
        scheduled.sender_from_settings = lambda settings: sms.RecordingSmsSender(record)
        assert run_outbox_once(rt) == 2  # the two not yet sent
    finally:
        scheduled.sender_from_settings = real
    references = [json.loads(line)["reference"] for line in record.read_text(encoding="utf-8").splitlines()]
    assert len(references) == 4 and len(set(references)) == 4
