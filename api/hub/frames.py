"""Reading one client frame of the hub's sockets: any malformed frame is answered, never fatal to the socket.

The protocol is JSON objects in text frames. A binary frame, a frame over ``WS_FRAME_MAX_BYTES``, text that is not
JSON (or nests so deep that the parser gives up: ``RecursionError`` is not a ``ValueError``), and JSON that is not
an object each get ``{"type": "error", "code": "bad_request", …}``; the socket stays open for the next frame.
"""
from __future__ import annotations

import json

from fastapi import WebSocket, WebSocketDisconnect

__all__ = ["receive_frame", "BAD_FRAME"]

BAD_FRAME = {"type": "error", "code": "bad_request", "text": "消息格式不正确"}
TOO_BIG = {"type": "error", "code": "bad_request", "text": "消息太大，无法处理"}


async def receive_frame(websocket: WebSocket, max_bytes: int) -> tuple[dict | None, dict | None]:
    """(the frame as a dict, None) or (None, the error event to send back); raises WebSocketDisconnect."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        return None, BAD_FRAME
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return None, TOO_BIG
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None, BAD_FRAME
    if not isinstance(data, dict):
        return None, BAD_FRAME
    return data, None
