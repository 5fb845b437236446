"""The seats' side of the hub: queue, claim, answer, escalate, transfer, close, rating, petitions,
lost seats, service hours, and two API instances behaving as one."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime

import pytest

from api.core.runtime import runtime
from api.hub import dispatch, internal, presence
from api.hub.models import Conversation
from api.hub.scheduled import sweep_once
from common.workdays import CHINA_TZ
from tests.api.hubkit import console_socket, drain, hub_client, receive, receive_until, say, widget_socket, widget_token


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


@pytest.fixture
def expert(db, world):
    """An expert seat of the service department (a seat serves the conversations of its own unit)."""
    from api.org.service import create_staff

    staff = create_staff(session=db, username=world.prefix + "desk-expert", display_name="李专家", role="expert",
                         unit_id=world.service_dept.id, password_hash=None)
    db.commit()
    return staff


def latest(db, unit_id) -> Conversation:
    db.expire_all()
    return db.query(Conversation).filter(Conversation.unit_id == unit_id).order_by(Conversation.id.desc()).first()


def start_chat(hub, ws, text="我的发票开不出来，找人工"):
    receive(ws)
    say(ws, text)
    receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")


def hand_off(hub, db, world, service_headers, tier="staff"):
    conversation = latest(db, world.service_dept.id)
    response = hub.post("/api/internal/handoffs", headers=service_headers,
                        json={"sender_id": conversation.rasa_sender, "tier": tier, "reason": "user_request"})
    assert response.status_code == 200, response.text
    return conversation, response.json()


def state_event(mode):
    return lambda e: e["type"] == "state" and (e["conversation"] or {}).get("mode") == mode


def message_from(sender):
    return lambda e: e["type"] == "message" and e["message"]["sender"] == sender


def test_nobody_online_means_offline_and_the_conversation_stays_with_the_bot(hub, db, world, service_headers):
    with widget_socket(hub, widget_token(hub)) as ws:
        start_chat(hub, ws)
        conversation, answer = hand_off(hub, db, world, service_headers)  # noqa: RUF059
    assert answer["status"] == "offline" and answer["reason"] == "no_seat_online"
    assert latest(db, world.service_dept.id).mode == "bot"


def test_outside_service_hours_the_answer_is_offline(settings, world, db, service_headers):
    minute = datetime.now(CHINA_TZ).strftime("%H:%M")
    closed = "12:00-12:01" if minute.startswith("00:0") else "00:00-00:01"
    with hub_client(settings.model_copy(update={"service_hours": closed}), world.service_dept.id) as client:  # noqa: SIM117
        with widget_socket(client, widget_token(client)) as ws, console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            start_chat(client, ws)
            _, answer = hand_off(client, db, world, service_headers)
    assert answer["status"] == "offline" and answer["reason"] == "outside_hours"


def test_the_whole_way_bot_staff_expert_close_and_rating(hub, db, world, settings, service_headers, expert):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws, console_socket(hub, settings, world.clerk) as staff:
        assert receive(staff)["seat"]["badge"] == "税务干部"
        start_chat(hub, ws)
        conversation, answer = hand_off(hub, db, world, service_headers)
        assert answer["status"] == "queued" and answer["position"] == 1
        assert answer["expected_wait_seconds"] is None  # no handling time measured yet: no made-up minutes
        assert answer["notice"] == "正在为您转接人工坐席，您是下一位，请稍候。" and answer["leave_message"] is False
        waiting = receive_until(ws, state_event("queued"))["conversation"]
        assert waiting["position"] == 1 and waiting["tier"] == "staff"
        queue = receive_until(staff, lambda e: e["type"] == "queue" and e["queue"])["queue"]
        assert queue[0]["id"] == conversation.id and queue[0]["reason_label"] == "用户要求转人工"

        headers = {"Authorization": f"Bearer {_token(settings, world.clerk)}"}
        assert hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=headers).status_code == 200
        joined = receive_until(ws, message_from("system"))["message"]["text"]
        assert joined == f"税务干部 {world.clerk.display_name}已接入，正在为您服务。"
        serving = receive_until(ws, state_event("human"))["conversation"]
        assert serving["seat"]["badge"] == "税务干部" and serving["seat"]["name"] == world.clerk.display_name

        say(ws, "电子发票开具时提示税控设备异常")
        relayed = receive_until(staff, lambda e: e["type"] == "message" and e["message"]["sender"] == "user")
        assert relayed["message"]["text"] == "电子发票开具时提示税控设备异常"
        mine = hub.get("/api/seats/conversations", headers=headers).json()
        assert mine[0]["unread"] == 2  # what the enterprise said to the bot is new to the seat too
        read = hub.post(f"/api/seats/conversations/{conversation.id}/read", headers=headers,
                        json={"message_id": relayed["message"]["id"]})
        assert read.json() == {"unread": 0}
        answer = hub.post(f"/api/seats/conversations/{conversation.id}/messages", headers=headers,
                          json={"text": "请问具体的报错代码是多少？"})
        assert answer.status_code == 201
        assert receive_until(ws, message_from("staff"))["message"]["text"] == "请问具体的报错代码是多少？"
        assert not [e for e in drain(ws) if e["type"] == "message" and e["message"]["sender"] == "bot"]

        escalate = f"/api/seats/conversations/{conversation.id}/escalate"
        # no expert online: the conversation waits in the expert queue (the note is kept), the enterprise is told
        escalated = hub.post(escalate, headers=headers, json={"note": "涉及跨区域迁移，需专家判断"})
        assert escalated.status_code == 200 and escalated.json()["mode"] == "queued"
        told = receive_until(ws, message_from("system"))["message"]
        assert told["text"] == ("专家坐席暂时都不在线，您的问题已为您排队（排在第1位），专家上线后会第一时间接入；"
                                "您也可以留言，我们会尽快与您联系。")
        assert told["custom"] == {"kind": "handoff", "tier": "expert", "status": "queued", "position": 1,
                                  "expected_wait_seconds": None, "seats_online": 0, "leave_message": True}
        assert receive_until(ws, state_event("queued"))["conversation"]["offer_leave_message"] is True
        note_seen = receive_until(staff, lambda e: e["type"] == "message" and e["message"]["internal"])
        assert "跨区域迁移" in note_seen["message"]["text"]
        with console_socket(hub, settings, expert) as expert_seat:
            hello = receive(expert_seat)  # an expert coming online is offered the expert queue as staff are theirs
            assert [c["id"] for c in hello["queue"]] + [c["id"] for c in hello["mine"]] == [conversation.id]
            expert_headers = {"Authorization": f"Bearer {_token(settings, expert)}"}
            # the online expert with room gets it at once; claiming it again is refused politely
            receive_until(expert_seat, lambda e: e["type"] == "conversation" and e["conversation"]
                          and e["conversation"]["assigned_staff_id"] == expert.id)
            again = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=expert_headers)
            assert again.status_code == 409 and "已由您接入" in again.json()["detail"]
            receive_until(ws, lambda e: e["type"] == "state" and (e["conversation"]["seat"] or {}).get("badge")
                          == "税务专家")
            assert f"税务专家 {expert.display_name}已接入，正在为您服务。" in [
                m["text"] for m in hub.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}
                                           ).json()["messages"]]
            hub.post(f"/api/seats/conversations/{conversation.id}/messages", headers=expert_headers,
                     json={"text": "已为您核实，可以办理。"})
            assert receive_until(ws, message_from("expert"))["message"]["badge"] == "税务专家"
            closed = hub.post(f"/api/seats/conversations/{conversation.id}/close", headers=expert_headers,
                              json={"summary": "解答跨区迁移开票问题"})
            assert closed.status_code == 200
            final = receive_until(ws, state_event("closed"))["conversation"]
            assert final["can_rate"] is True

    widget = {"Authorization": f"Bearer {token}"}
    transcript = hub.get("/api/widget/messages", headers=widget).json()["messages"]
    assert not any(m["internal"] for m in transcript)  # the seats' notes never reach the enterprise
    rate = f"/api/widget/conversations/{conversation.id}/rating"
    assert hub.post(rate, headers=widget, json={"score": 5, "comment": "很专业"}).json()["rating"] == 5
    again = hub.post(rate, headers=widget, json={"score": 1})
    assert again.status_code == 409 and "评价过" in again.json()["detail"]
    assert hub.post(rate, headers=widget, json={"score": 6}).status_code == 422
    db.expire_all()
    stored = db.get(Conversation, conversation.id)
    assert (stored.rating, stored.summary, stored.mode) == (5, "解答跨区迁移开票问题", "closed")
    assert stored.first_response_at is not None


def _token(settings, staff):
    from tests.api.hubkit import staff_token

    return staff_token(settings, staff)


def test_assignment_gives_the_longest_waiting_to_the_seat_with_fewest_conversations(
        hub, db, world, settings, service_headers):
    app = hub.app
    with console_socket(hub, settings, world.clerk) as c1, console_socket(hub, settings, world.registrar) as c2:
        receive(c1), receive(c2)
        ids = []
        for text in ("第一个企业", "第二个企业", "第三个企业"):
            with widget_socket(hub, widget_token(hub)) as ws:
                start_chat(hub, ws, text)
                ids.append(hand_off(hub, db, world, service_headers)[0].id)
        assigned = dispatch.run_assignment(runtime(app).session_factory, runtime(app).redis, runtime(app).settings,
                                           world.service_dept.id)
    assert assigned == ids  # longest waiting first
    db.expire_all()
    seats = [db.get(Conversation, i).assigned_staff_id for i in ids]
    assert seats[0] != seats[1] and seats[2] in (world.clerk.id, world.registrar.id)  # shared, then balanced
    assert {seats[0], seats[1]} == {world.clerk.id, world.registrar.id}


def test_the_cap_per_seat_leaves_the_rest_waiting(settings, world, db, service_headers):
    with hub_client(settings.model_copy(update={"seat_cap": 1}), world.service_dept.id) as client:  # noqa: SIM117
        with console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            ids = []
            for text in ("甲企业", "乙企业"):
                with widget_socket(client, widget_token(client)) as ws:
                    start_chat(client, ws, text)
                    ids.append(hand_off(client, db, world, service_headers)[0].id)
            app = client.app
            dispatch.run_assignment(runtime(app).session_factory, runtime(app).redis, runtime(app).settings,
                                    world.service_dept.id)
    db.expire_all()
    assert [db.get(Conversation, i).mode for i in ids] == ["human", "queued"]


def test_a_seat_of_another_unit_or_role_cannot_see_or_take_the_conversation(hub, db, world, settings,
                                                                            service_headers, auth, expert):
    with widget_socket(hub, widget_token(hub)) as ws, console_socket(hub, settings, world.clerk) as seat:
        receive(seat)
        start_chat(hub, ws)
        conversation, _ = hand_off(hub, db, world, service_headers)
    outsider = auth(world.other_staff)
    assert hub.get(f"/api/seats/conversations/{conversation.id}", headers=outsider).status_code == 404
    assert hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=outsider).status_code == 404
    assert hub.get("/api/seats/queue", headers=outsider).json() == []
    assert hub.get("/api/seats/queue", headers=auth(world.handler)).status_code == 403
    assert hub.get("/api/seats/queue").status_code == 401
    expert_claim = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(expert))
    assert expert_claim.status_code == 403 and "税务干部" in expert_claim.json()["detail"]


def test_a_conversation_is_claimed_once(hub, db, world, settings, service_headers, auth):
    with widget_socket(hub, widget_token(hub)) as ws, console_socket(hub, settings, world.clerk) as seat:
        receive(seat)
        start_chat(hub, ws)
        conversation, _ = hand_off(hub, db, world, service_headers)
        first = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.clerk))
        second = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.registrar))
    assert first.status_code == 200 and second.status_code == 409
    assert "已被其他坐席接入" in second.json()["detail"]


def test_a_lost_seat_gives_its_conversation_back_to_the_queue(hub, db, world, settings, service_headers, auth):
    app = hub.app
    with widget_socket(hub, widget_token(hub)) as ws:
        with console_socket(hub, settings, world.clerk) as seat:
            receive(seat)
            start_chat(hub, ws)
            conversation, _ = hand_off(hub, db, world, service_headers)
            hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.clerk))
            receive_until(ws, state_event("human"))
        sweep_once(runtime(app))  # the socket is closed, but the grace period has not run out: nothing changes
        db.expire_all()
        assert (db.get(Conversation, conversation.id).mode, db.get(Conversation, conversation.id).assigned_staff_id) \
            == ("human", world.clerk.id)
        presence.clear_presence(runtime(app).redis, world.clerk)  # the grace period has run out
        assert sweep_once(runtime(app))["requeued"] == 1
        assert "坐席连接中断" in receive_until(ws, message_from("system"))["message"]["text"]
        assert receive_until(ws, state_event("queued"))["conversation"]["position"] == 1


def test_handing_back_to_the_bot_and_transferring_to_a_colleague(hub, db, world, settings, service_headers, auth):
    with widget_socket(hub, widget_token(hub)) as ws, console_socket(hub, settings, world.clerk) as c1, \
            console_socket(hub, settings, world.registrar) as c2:
        receive(c1), receive(c2)
        start_chat(hub, ws)
        conversation, _ = hand_off(hub, db, world, service_headers)
        path = f"/api/seats/conversations/{conversation.id}"
        hub.post(f"{path}/claim", headers=auth(world.clerk))
        colleagues = hub.get("/api/seats/colleagues", headers=auth(world.clerk)).json()
        assert [c["id"] for c in colleagues] == [world.registrar.id]
        assert hub.post(f"{path}/transfer", headers=auth(world.clerk),
                        json={"staff_id": world.registrar.id, "note": "他更熟悉"}).status_code == 200
        assert hub.post(f"{path}/messages", headers=auth(world.clerk), json={"text": "还在吗"}).status_code == 409
        assert receive_until(c2, lambda e: e["type"] == "conversation" and e["conversation"]
                             and e["conversation"]["assigned_staff_id"] == world.registrar.id)
        assert hub.post(f"{path}/handback", headers=auth(world.registrar)).status_code == 200
        seen = drain(ws, quiet=1.0)
        assert any(state_event("bot")(e) for e in seen)
        assert "已转回智能助手，您可以继续提问。" in [e["message"]["text"] for e in seen if message_from("system")(e)]


def test_a_seat_searches_the_knowledge_base_and_sends_a_cited_card(hub, db, world, settings, service_headers, auth):
    with widget_socket(hub, widget_token(hub)) as ws, console_socket(hub, settings, world.clerk) as seat:
        receive(seat)
        start_chat(hub, ws)
        conversation, _ = hand_off(hub, db, world, service_headers)
        hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.clerk))
        found = hub.get("/api/seats/knowledge", params={"q": "逾期申报怎么处理"}, headers=auth(world.clerk)).json()
        assert found and found[0]["sources"]
        card = hub.post(f"/api/seats/conversations/{conversation.id}/cards", headers=auth(world.clerk),
                        json={"entry_id": found[0]["entry_id"]})
        assert card.status_code == 201
        shown = receive_until(ws, lambda e: e["type"] == "message" and (e["message"]["custom"] or {}).get("kind")
                              == "answer")["message"]
    assert shown["sender"] == "staff" and shown["custom"]["sources"] and "依据" in shown["text"]
    missing = hub.post(f"/api/seats/conversations/{conversation.id}/cards", headers=auth(world.clerk),
                       json={"entry_id": "no-such-entry"})
    assert missing.status_code == 404


def test_a_conversation_becomes_a_petition_with_its_transcript(hub, db, world, settings, service_headers, auth,
                                                              enterprise_token):
    from common.identifiers import make_uscc

    uscc = make_uscc(21)
    token = enterprise_token(uscc, name="转诉求商贸有限公司")
    with widget_socket(hub, widget_token(hub, token), token) as ws, console_socket(hub, settings, world.clerk) as seat:
        receive(seat)
        start_chat(hub, ws, "你们大厅办事太慢了，我要投诉")
        conversation, _ = hand_off(hub, db, world, service_headers)
        path = f"/api/seats/conversations/{conversation.id}"
        hub.post(f"{path}/claim", headers=auth(world.clerk))
        draft = hub.get(f"{path}/petition-draft", headers=auth(world.clerk)).json()
        assert draft["taxpayer_name"] == "转诉求商贸有限公司" and draft["uscc"] == uscc
        assert "大厅办事太慢" in draft["content"]
        created = hub.post(f"{path}/petition", headers=auth(world.clerk),
                           json={**{k: draft[k] for k in ("content", "category", "taxpayer_name", "uscc")},
                                 "contact_phone": "13800138000"})
        assert created.status_code == 201, created.text
        ticket = created.json()["ticket"]
        assert ticket in receive_until(ws, lambda e: e["type"] == "message" and "受理编号" in e["message"]["text"]
                                       )["message"]["text"]
        picture = hub.get(f"{path}/picture", headers=auth(world.clerk)).json()
    assert picture["enterprise"]["uscc"] == uscc and picture["petitions"][0]["ticket"] == ticket
    petition = hub.get(f"/api/petitions?ticket={ticket}", headers=auth(world.clerk))
    assert petition.status_code == 200


def test_leaving_a_message_files_a_service_petition_once(hub, db, world):
    token = widget_token(hub)
    headers = {"Authorization": f"Bearer {token}"}
    with widget_socket(hub, token) as ws:
        start_chat(hub, ws, "晚上能办理跨区迁移吗")
    body = {"taxpayer_name": "夜间留言个体户", "contact_phone": "13912345678", "content": "想咨询跨区迁移",
            "client_id": "leave-1"}
    first = hub.post("/api/widget/leave-message", headers=headers, json=body)
    again = hub.post("/api/widget/leave-message", headers=headers, json=body)
    assert first.status_code == 201 and first.json()["category"] == "纳税服务类"
    assert again.json()["ticket"] == first.json()["ticket"]
    bad = hub.post("/api/widget/leave-message", headers=headers, json={**body, "contact_phone": "123",
                                                                       "client_id": "leave-2"})
    assert bad.status_code == 422 and "电话" in bad.json()["detail"]
    from api.petition.models import Petition

    db.expire_all()
    petition = db.query(Petition).filter(Petition.ticket == first.json()["ticket"]).one()
    assert petition.channel == "智能助手" and "晚上能办理跨区迁移吗" in petition.content


def test_two_instances_behave_as_one(settings, world, db, service_headers, auth):
    """A widget on instance 1 and a seat on instance 2: messages cross through Redis pub/sub."""
    with hub_client(settings, world.service_dept.id) as one, hub_client(settings, world.service_dept.id) as two:
        token = widget_token(one)
        with widget_socket(one, token) as ws, console_socket(two, settings, world.clerk) as seat:
            receive(seat)
            start_chat(one, ws)
            conversation, answer = hand_off(two, db, world, service_headers)
            assert answer["status"] == "queued"  # the seat's presence, set on instance 2, is seen by both
            assert receive_until(ws, state_event("queued"))
            two.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.clerk))
            receive_until(ws, state_event("human"))
            two.post(f"/api/seats/conversations/{conversation.id}/messages", headers=auth(world.clerk),
                     json={"text": "来自二号实例的回复"})
            assert receive_until(ws, message_from("staff"))["message"]["text"] == "来自二号实例的回复"
            say(ws, "来自一号实例的追问")
            assert receive_until(seat, lambda e: e["type"] == "message" and e["message"]["sender"] == "user"
                                 and e["message"]["text"] == "来自一号实例的追问")


def test_a_handoff_waits_for_a_conversation_whose_first_message_is_still_being_stored(hub, db, world,
                                                                                        service_headers):
    """The hub sends a new conversation's first message to Rasa while it stores the conversation (api.hub.widget):
    the bot's handoff may ask under a sender id that is committed a moment later, and is answered, not 404."""
    sender = f"pending-{uuid.uuid4().hex}"
    runtime(hub.app).redis.set(internal.opening_key(sender), "1", ex=30)  # as the widget's socket marks it
    answer: dict = {}

    def ask():
        answer["response"] = hub.post("/api/internal/handoffs", headers=service_headers,
                                      json={"sender_id": sender, "tier": "staff", "reason": "user_request"})

    asking = threading.Thread(target=ask)
    asking.start()
    time.sleep(0.4)  # the handoff is waiting by now
    now = datetime.now(CHINA_TZ)
    conversation = Conversation(identity=f"v:{sender}", rasa_sender=sender, unit_id=world.service_dept.id, mode="bot",
                                created_at=now, last_message_at=now, had_human=False, seat_read_id=0)
    db.add(conversation)
    db.commit()
    asking.join(10)
    response = answer["response"]
    assert response.status_code == 200, response.text
    assert response.json()["conversation_id"] == conversation.id  # offline: nobody of the unit is online


def test_a_handoff_for_a_sender_the_hub_never_stored_is_404(hub, service_headers, monkeypatch):
    """Marked as being opened but never stored (its instance died): 404 after the wait; never marked (Rasa's REST
    channel used directly): 404 at once."""
    monkeypatch.setattr(internal, "SENDER_WAIT", 0.3)
    runtime(hub.app).redis.set(internal.opening_key("opened-never-stored"), "1", ex=30)
    took = {}
    for sender in ("opened-never-stored", "never-opened"):
        began = time.monotonic()
        response = hub.post("/api/internal/handoffs", headers=service_headers,
                            json={"sender_id": sender, "tier": "staff", "reason": "user_request"})
        took[sender] = time.monotonic() - began
        assert response.status_code == 404 and response.json()["code"] == "conversation_not_found"
    assert 0.3 <= took["opened-never-stored"] < 3 and took["never-opened"] < 0.3
