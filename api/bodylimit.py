"""A size limit on every request body (ASGI middleware): 413 with a reason before the app sees an oversized body.

The limit is ``REQUEST_MAX_BYTES`` (settings.request_max_bytes); the upload route gets its own, the file limit
(``UPLOAD_MAX_BYTES``) plus room for the multipart envelope, and its handler still checks the file itself. A
``Content-Length`` over the limit is refused at once; a body without one (chunked) is counted while it arrives and
refused as soon as it passes the limit. The body is then handed to the app as it came (FastAPI reads the whole
body before a handler runs anyway, so holding it here costs no extra memory at the peak).
"""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "MULTIPART_ROOM"]

MULTIPART_ROOM = 64 * 1024  # boundaries and part headers around an uploaded file


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f}MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)}KB"


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, per_path: dict[str, int] | None = None) -> None:
        self.app, self.default, self.per_path = app, default, dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.per_path.get(scope.get("path", ""), self.default)
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = None
            if declared is not None and declared > limit:
                return await self._refuse(send, limit)
        # Read the body, counting, before the app runs; replay it afterwards.
        chunks: list[Message] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                chunks.append(message)
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await self._refuse(send, limit)
            chunks.append(message)
            more = message.get("more_body", False)
        body = b"".join(m.get("body", b"") for m in chunks if m["type"] == "http.request")
        tail = [m for m in chunks if m["type"] != "http.request"]
        replay = [{"type": "http.request", "body": body, "more_body": False}, *tail]

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        return await self.app(scope, replayed, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        payload = json.dumps({"detail": f"请求内容太大（不能超过{_megabytes(limit)}），请精简后再提交",
                              "code": "too_large"}, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})
