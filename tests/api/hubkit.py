"""Helpers for the hub tests: an app whose seats serve a test unit, widget and console sockets with
time limits (a missing event fails the test instead of hanging it), and a queued conversation."""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import anyio
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from api.auth.security import create_staff_token
from api.hub.models import Conversation
from api.main import create_app

__all__ = ["hub_client", "receive", "receive_until", "drain", "widget_token", "widget_socket", "console_socket",
           "say", "staff_token"]


def hub_client(settings, unit_id: int) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"bot_intake_unit_id": unit_id})))


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict:
    async def get():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()
    message = ws.portal.call(get)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def receive_until(ws: WebSocketTestSession, predicate, timeout: float = 5.0, limit: int = 50) -> dict:
    """The first event matching ``predicate``; fails after ``limit`` others or ``timeout`` seconds of silence."""
    seen = []
    for _ in range(limit):
        event = receive(ws, timeout)
        if predicate(event):
            return event
        seen.append(event.get("type"))
    raise AssertionError(f"no matching event among {seen}")


def drain(ws: WebSocketTestSession, quiet: float = 0.3) -> list[dict]:
    """Everything that arrives until the socket stays quiet for ``quiet`` seconds."""
    out = []
    while True:
        try:
            out.append(receive(ws, quiet))
        except TimeoutError:
            return out


def widget_token(client: TestClient, enterprise_token: str | None = None) -> str:
    response = client.post("/api/widget/session", json={"enterprise_token": enterprise_token})
    assert response.status_code == 200, response.text
    return response.json()["visitor_token"]


@contextmanager
def widget_socket(client: TestClient, token: str, enterprise_token: str | None = None, after: int | None = None):
    """A widget socket that has sent its auth frame (the tokens never go in the URL)."""
    with client.websocket_connect("/ws/widget") as ws:
        frame = {"type": "auth", "visitor_token": token}
        if enterprise_token:
            frame["enterprise_token"] = enterprise_token
        if after is not None:
            frame["after"] = after
        ws.send_json(frame)
        yield ws


def staff_token(settings, staff) -> str:
    from datetime import timedelta

    return create_staff_token(staff, secret=settings.app_secret, lifetime=timedelta(hours=1))


@contextmanager
def console_socket(client: TestClient, settings, staff):
    """A console socket that has sent its auth frame with a fresh staff token."""
    with client.websocket_connect("/ws/console") as ws:
        ws.send_json({"type": "auth", "token": staff_token(settings, staff)})
        yield ws


def say(ws: WebSocketTestSession, text: str, client_id: str | None = None, payload: str | None = None) -> str:
    client_id = client_id or uuid.uuid4().hex
    body = {"type": "message", "text": text, "client_id": client_id}
    if payload:
        body["payload"] = payload
    ws.send_json(body)
    return client_id


def conversation_of(db, token_identity: str) -> Conversation:
    db.expire_all()
    return db.query(Conversation).filter(Conversation.identity == token_identity).order_by(Conversation.id.desc()).first()
