"""A resent message whose answer was lost (api.hub.answering): the bot is asked again — once — or its finished turn
is replayed from Rasa's tracker; and a resent 留言 files one petition and says so once."""
from __future__ import annotations

import pytest

from api.core.rasa import BotReply, BotUnavailable, RasaClient
from api.hub.widget import BOT_DOWN
from tests.api.hubkit import drain, hub_client, receive, receive_until, say, widget_socket, widget_token


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


def _message(sender):
    return lambda event: event["type"] == "message" and event["message"]["sender"] == sender


def _history(hub, token):
    return hub.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}).json()["messages"]


def test_a_resent_message_the_bot_did_not_answer_is_asked_again_once(hub, monkeypatch):
    asked = []

    async def send(self, sender, message, metadata=None, on_busy=None):
        asked.append(message)
        if len(asked) == 1:  # Rasa restarting: the first ask fails
            raise BotUnavailable("down")
        return [BotReply("月销售额10万元以下免征增值税。", [], {"kind": "answer"})]

    async def no_tracker(self, sender):
        return None

    monkeypatch.setattr(RasaClient, "send", send)
    monkeypatch.setattr(RasaClient, "events", no_tracker)
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        client_id = say(ws, "小规模纳税人免税标准是多少")
        assert receive_until(ws, _message("system"))["message"]["text"] == BOT_DOWN
        say(ws, "小规模纳税人免税标准是多少", client_id=client_id)  # the widget resends with the same id
        answer = receive_until(ws, _message("bot"))
        assert answer["message"]["text"] == "月销售额10万元以下免征增值税。"
        say(ws, "小规模纳税人免税标准是多少", client_id=client_id)  # once answered, a resend only echoes
        assert not [e for e in drain(ws) if _message("bot")(e) or _message("system")(e)]
    assert len(asked) == 2
    assert [m["sender"] for m in _history(hub, token)] == ["user", "system", "bot"]


def test_a_turn_rasa_finished_is_replayed_from_its_tracker_not_asked_twice(hub, monkeypatch):
    asked = []

    async def send(self, sender, message, metadata=None, on_busy=None):
        asked.append(message)
        raise BotUnavailable("the answer was lost on its way back")

    async def tracker(self, sender):
        return [{"event": "action", "name": "action_listen"},
                {"event": "user", "text": "我要投诉"},
                {"event": "bot", "text": "好的，请说说具体情况。", "data": {"custom": {"kind": "form", "slot": "content"}}},
                {"event": "action", "name": "action_listen"}]

    monkeypatch.setattr(RasaClient, "send", send)
    monkeypatch.setattr(RasaClient, "events", tracker)
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        client_id = say(ws, "我要投诉")
        receive_until(ws, _message("system"))
        say(ws, "我要投诉", client_id=client_id)
        replayed = receive_until(ws, _message("bot"))["message"]
    assert replayed["text"] == "好的，请说说具体情况。" and replayed["custom"]["slot"] == "content"
    assert asked == ["我要投诉"]  # Rasa processed it once; the resend did not make it process it again


def test_a_resent_leave_message_files_one_petition_and_tells_the_chat_once(hub, db):
    from api.petition.models import Petition

    token = widget_token(hub)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"taxpayer_name": "夜间留言个体户", "contact_phone": "13912345678", "content": "申请开具完税证明",
            "client_id": "leave-resend-1"}
    first = hub.post("/api/widget/leave-message", headers=headers, json=body)
    again = hub.post("/api/widget/leave-message", headers=headers, json=body)  # its answer was lost: resent
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert db.query(Petition).filter(Petition.content.like("申请开具完税证明%")).count() == 1
    notes = [m for m in _history(hub, token) if m["sender"] == "system" and "留言已登记" in m["text"]]
    assert len(notes) == 1


def test_an_empty_answer_is_told_as_unavailable_and_asked_again(hub, monkeypatch):
    """Rasa answers nothing when its action server is down: the enterprise is told, and the resend is answered."""
    asked = []

    async def send(self, sender, message, metadata=None, on_busy=None):
        asked.append(message)
        return [] if len(asked) == 1 else [BotReply("您好，请问有什么可以帮您？", [], {"kind": "smalltalk"})]

    async def failed_turn(self, sender):
        return [{"event": "user", "text": "你好"}, {"event": "action", "name": "action_listen"}]

    monkeypatch.setattr(RasaClient, "send", send)
    monkeypatch.setattr(RasaClient, "events", failed_turn)
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        client_id = say(ws, "你好")
        assert receive_until(ws, _message("system"))["message"]["text"] == BOT_DOWN
        say(ws, "你好", client_id=client_id)
        assert receive_until(ws, _message("bot"))["message"]["text"] == "您好，请问有什么可以帮您？"
    assert asked == ["你好", "你好"]
