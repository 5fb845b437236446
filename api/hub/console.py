"""The console's WebSocket: a seat's live view (queue, my conversations, messages, notifications).

The staff token comes in the first frame, ``{"type": "auth", "token": …}``, never in the URL
(api.hub.socket_auth). A valid staff token of a seat role marks the seat online (api.hub.presence); while the
socket is open this instance renews the presence every few seconds, and a console silent for
``SEAT_SILENCE_SECONDS`` (no ping) is closed. Commands go through the REST routes (api.hub.seat_router); this
socket only pushes. When the seat's last console closes it is marked leaving (no new work) and, unless it
reconnects within ``SEAT_RECONNECT_SECONDS`` (a page reload), its conversations go back to the queue at once.
The console follows every unit the seat serves (api.hub.units: an expert's are its unit and those under it),
decided when it connects.
"""
from __future__ import annotations

import asyncio
import logging
import uuid

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.auth.security import decode_staff_token, staff_claims
from api.core.errors import AppError, Forbidden, Unauthorized
from api.core.runtime import Runtime, runtime
from api.core.time import aware_now
from api.hub import dispatch, events, presence, scheduled
from api.hub.frames import receive_frame
from api.hub.models import Conversation
from api.hub.routing import TIER_ROLES
from api.hub.socket_auth import auth_frame, text_field
from api.hub.units import served_units
from api.org.models import StaffAccount

__all__ = ["router", "load_seat", "seat_units"]

log = logging.getLogger(__name__)

router = APIRouter()
SEAT_ROLES = tuple(TIER_ROLES.values())


def load_seat(rt: Runtime, token: str | None) -> StaffAccount:
    """The active seat behind a staff token; AppError (401/403) otherwise."""
    if not token:
        raise Unauthorized("请先登录", code="not_authenticated")
    identity = staff_claims(decode_staff_token(token, secret=rt.settings.app_secret))
    with rt.session_factory() as session:
        staff = session.get(StaffAccount, identity.staff_id)
        if staff is None or not staff.active:
            raise Unauthorized("账号不存在或已停用，请重新登录", code="invalid_token")
        if staff.role not in SEAT_ROLES:
            raise Forbidden("只有税务干部和专家坐席可以接入会话", code="not_a_seat")
        session.expunge(staff)
        return staff


def seat_units(rt: Runtime, staff: StaffAccount) -> set[int]:
    with rt.session_factory() as session:
        return served_units(staff, session=session)


class ConsoleConnection:
    def __init__(self, websocket: WebSocket, staff: StaffAccount, units: set[int]):
        self.ws, self.staff, self.rt, self.units = websocket, staff, runtime(websocket.app), units
        self.outbox: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self.last_board: dict | None = None

    async def deliver(self, event: dict) -> None:
        if event.get("type") == "notification" and not self._mine(event.get("notification") or {}):
            return  # an expert follows the channels of units below it: their petition notices are not its own
        try:
            self.outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("console of seat %s is not reading; event dropped", self.staff.id)

    def _mine(self, ref: dict) -> bool:
        return ref.get("recipient_staff_id") == self.staff.id or ref.get("recipient_unit_id") == self.staff.unit_id

    async def writer(self) -> None:
        while True:
            event = await self.outbox.get()
            kind = event.get("type")
            if kind == "queue_changed":
                event = {"type": "queue", "queue": await run_in_threadpool(self.queue)}
                await self._send_board()  # loads changed with the queue: who can take more may have changed
            elif kind == "presence_changed":
                await self._send_board()
                continue
            elif kind == "conversation_changed":
                event = {"type": "conversation",
                         "conversation": await run_in_threadpool(self.summary, event["conversation_id"])}
            await self.ws.send_json(event)

    async def _send_board(self) -> None:
        """``{"type": "seats", "seats": <board>}`` when it differs from the last one this console was sent."""
        board = await run_in_threadpool(self.board)
        if board != self.last_board:
            self.last_board = board
            await self.ws.send_json({"type": "seats", "seats": board})

    def queue(self) -> list[dict]:
        with self.rt.session_factory() as session:
            return dispatch.queue_for(self.staff, session=session, now=aware_now(), units=self.units)

    def summary(self, conversation_id: int) -> dict | None:
        with self.rt.session_factory() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.unit_id not in self.units:
                return None
            return dispatch.seat_summary(conversation, session=session, now=aware_now(), viewer=self.staff)

    def hello(self, status: str) -> dict:
        with self.rt.session_factory() as session:
            now = aware_now()
            return {"type": "hello", "seat": {**dispatch.seat_info(self.staff), "unit_id": self.staff.unit_id,
                                              "status": status},
                    "queue": dispatch.queue_for(self.staff, session=session, now=now, units=self.units),
                    "mine": dispatch.mine_for(self.staff, session=session, now=now),
                    "seats": self._first_board()}

    def _first_board(self) -> dict:
        self.last_board = self.board()
        return self.last_board

    def board(self) -> dict:
        with self.rt.session_factory() as session:
            return dispatch.seat_board(self.staff.unit_id, session=session, client=self.rt.redis,
                                       settings=self.rt.settings)

    async def keep_alive(self, connection_id: str) -> None:
        """Renew the seat's presence while this socket is open (a killed instance stops renewing it)."""
        settings, client = self.rt.settings, self.rt.redis
        period = max(0.5, settings.seat_grace_seconds / 3)
        while True:
            await asyncio.sleep(period)
            try:
                alive = await run_in_threadpool(presence.renew_connection, client, self.staff.id, connection_id,
                                                ttl_seconds=settings.seat_grace_seconds)
                if not alive:  # expired meanwhile (Redis restarted, a long stall): announce the seat again
                    await run_in_threadpool(_announce, self.rt, self.staff, None, connection_id, self.units)
            except Exception:
                log.exception("could not renew the presence of seat %s", self.staff.id)


def _presence_events(units) -> list:
    return [e for unit_id in sorted(units) for e in events.presence_event(unit_id)]


def _announce(rt: Runtime, staff: StaffAccount, status: str | None, connection_id: str | None = None,
              units: set[int] | None = None) -> str:
    """Mark the seat present (keeping a status it already had) in the units it serves, tell their consoles, give it
    waiting work."""
    settings, client = rt.settings, rt.redis
    units = units or {staff.unit_id}
    if connection_id is not None:
        presence.connect(client, staff.id, connection_id, ttl_seconds=settings.seat_grace_seconds)
    current = presence.get_presence(client, staff.id)
    status = status or (current or {}).get("status") or "online"
    presence.set_presence(client, staff, status, grace_seconds=settings.seat_grace_seconds, units=units)
    events.publish(client, _presence_events(units))
    if status == "online":
        dispatch.assign_in(rt.session_factory, client, settings, units)
    return status


def _leave(rt: Runtime, staff: StaffAccount, connection_id: str, units: set[int]) -> bool:
    """One console closed; when it was the seat's last, the seat is leaving: True (release it after the grace)."""
    settings, client = rt.settings, rt.redis
    if presence.disconnect(client, staff.id, connection_id):
        return False
    left = presence.mark_leaving(client, staff.id, reconnect_seconds=settings.seat_reconnect_seconds)
    events.publish(client, _presence_events(units))
    return left


async def _release_later(rt: Runtime, staff: StaffAccount, units: set[int]) -> None:
    """After the reconnect grace: if the seat did not come back, its conversations go back to the queue now."""
    await asyncio.sleep(rt.settings.seat_reconnect_seconds + 0.2)
    try:
        if await run_in_threadpool(presence.get_presence, rt.redis, staff.id) is None:
            await run_in_threadpool(scheduled.release_seats, rt, [staff.id])
            await run_in_threadpool(events.publish, rt.redis, _presence_events(units))
    except Exception:
        log.exception("could not release the conversations of seat %s", staff.id)


@router.websocket("/ws/console")
async def console_socket(websocket: WebSocket) -> None:
    rt = runtime(websocket.app)
    await websocket.accept()
    try:
        frame = await auth_frame(websocket, rt.settings.ws_auth_seconds)
        staff = await run_in_threadpool(load_seat, rt, text_field(frame, "token"))
    except AppError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4403, reason=exc.code)
        return
    except WebSocketDisconnect:
        return
    settings = rt.settings
    units = await run_in_threadpool(seat_units, rt, staff)
    connection = ConsoleConnection(websocket, staff, units)
    connection_id = uuid.uuid4().hex
    hub: events.Hub = rt.hub
    channels = [events.seat(staff.id)] + [events.unit(unit_id) for unit_id in sorted(units)]
    for channel in channels:
        hub.attach(channel, connection)
    writer = keeper = None
    try:
        status = await run_in_threadpool(_announce, rt, staff, None, connection_id, units)
        keeper = asyncio.create_task(connection.keep_alive(connection_id))
        # hello first: events published meanwhile wait in the outbox
        await websocket.send_json(await run_in_threadpool(connection.hello, status))
        writer = asyncio.create_task(connection.writer())
        while True:
            try:
                data, bad = await asyncio.wait_for(receive_frame(websocket, settings.ws_frame_max_bytes),
                                                   timeout=settings.seat_silence_seconds)
            except asyncio.TimeoutError:  # no ping for too long: the network is gone, the seat is not there
                await websocket.close(code=4408, reason="heartbeat_missed")
                break
            if data is None:  # then bad is the answer
                await websocket.send_json(bad)
                continue
            kind = data.get("type")
            if kind == "ping":
                await websocket.send_json({"type": "pong"})
            elif kind == "presence" and data.get("status") in presence.STATUSES:
                status = await run_in_threadpool(_announce, rt, staff, data["status"], connection_id, units)
                await websocket.send_json({"type": "presence", "status": status})
            elif kind == "typing" and isinstance(data.get("conversation_id"), int):
                await _typing(rt, staff, data["conversation_id"])
    except WebSocketDisconnect:
        pass
    finally:
        for channel in channels:
            hub.detach(channel, connection)
        for task in (writer, keeper):
            if task is not None:
                task.cancel()
        try:
            with anyio.CancelScope(shield=True):  # the socket's task may be cancelled as it closes: leave anyway
                if await run_in_threadpool(_leave, rt, staff, connection_id, units):
                    hub.spawn(_release_later(rt, staff, units))
        except Exception:
            log.exception("could not mark seat %s as leaving", staff.id)


async def _typing(rt: Runtime, staff: StaffAccount, conversation_id: int) -> None:
    def target():
        with rt.session_factory() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation and conversation.assigned_staff_id == staff.id and conversation.mode == "human":
                return conversation.identity
        return None

    identity = await run_in_threadpool(target)
    if identity:
        await events.apublish(rt.hub.redis, [(events.who(identity),
                                                     {"type": "typing", "on": True, "sender": staff.role})])
