"""The first frame of a hub socket carries its credentials, never the URL.

A URL is printed by access logs, kept in browser history and proxies' logs; a frame is not. The
socket is accepted, and the client must send ``{"type": "auth", ...}`` within ``WS_AUTH_SECONDS``;
anything else (silence, another frame, malformed JSON, bytes) closes it with 4401
``not_authenticated``. Tokens in the query string are ignored.
"""
from __future__ import annotations

import asyncio
import json

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from api.core.errors import Unauthorized

__all__ = ["auth_frame", "text_field", "NOT_AUTHENTICATED"]

NOT_AUTHENTICATED = "请先发送登录凭证（连接后的第一条消息）"


async def auth_frame(websocket: WebSocket, timeout: float) -> dict:
    """The client's auth frame (a dict with ``type: auth``); Unauthorized when it does not come in time.
    WebSocketDisconnect when the client leaves first."""
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout)
    except asyncio.TimeoutError:
        raise Unauthorized(NOT_AUTHENTICATED, code="not_authenticated") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        data = json.loads(message.get("text") or "")
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python recurses
        data = None
    if not isinstance(data, dict) or data.get("type") != "auth":
        raise Unauthorized(NOT_AUTHENTICATED, code="not_authenticated")
    return data


def text_field(data: dict, name: str) -> str | None:
    """A token field of the auth frame: a non-empty string, or None."""
    value = data.get(name)
    return value if isinstance(value, str) and value else None
