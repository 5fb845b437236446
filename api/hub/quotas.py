"""The widget's throttles (api.throttle, shared by every instance): what one identity or one address may do.

Visitor tokens are free (``POST /api/widget/session`` mints one for anyone), so every quota per
identity has a companion per client address, and minting new visitor identities is itself limited per
address. Messages are limited per identity across all its sockets: a new socket does not reset them.
"""
from __future__ import annotations

import redis
import redis.asyncio

from api.hub.identity import Identity
from api.settings import Settings
from api.throttle import Rate, atake_all, take

__all__ = ["take_message", "take_upload", "take_leave_message", "take_new_visitor"]

_BURST_SECONDS = 10


async def take_message(client: redis.asyncio.Redis, settings: Settings, identity: Identity) -> None:
    """One widget message of ``identity`` (in the socket's event loop, one Redis round trip: every message pays it)."""
    await atake_all(client, [("widget-burst", identity.key, Rate(settings.message_burst, _BURST_SECONDS)),
                             ("widget-msg", identity.key, Rate(settings.messages_per_minute, 60))],
                    detail="您发送得太快了，请{wait}后再发。", code="rate_limited")


def take_upload(client: redis.Redis, settings: Settings, identity: Identity, address: str) -> None:
    detail = "上传的文件已达到今日上限，请{wait}后再试；如需提交更多材料，请转人工或拨打12366。"
    take(client, "upload-id", identity.key, settings.uploads_per_identity, detail=detail)
    take(client, "upload-addr", address, settings.uploads_per_address, detail=detail)


def take_leave_message(client: redis.Redis, settings: Settings, identity: Identity, address: str) -> None:
    detail = "留言次数已达到上限，我们会尽快处理您已提交的留言；请{wait}后再试，紧急事项请拨打12366。"
    take(client, "leave-id", identity.key, settings.leave_messages_per_identity, detail=detail)
    take(client, "leave-addr", address, settings.leave_messages_per_address, detail=detail)


def take_new_visitor(client: redis.Redis, settings: Settings, address: str) -> None:
    take(client, "visitor-addr", address, settings.visitor_tokens_per_address,
         detail="新建会话过于频繁，请{wait}后再试。")
