"""A stand-in for the hub inside the browser, and builders for hub.md's Message and state shapes.

`FakeHub` answers the widget's POST /api/widget/session and its /ws/widget WebSocket through
Playwright routes, so the widget runs its real connection code with no server behind it; it also answers
the 消息 list (GET /api/widget/reminders, POST /api/widget/reminders/{id}/read) as the hub's reminder
routes do: 403 for a visitor, the enterprise's reminders (newest first) otherwise.
Imported by the browser tests as `fakehub` (pytest puts this folder on sys.path).
"""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

VISITOR_TOKEN = "visitor-token-test"


def iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).isoformat()


def make_message(message_id: int, sender: str = "bot", text: str = "", **fields: Any) -> dict:
    """A Message exactly as docs/hub.md gives it."""
    names = {"bot": "智能助手", "staff": "王芳", "expert": "李明", "user": "我", "system": "系统"}
    message = {
        "id": message_id,
        "conversation_id": 7,
        "client_id": None,
        "sender": sender,
        "sender_name": names.get(sender, sender),
        "text": text,
        "buttons": [],
        "custom": None,
        "attachment": None,
        "internal": False,
        "created_at": iso(),
        "feedback": None,
    }
    message.update(fields)
    return message


def make_state(mode: str = "bot", **fields: Any) -> dict:
    conversation = {
        "id": 7,
        "mode": mode,
        "tier": None,
        "position": None,
        "expected_wait_seconds": None,
        "seat": None,
        "service_open": True,
        "service_hours": "工作日 09:00–17:00",
        "can_rate": False,
        "rating": None,
    }
    conversation.update(fields)
    return conversation


def make_reminder(reminder_id: int, type_: str = "policy", title: str = "", message: str = "", *,
                  status: str = "delivered", read: bool = False, message_id: int | None = None,
                  created_at: str | None = None, **fields: Any) -> dict:
    """A reminder as GET /api/widget/reminders lists it (api/reminder/schemas.py, reminder_wire)."""
    created = created_at or iso()
    reminder = {
        "id": reminder_id, "type": type_, "rule": f"{type_}_rule", "topic": f"{type_}_topic",
        "title": title, "message": message, "reasons": [], "status": status, "answer": None,
        "answer_label": None, "created_at": created, "delivered_at": created,
        "read_at": created if read else None, "answered_at": None, "message_id": message_id,
    }
    reminder.update(fields)
    return reminder


class FakeHub:
    """Answers the widget's session request and WebSocket from inside the browser (Playwright routes).

    The widget's first frame must be its auth frame (docs/hub.md): `auths` collects them, and `hello` answers
    only then (a socket whose first frame is not one is closed with 4401, as the hub does).
    `frames` collects what the widget sent; the user's messages are echoed back stored (with a new id
    and their client_id) unless `echo` is False; `push(event)` sends a server event on the open socket.
    `reminders` is the enterprise's 消息 list; `reminder_lists` and `reminder_reads` record the widget's
    GET and read-mark requests (with their headers).
    """

    def __init__(self, context, *, hello_messages=(), conversation=None, echo: bool = True,
                 reject_enterprise_token: bool = False, identity: dict | None = None,
                 reminders=()) -> None:
        self.hello_messages = list(hello_messages)
        self.conversation = conversation
        self.echo = echo
        self.reject_enterprise_token = reject_enterprise_token
        self.identity = identity or {"kind": "visitor", "name": None, "uscc": None}
        self.frames: list[dict] = []
        self.sockets: list = []
        self.socket_urls: list[str] = []
        self.auths: list[dict] = []  # the auth frame of each socket, in order
        self._authenticated: list = []  # sockets past their first frame
        self.session_requests: list[dict] = []
        self.stored: dict[str, dict] = {}  # client_id → stored message, to echo a repeat unchanged
        self.next_id = 1000
        self.reminders: list[dict] = [dict(r) for r in reminders]
        self.reminder_lists: list[dict] = []  # headers of each GET /api/widget/reminders
        self.reminder_reads: list[tuple[int, dict]] = []  # (reminder id, headers) of each read mark
        context.route("**/api/widget/session", self._session)
        context.route("**/api/widget/reminders", self._reminder_list)
        context.route("**/api/widget/reminders/*/read", self._reminder_read)
        context.route_web_socket(re.compile(r"/ws/widget(\?|$)"), self._connect)

    def _session(self, route) -> None:
        body = route.request.post_data_json or {}
        self.session_requests.append(body)
        if self.reject_enterprise_token and body.get("enterprise_token"):
            route.fulfill(status=401, json={"detail": "登录已过期", "code": "enterprise_token_expired"})
            return
        route.fulfill(json={"visitor_token": VISITOR_TOKEN, "identity": self.identity})

    def _is_enterprise(self) -> bool:
        return self.identity.get("kind") == "enterprise"

    def _reminder_list(self, route) -> None:
        self.reminder_lists.append(dict(route.request.headers))
        if not self._is_enterprise():
            route.fulfill(status=403, json={"detail": "登录电子税务局后可查看本企业的消息提醒", "code": "login_required"})
            return
        items = sorted(self.reminders, key=lambda r: (r["created_at"], r["id"]), reverse=True)
        route.fulfill(json={"reminders": items, "unread": sum(1 for r in items if r["read_at"] is None)})

    def _reminder_read(self, route) -> None:
        reminder_id = int(re.search(r"/reminders/(\d+)/read", route.request.url).group(1))
        self.reminder_reads.append((reminder_id, dict(route.request.headers)))
        if not self._is_enterprise():
            route.fulfill(status=403, json={"detail": "登录电子税务局后可查看本企业的消息提醒", "code": "login_required"})
            return
        found = next((r for r in self.reminders if r["id"] == reminder_id), None)
        if found is None:
            route.fulfill(status=404, json={"detail": "没有找到该提醒", "code": "not_found"})
            return
        found["read_at"] = found["read_at"] or iso()
        if found["status"] in ("created", "delivered"):
            found["status"] = "read"
        route.fulfill(json=found)

    def _connect(self, ws) -> None:
        self.sockets.append(ws)
        self.socket_urls.append(ws.url)
        ws.on_message(lambda raw: self._receive(ws, raw))

    def _authenticate(self, ws, frame: dict) -> None:
        if frame.get("type") != "auth" or not frame.get("visitor_token"):
            ws.close(code=4401, reason="not_authenticated")
            return
        self.auths.append(frame)
        after = frame.get("after")
        messages = [m for m in self.hello_messages if not after or m["id"] > after]
        ws.send(json.dumps({"type": "hello", "identity": self.identity,
                            "conversation": self.conversation, "messages": messages}))

    def _receive(self, ws, raw) -> None:
        frame = json.loads(raw)
        if ws not in self._authenticated:
            self._authenticated.append(ws)
            self._authenticate(ws, frame)
            return
        self.frames.append(frame)
        if frame.get("type") == "ping":
            ws.send(json.dumps({"type": "pong"}))
        if frame.get("type") == "message" and self.echo:
            stored = self.stored.get(frame["client_id"])
            if stored is None:
                self.next_id += 1
                stored = make_message(self.next_id, "user", frame["text"], client_id=frame["client_id"])
                self.stored[frame["client_id"]] = stored
                self.hello_messages.append(stored)
            ws.send(json.dumps({"type": "message", "message": stored}))

    def push(self, event: dict) -> None:
        self.sockets[-1].send(json.dumps(event))

    def messages_sent(self) -> list[dict]:
        return [f for f in self.frames if f.get("type") == "message"]

    def wait_for(self, page, condition: Callable[[], Any], timeout: float = 5.0):
        """Let the page run (routes are served while Playwright waits) until `condition()` is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the widget")
            page.wait_for_timeout(50)


def feed(page, event: dict) -> None:
    """Hand one server event to the widget through its test hook."""
    page.evaluate("event => window.__taxWidget.handleServerEvent(event)", event)


def minutes_ago(minutes: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(minutes=minutes))
