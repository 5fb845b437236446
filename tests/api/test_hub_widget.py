"""The widget side of the hub: identity, history, duplicates, limits, uploads, feedback, privacy."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from api.hub.widget import BOT_DOWN
from common.identifiers import make_uscc
from tests.api.hubkit import drain, hub_client, receive, receive_until, say, widget_socket, widget_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


def _is_message(sender=None, client_id=None):
    def match(event):
        message = event.get("message") or {}
        return event["type"] == "message" and (sender is None or message["sender"] == sender) and \
            (client_id is None or message["client_id"] == client_id)
    return match


def test_a_new_visitor_gets_a_token_and_an_empty_history(hub):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        hello = receive(ws)
    assert hello["type"] == "hello" and hello["identity"]["kind"] == "visitor"
    assert hello["messages"] == [] and hello["conversation"] is None


def test_a_bad_visitor_token_closes_the_socket(hub):
    with pytest.raises(WebSocketDisconnect) as closed, widget_socket(hub, "not-a-token") as ws:
        receive(ws)
    assert closed.value.code == 4401


def test_an_expired_enterprise_token_is_refused_with_a_reason(hub, enterprise_token):
    response = hub.post("/api/widget/session", json={
        "enterprise_token": enterprise_token(make_uscc(3), lifetime=timedelta(seconds=-5))})
    assert response.status_code == 401
    assert response.json()["code"] == "enterprise_token_expired" and "过期" in response.json()["detail"]


def test_a_message_is_echoed_once_and_the_bot_being_down_is_said_honestly(hub):
    """The stand-in Rasa does not answer POST: the user still sees their message and a clear line."""
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        client_id = say(ws, "小规模纳税人免税标准是多少")
        echo = receive_until(ws, _is_message("user"))
        assert echo["message"]["client_id"] == client_id and echo["message"]["text"] == "小规模纳税人免税标准是多少"
        down = receive_until(ws, _is_message("system"))
        assert down["message"]["text"] == BOT_DOWN
        say(ws, "小规模纳税人免税标准是多少", client_id=client_id)  # the resend after a dropped connection
        again = receive_until(ws, _is_message("user"))
        assert again["message"]["id"] == echo["message"]["id"]
        assert not [e for e in drain(ws) if _is_message("system")(e)]  # the bot is not asked twice
    history = hub.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}).json()
    assert [m["sender"] for m in history["messages"]] == ["user", "system"]


def test_reconnecting_with_after_gets_only_what_was_missed(hub):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        say(ws, "第一条")
        first = receive_until(ws, _is_message("user"))["message"]["id"]
        receive_until(ws, _is_message("system"))
        say(ws, "第二条")
        receive_until(ws, _is_message("system"))
    with widget_socket(hub, token, after=first) as ws:
        hello = receive(ws)
    assert [m["text"] for m in hello["messages"]][0] == BOT_DOWN  # noqa: RUF015
    assert all(m["id"] > first for m in hello["messages"]) and "第二条" in [m["text"] for m in hello["messages"]]
    with widget_socket(hub, token) as ws:  # a reload: the whole history, in order, once
        texts = [m["text"] for m in receive(ws)["messages"]]
    assert texts == ["第一条", BOT_DOWN, "第二条", BOT_DOWN]


def test_empty_and_oversized_messages_are_refused_and_not_stored(hub, settings):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        say(ws, "   ")
        assert receive(ws) == {"type": "error", "code": "empty", "text": "请输入要咨询的内容。"}
        say(ws, "税" * (settings.message_max_chars + 1))
        error = receive(ws)
        assert error["code"] == "too_long" and "最多2000字" in error["text"]
        ws.send_text("{not json")
        assert receive(ws)["code"] == "bad_request"
    assert hub.get("/api/widget/messages", headers={"Authorization": f"Bearer {token}"}).json()["messages"] == []


def test_a_flood_of_messages_is_rate_limited(hub):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        for i in range(14):
            say(ws, f"刷屏{i}")
        events = drain(ws, quiet=1.0)
    limited = [e for e in events if e.get("code") == "rate_limited"]
    stored = [e for e in events if _is_message("user")(e)]
    assert limited and "太快" in limited[0]["text"]
    assert len(stored) <= 10


def test_one_visitor_cannot_read_or_touch_another_visitors_conversation(hub):
    alice, bob = widget_token(hub), widget_token(hub)
    with widget_socket(hub, alice) as ws:
        receive(ws)
        say(ws, "我的私人问题")
        mine = receive_until(ws, _is_message("system"))["message"]
    bob_headers = {"Authorization": f"Bearer {bob}"}
    assert hub.get("/api/widget/messages", headers=bob_headers).json()["messages"] == []
    assert hub.post(f"/api/widget/messages/{mine['id']}/feedback", json={"value": "useless"},
                    headers=bob_headers).status_code == 404
    assert hub.post(f"/api/widget/conversations/{mine['conversation_id']}/rating", json={"score": 1},
                    headers=bob_headers).status_code == 404
    with widget_socket(hub, bob) as ws:
        assert receive(ws)["messages"] == []


def test_an_enterprise_history_follows_the_enterprise_to_another_device(hub, enterprise_token):
    token = enterprise_token(make_uscc(11), name="历史有限公司")
    laptop, phone = widget_token(hub, token), widget_token(hub, token)
    with widget_socket(hub, laptop, token) as ws:
        assert receive(ws)["identity"] == {"kind": "enterprise", "name": "历史有限公司", "uscc": make_uscc(11)}
        say(ws, "在电脑上问的")
        receive_until(ws, _is_message("system"))
    with widget_socket(hub, phone, token) as ws:
        assert "在电脑上问的" in [m["text"] for m in receive(ws)["messages"]]
    with widget_socket(hub, laptop) as ws:  # the same browser without the enterprise log-in is a visitor
        assert receive(ws)["messages"] == []


def test_an_image_upload_is_stored_relayed_and_served_by_its_link(hub):
    token = widget_token(hub)
    headers = {"Authorization": f"Bearer {token}"}
    with widget_socket(hub, token) as ws:
        receive(ws)
        response = hub.post("/api/widget/uploads", headers=headers,
                            files={"file": ("发票截图.png", io.BytesIO(PNG), "image/png")})
        assert response.status_code == 201, response.text
        relayed = receive_until(ws, _is_message("user"))["message"]
        assert "无法查看文件内容" in receive_until(ws, _is_message("system"))["message"]["text"]
    attachment = relayed["attachment"]
    assert attachment["content_type"] == "image/png" and attachment["filename"] == "发票截图.png"
    file = hub.get(attachment["url"])
    assert file.status_code == 200 and file.content == PNG and file.headers["x-content-type-options"] == "nosniff"
    assert hub.get(attachment["url"][:-4] + "0000").status_code == 404  # the link is the key: no guessing


@pytest.mark.parametrize("name, data, status, words", [
    ("病毒.exe", b"MZ\x90\x00" + b"\x00" * 60, 415, "只能上传图片"),
    ("假图片.png", b"<script>alert(1)</script>", 415, "只能上传图片"),
    ("空.pdf", b"", 415, "空的"),
])
def test_uploads_of_other_types_are_refused_whatever_their_name(hub, name, data, status, words):
    token = widget_token(hub)
    response = hub.post("/api/widget/uploads", headers={"Authorization": f"Bearer {token}"},
                        files={"file": (name, io.BytesIO(data), "image/png")})
    assert response.status_code == status and words in response.json()["detail"]


def test_an_oversized_upload_is_refused(settings, world):
    with hub_client(settings.model_copy(update={"upload_max_bytes": 1024 * 1024}), world.service_dept.id) as client:
        token = widget_token(client)
        big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
        response = client.post("/api/widget/uploads", headers={"Authorization": f"Bearer {token}"},
                               files={"file": ("年报.pdf", io.BytesIO(big), "application/pdf")})
    assert response.status_code == 413 and "不超过1MB" in response.json()["detail"]


def test_uploads_need_a_visitor_token(hub):
    response = hub.post("/api/widget/uploads", files={"file": ("a.png", io.BytesIO(PNG), "image/png")})
    assert response.status_code == 401
