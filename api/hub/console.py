"""The console's WebSocket: a seat's live view (queue, my conversations, messages, notifications).

The staff token comes in the first frame, ``{"type": "auth", "token": …}``, never in the URL
(api.hub.socket_auth). A valid staff token of a seat role marks the seat online; pings renew its presence.
Commands go through the REST routes (api.hub.seat_router); this socket only pushes. When the socket
closes, presence is left to expire after the grace period, so a page reload or a short network drop
does not take the seat's conversations away; a seat that does not come back loses them to the queue.
"""
from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.auth.security import decode_staff_token, staff_claims
from api.errors import AppError, Forbidden, Unauthorized
from api.hub import dispatch, events, presence
from api.hub.frames import receive_frame
from api.hub.models import Conversation
from api.hub.socket_auth import auth_frame, text_field
from api.hub.routing import TIER_ROLES
from api.org.models import StaffAccount
from api.petition.timing import aware_now

__all__ = ["router", "load_seat"]

log = logging.getLogger(__name__)

router = APIRouter()
SEAT_ROLES = tuple(TIER_ROLES.values())


def load_seat(app, token: str | None) -> StaffAccount:
    """The active seat behind a staff token; AppError (401/403) otherwise."""
    if not token:
        raise Unauthorized("请先登录", code="not_authenticated")
    identity = staff_claims(decode_staff_token(token, secret=app.state.settings.app_secret))
    with app.state.session_factory() as session:
        staff = session.get(StaffAccount, identity.staff_id)
        if staff is None or not staff.active:
            raise Unauthorized("账号不存在或已停用，请重新登录", code="invalid_token")
        if staff.role not in SEAT_ROLES:
            raise Forbidden("只有税务干部和专家坐席可以接入会话", code="not_a_seat")
        session.expunge(staff)
        return staff


class ConsoleConnection:
    def __init__(self, websocket: WebSocket, staff: StaffAccount):
        self.ws, self.staff, self.app = websocket, staff, websocket.app
        self.outbox: asyncio.Queue = asyncio.Queue(maxsize=1000)

    async def deliver(self, event: dict) -> None:
        try:
            self.outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("console of seat %s is not reading; event dropped", self.staff.id)

    async def writer(self) -> None:
        while True:
            event = await self.outbox.get()
            kind = event.get("type")
            if kind == "queue_changed":
                event = {"type": "queue", "queue": await run_in_threadpool(self.queue)}
            elif kind == "conversation_changed":
                event = {"type": "conversation",
                         "conversation": await run_in_threadpool(self.summary, event["conversation_id"])}
            await self.ws.send_json(event)

    def queue(self) -> list[dict]:
        with self.app.state.session_factory() as session:
            return dispatch.queue_for(self.staff, session=session, now=aware_now())

    def summary(self, conversation_id: int) -> dict | None:
        with self.app.state.session_factory() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.unit_id != self.staff.unit_id:
                return None
            return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=self.staff)

    def hello(self, status: str) -> dict:
        with self.app.state.session_factory() as session:
            now = aware_now()
            return {"type": "hello", "seat": {**dispatch.seat_info(self.staff), "unit_id": self.staff.unit_id,
                                              "status": status},
                    "queue": dispatch.queue_for(self.staff, session=session, now=now),
                    "mine": dispatch.mine_for(self.staff, session=session, now=now)}


def _announce(app, staff: StaffAccount, status: str | None) -> str:
    """Mark the seat present (keeping a status it already had) and give it waiting work."""
    settings, client = app.state.settings, app.state.redis
    current = presence.get_presence(client, staff.id)
    status = status or (current or {}).get("status") or "online"
    presence.set_presence(client, staff, status, grace_seconds=settings.seat_grace_seconds)
    if status == "online":
        dispatch.run_assignment(app.state.session_factory, client, settings, staff.unit_id)
    return status


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    app = websocket.app
    await websocket.accept()
    try:
        frame = await auth_frame(websocket, app.state.settings.ws_auth_seconds)
        staff = await run_in_threadpool(load_seat, app, text_field(frame, "token"))
    except AppError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4403, reason=exc.code)
        return
    except WebSocketDisconnect:
        return
    connection = ConsoleConnection(websocket, staff)
    hub: events.Hub = app.state.hub
    channels = [events.seat(staff.id), events.unit(staff.unit_id)]
    for channel in channels:
        hub.attach(channel, connection)
    writer = asyncio.create_task(connection.writer())
    grace = app.state.settings.seat_grace_seconds
    try:
        status = await run_in_threadpool(_announce, app, staff, None)
        await websocket.send_json(await run_in_threadpool(connection.hello, status))
        while True:
            data, bad = await receive_frame(websocket, app.state.settings.ws_frame_max_bytes)
            if bad is not None:
                await websocket.send_json(bad)
                continue
            kind = data.get("type")
            if kind == "ping":
                if not await run_in_threadpool(presence.heartbeat, app.state.redis, staff.id, grace_seconds=grace):
                    await run_in_threadpool(_announce, app, staff, None)  # expired while away: back again
                await websocket.send_json({"type": "pong"})
            elif kind == "presence" and data.get("status") in presence.STATUSES:
                status = await run_in_threadpool(_announce, app, staff, data["status"])
                await websocket.send_json({"type": "presence", "status": status})
            elif kind == "typing" and isinstance(data.get("conversation_id"), int):
                await _typing(app, staff, data["conversation_id"])
    except WebSocketDisconnect:
        pass
    finally:
        for channel in channels:
            hub.detach(channel, connection)
        writer.cancel()


async def _typing(app, staff: StaffAccount, conversation_id: int) -> None:
    def target():
        with app.state.session_factory() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation and conversation.assigned_staff_id == staff.id and conversation.mode == "human":
                return conversation.identity
        return None

    identity = await run_in_threadpool(target)
    if identity:
        await events.apublish(app.state.hub.redis, [(events.who(identity),
                                                     {"type": "typing", "on": True, "sender": staff.role})])
