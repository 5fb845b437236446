"""What the widget and the real API said to each other, seen from the browser (no stand-in answers anything).

`Wire(page)` records, from Playwright's request and WebSocket events: the session requests (their JSON bodies),
each /ws/widget socket's URL, its first frame (the auth frame, docs/hub.md) and the frames after it, what the hub
sent, and the 消息 requests (list GETs and read marks, with their headers). `feed(page, event)` hands a server
event to the widget through its test hook, for shapes the hub sends but a test cannot make it send on cue.
Imported by the browser tests as `wire` (pytest puts this folder on sys.path).
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlparse

__all__ = ["Wire", "feed", "iso", "minutes_ago", "make_message", "make_state"]

_READ = re.compile(r"/api/widget/reminders/(\d+)/read$")


def iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).isoformat()


def minutes_ago(minutes: float) -> str:
    return iso(datetime.now(timezone.utc) - timedelta(minutes=minutes))


def make_message(message_id: int, sender: str = "bot", text: str = "", **fields: Any) -> dict:
    """A Message as the hub sends it (api/hub/schemas.py, message_wire), for `feed`."""
    names = {"bot": "智能助手", "staff": "王芳", "expert": "李明", "user": "我", "system": "系统"}
    message = {"id": message_id, "conversation_id": 7, "client_id": None, "sender": sender,
               "sender_name": names.get(sender, sender), "text": text, "buttons": [], "custom": None,
               "attachment": None, "internal": False, "created_at": iso(), "feedback": None}
    message.update(fields)
    return message


def make_state(mode: str = "bot", **fields: Any) -> dict:
    """A conversation state as the hub sends it (api/hub/dispatch.py, widget_state), for `feed`."""
    conversation = {"id": 7, "mode": mode, "tier": None, "position": None, "expected_wait_seconds": None,
                    "seat": None, "service_open": True, "service_hours": "工作日 09:00–17:00", "can_rate": False,
                    "rating": None}
    conversation.update(fields)
    return conversation


def feed(page, event: dict) -> None:
    """Hand one server event to the widget through its test hook."""
    page.evaluate("event => window.__taxWidget.handleServerEvent(event)", event)


class Wire:
    def __init__(self, page) -> None:
        self.page = page
        self.session_requests: list[dict] = []
        self.socket_urls: list[str] = []
        self.auths: list[dict] = []
        self.frames: list[dict] = []  # what the widget sent after its auth frames
        self.received: list[dict] = []  # what the hub sent
        self.reminder_lists: list[dict] = []
        self.reminder_reads: list[tuple[int, dict]] = []
        page.on("request", self._request)
        page.on("websocket", self._socket)

    def _request(self, request) -> None:
        path = urlparse(request.url).path
        if path == "/api/widget/session" and request.method == "POST":
            self.session_requests.append(request.post_data_json or {})
        elif path == "/api/widget/reminders" and request.method == "GET":
            self.reminder_lists.append(dict(request.headers))
        elif request.method == "POST" and _READ.search(path):
            self.reminder_reads.append((int(_READ.search(path).group(1)), dict(request.headers)))

    def _socket(self, ws) -> None:
        if "/ws/widget" not in ws.url:
            return
        self.socket_urls.append(ws.url)
        first = [True]

        def sent(payload) -> None:
            frame = json.loads(payload)
            if first[0]:
                first[0] = False
                self.auths.append(frame)
            else:
                self.frames.append(frame)

        ws.on("framesent", sent)
        ws.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def messages_sent(self) -> list[dict]:
        return [f for f in self.frames if f.get("type") == "message"]

    def hello(self) -> dict | None:
        return next((e for e in reversed(self.received) if e.get("type") == "hello"), None)

    def drop_connection(self) -> None:
        """Close the widget's socket as a network drop would (the widget reconnects)."""
        self.page.evaluate("() => window.__taxWidget.state.ws.close()")

    def wait_for(self, page, condition: Callable[[], Any], timeout: float = 10.0):
        """Let the page run until `condition()` is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the widget")
            page.wait_for_timeout(50)
