"""Who is there: the presence board per tier, a lost seat noticed within seconds, honest waits and the 留言 offer,
and seats named once ("税务干部 王芳"), never as the bot."""
from __future__ import annotations

import time

import pytest

from api.core.runtime import runtime
from api.hub import dispatch, presence
from api.hub.models import Conversation
from api.org.service import create_staff
from api.settings import Settings
from tests.api.hubkit import console_socket, hub_client, receive, receive_until, say, widget_socket, widget_token


@pytest.fixture
def expert(db, world):
    staff = create_staff(session=db, username=world.prefix + "zm", display_name="赵敏（专家）", role="expert",
                         unit_id=world.service_dept.id, password_hash=None)
    db.commit()
    return staff


def quick(settings, **changes):
    """Seats that leave fast, so a test sees in a second what takes a few in production."""
    return settings.model_copy(update={"seat_reconnect_seconds": 0.5, **changes})


def start_and_hand_off(client, ws, db, world, service_headers, text="发票开不出来，找人工", tier="staff"):
    receive(ws)
    say(ws, text)
    receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")
    db.expire_all()
    conversation = (db.query(Conversation).filter(Conversation.unit_id == world.service_dept.id)
                    .order_by(Conversation.id.desc()).first())
    answer = client.post("/api/internal/handoffs", headers=service_headers,
                         json={"sender_id": conversation.rasa_sender, "tier": tier, "reason": "user_request"})
    assert answer.status_code == 200, answer.text
    app = client.app  # as the hub does once the bot's handoff line is relayed (the stand-in Rasa sends none)
    dispatch.run_assignment(runtime(app).session_factory, runtime(app).redis, runtime(app).settings, world.service_dept.id)
    return conversation, answer.json()


def state(mode):
    return lambda e: e["type"] == "state" and (e["conversation"] or {}).get("mode") == mode


def system_line(e):
    return e["type"] == "message" and e["message"]["sender"] == "system"


def test_the_presence_board_counts_each_tier_and_is_pushed_to_consoles(settings, world, db, auth, expert):
    with hub_client(settings, world.service_dept.id) as client:
        board = client.get("/api/seats/presence", headers=auth(world.clerk))
        assert board.status_code == 200, board.text
        assert board.json()["tiers"]["expert"]["online"] == 0 and board.json()["tiers"]["staff"]["online"] == 0
        with console_socket(client, settings, world.clerk) as staff:
            hello = receive(staff)
            assert hello["seats"]["tiers"]["staff"]["available"] == 1
            assert hello["seats"]["tiers"]["expert"] == {"label": "税务专家", "online": 0, "available": 0, "busy": 0,
                                                         "away": 0, "waiting": 0, "seats": []}
            with console_socket(client, settings, expert) as expert_seat:
                receive(expert_seat)
                pushed = receive_until(staff, lambda e: e["type"] == "seats"
                                       and e["seats"]["tiers"]["expert"]["online"] == 1)["seats"]
                [seat] = pushed["tiers"]["expert"]["seats"]
                assert (seat["name"], seat["label"], seat["status_label"]) == ("赵敏", "税务专家 赵敏", "在线")
                expert_seat.send_json({"type": "presence", "status": "busy"})
                busy = receive_until(staff, lambda e: e["type"] == "seats"
                                     and e["seats"]["tiers"]["expert"]["busy"] == 1)["seats"]["tiers"]["expert"]
                assert (busy["online"], busy["available"]) == (1, 0)
            gone = receive_until(staff, lambda e: e["type"] == "seats"
                                 and e["seats"]["tiers"]["expert"]["online"] == 0)
            assert gone["seats"]["tiers"]["staff"]["online"] == 1
        assert client.get("/api/seats/presence", headers=auth(world.handler)).status_code == 403
        assert client.get("/api/seats/presence").status_code == 401
        other = client.get("/api/seats/presence", headers=auth(world.other_staff)).json()
        assert other["unit_id"] == world.other_service.id and other["tiers"]["staff"]["online"] == 0


def test_a_closed_console_is_noticed_within_seconds_and_the_enterprise_is_told_honestly(
        settings, world, db, auth, service_headers):
    """The tab closes: no sweep, no 60 s wait. The conversation goes back to the queue at once, the enterprise
    hears that nobody is online and is offered to leave a message; no seat is named."""
    with hub_client(quick(settings), world.service_dept.id) as client:  # noqa: SIM117
        with widget_socket(client, widget_token(client)) as ws:
            with console_socket(client, settings, world.clerk) as seat:
                receive(seat)
                conversation, _ = start_and_hand_off(client, ws, db, world, service_headers)
                receive_until(ws, state("human"))
            started = time.monotonic()
            told = receive_until(ws, lambda e: system_line(e) and "连接中断" in e["message"]["text"],
                                 timeout=10)["message"]
            assert time.monotonic() - started < 10  # seconds (0.5 here, 5 by default), not the minute it was
            assert told["text"] == ("为您服务的坐席连接中断，人工坐席暂时都不在线，您的问题已为您排队（排在第1位），"
                                    "工作人员上线后会第一时间接入；您也可以留言，我们会尽快与您联系。")
            assert told["custom"]["leave_message"] is True and told["custom"]["status"] == "queued"
            waiting = receive_until(ws, state("queued"))["conversation"]
            assert waiting["seat"] is None and waiting["offer_leave_message"] is True
            assert waiting["expected_wait_seconds"] is None and waiting["seats_online"] == 0
    db.expire_all()
    assert db.get(Conversation, conversation.id).assigned_staff_id is None


def test_a_reload_within_the_grace_keeps_the_conversation_and_a_leaving_seat_gets_no_new_work(
        settings, world, db, auth, service_headers):
    with hub_client(quick(settings, seat_reconnect_seconds=3), world.service_dept.id) as client:  # noqa: SIM117
        with widget_socket(client, widget_token(client)) as ws:
            with console_socket(client, settings, world.clerk) as seat:
                receive(seat)
                kept, _ = start_and_hand_off(client, ws, db, world, service_headers)
                receive_until(ws, state("human"))
            # the tab is gone: while it may still come back, the next enterprise is not given to it
            redis = runtime(client.app).redis
            deadline = time.monotonic() + 1
            while not (presence.get_presence(redis, world.clerk.id) or {}).get("leaving"):
                assert time.monotonic() < deadline, "the closed console was not noticed"
                time.sleep(0.02)
            with widget_socket(client, widget_token(client)) as other:
                _, answer = start_and_hand_off(client, other, db, world, service_headers, text="另一家企业找人工")
            assert answer["status"] == "offline" and answer["reason"] == "no_seat_online"
            with console_socket(client, settings, world.clerk) as again:  # the reload
                hello = receive(again)
                assert [c["id"] for c in hello["mine"]] == [kept.id]
                time.sleep(3.5)  # past the grace: still there, still serving
                db.expire_all()
                assert (db.get(Conversation, kept.id).mode, db.get(Conversation, kept.id).assigned_staff_id) == (
                    "human", world.clerk.id)


def test_the_console_keeps_its_seat_present_without_pings_and_a_dead_instance_loses_it_within_the_ttl(
        settings, world, db, auth, service_headers):
    from api.hub.scheduled import sweep_once

    assert Settings().seat_grace_seconds <= 15  # a killed instance stops renewing: offline within 15 s
    with hub_client(quick(settings, seat_grace_seconds=2), world.service_dept.id) as client:
        redis = runtime(client.app).redis
        with console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            assert 0 < redis.pttl(f"hub:presence:{world.clerk.id}") <= 2000
            time.sleep(4)  # no ping from the page: the instance holding the socket renews the presence
            assert presence.get_presence(redis, world.clerk.id)["status"] == "online"
            # a seat whose instance was killed: its presence was written once and nobody renews it
            presence.set_presence(redis, world.registrar, "online", grace_seconds=3)
            with widget_socket(client, widget_token(client)) as ws:
                conversation, _ = start_and_hand_off(client, ws, db, world, service_headers)
                receive_until(ws, state("human"))
                db.expire_all()
                holder = db.get(Conversation, conversation.id).assigned_staff_id
                assert holder in (world.clerk.id, world.registrar.id)
                if holder == world.clerk.id:  # hand it to the doomed seat, as if it had taken it
                    client.post(f"/api/seats/conversations/{conversation.id}/transfer", headers=auth(world.clerk),
                                json={"staff_id": world.registrar.id}).raise_for_status()
                deadline = time.monotonic() + 5
                while presence.get_presence(redis, world.registrar.id) is not None:  # nobody renews it
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
                assert sweep_once(runtime(client.app))["requeued"] >= 1  # (other tests' lost seats may be swept too)
                db.expire_all()
                # back in the queue and at once given to the seat that is there
                assert db.get(Conversation, conversation.id).assigned_staff_id == world.clerk.id
                receive_until(ws, lambda e: system_line(e) and "连接中断" in e["message"]["text"])


def test_presence_over_rest_needs_an_open_console(settings, world, auth):
    with hub_client(settings, world.service_dept.id) as client:
        refused = client.put("/api/seats/me/presence", headers=auth(world.clerk), json={"status": "online"})
        assert refused.status_code == 409 and refused.json()["code"] == "not_connected"
        assert "工作台" in refused.json()["detail"]
        assert presence.get_presence(runtime(client.app).redis, world.clerk.id) is None
        with console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            busy = client.put("/api/seats/me/presence", headers=auth(world.clerk), json={"status": "busy"})
            me = client.get("/api/seats/me", headers=auth(world.clerk)).json()
            assert busy.status_code == 200 and (me["status"], me["status_label"], me["consoles"]) == ("busy", "忙碌", 1)


def test_a_conversation_is_not_transferred_to_a_colleague_who_is_not_there(settings, world, db, auth,
                                                                          service_headers):
    with hub_client(settings, world.service_dept.id) as client:  # noqa: SIM117
        with widget_socket(client, widget_token(client)) as ws, console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            conversation, _ = start_and_hand_off(client, ws, db, world, service_headers)
            receive_until(ws, state("human"))
            refused = client.post(f"/api/seats/conversations/{conversation.id}/transfer", headers=auth(world.clerk),
                                  json={"staff_id": world.registrar.id})
    assert refused.status_code == 409 and refused.json()["detail"] == "该同事当前不在线，无法转交"


def test_a_long_queue_offers_to_leave_a_message_and_no_wait_is_made_up(settings, world, db, service_headers):
    with hub_client(settings.model_copy(update={"seat_cap": 1, "long_queue": 1}), world.service_dept.id) as client:  # noqa: SIM117
        with console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            answers = []
            for text in ("甲企业找人工", "乙企业找人工", "丙企业找人工"):
                with widget_socket(client, widget_token(client)) as ws:
                    answers.append(start_and_hand_off(client, ws, db, world, service_headers, text=text)[1])
    first, second, third = answers  # the first went to the seat (cap 1); two wait  # noqa: RUF059
    assert second["position"] == 1 and second["leave_message"] is False
    assert second["notice"] == "正在为您转接人工坐席，您是下一位，请稍候。"
    assert third["position"] == 2 and third["leave_message"] is True and third["expected_wait_seconds"] is None
    assert third["notice"] == "正在为您转接人工坐席，您前面还有1位，请稍候。当前等待的人较多，您也可以留言，我们会尽快与您联系。"


def test_a_seat_is_named_once_and_never_as_the_bot(settings, world, db, auth, service_headers, expert):
    with hub_client(settings, world.service_dept.id) as client:
        token = widget_token(client)
        with widget_socket(client, token) as ws, console_socket(client, settings, expert) as seat:
            receive(seat)
            conversation, _ = start_and_hand_off(client, ws, db, world, service_headers, text="找专家", tier="expert")
            serving = receive_until(ws, state("human"))["conversation"]["seat"]
            assert serving == {"id": expert.id, "name": "赵敏", "role": "expert", "badge": "税务专家",
                               "label": "税务专家 赵敏"}
            client.post(f"/api/seats/conversations/{conversation.id}/messages", headers=auth(expert),
                        json={"text": "您好，请讲"})
            answer = receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "expert")
            assert (answer["message"]["sender_name"], answer["message"]["badge"]) == ("赵敏", "税务专家")
        lines = [m["text"] for m in client.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}
                                               ).json()["messages"]]
        assert "税务专家 赵敏已接入，正在为您服务。" in lines and not any("（专家）" in line for line in lines)


def test_the_chat_unit_is_not_named_after_the_bot(db, settings):
    from api.org.models import Unit
    from api.org.service import create_unit
    from api.petition.internal import intake_unit

    assert Settings().bot_intake_unit_name != "智能助手"
    legacy = create_unit(session=db, name="智能助手", level="province", kind="service_department")
    db.commit()
    unit = intake_unit(session=db, settings=settings.model_copy(update={"bot_intake_unit_id": None}))
    db.commit()
    assert unit.id == legacy.id and unit.name == Settings().bot_intake_unit_name
    assert not db.query(Unit).filter(Unit.name == "智能助手").count()


def test_a_console_that_stops_pinging_is_closed_and_its_seat_leaves(settings, world):
    from starlette.websockets import WebSocketDisconnect

    with hub_client(quick(settings, seat_silence_seconds=1), world.service_dept.id) as client:
        with console_socket(client, settings, world.clerk) as seat:
            receive(seat)
            with pytest.raises(WebSocketDisconnect) as closed:
                receive_until(seat, lambda e: False, timeout=5)
            assert closed.value.code == 4408
        deadline = time.monotonic() + 5
        while presence.get_presence(runtime(client.app).redis, world.clerk.id) is not None:
            assert time.monotonic() < deadline, "a silent console kept its seat present"
            time.sleep(0.1)


def test_a_console_opened_while_the_old_one_closes_keeps_the_seat(settings, world):
    """A reload races the old page's close: the old console is counted out, the new one is counted in before the
    seat is marked leaving. The seat stays present and gets work (it is not left 'leaving' with a console open)."""
    with hub_client(settings, world.service_dept.id) as client:
        redis = runtime(client.app).redis
        staff = world.clerk
        presence.connect(redis, staff.id, "old-page", ttl_seconds=10)
        presence.set_presence(redis, staff, "online", grace_seconds=10)
        assert presence.disconnect(redis, staff.id, "old-page") == 0  # the old page is gone ...
        presence.connect(redis, staff.id, "new-page", ttl_seconds=10)  # ... and the reload is already back
        assert presence.mark_leaving(redis, staff.id, reconnect_seconds=5) is False
        record = presence.get_presence(redis, staff.id)
        assert record is not None and not record.get("leaving") and record["status"] == "online"
        presence.disconnect(redis, staff.id, "new-page")
        assert presence.mark_leaving(redis, staff.id, reconnect_seconds=5) is True  # the last one closing: leaving
