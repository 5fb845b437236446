"""The widget's WebSocket: history on connect, the user's messages in, bot/seat/system messages out.

Bot mode: the message is stored, echoed, sent to Rasa with the enterprise token as metadata, and
the replies are stored (with intent and confidence) and relayed. When the bot is at capacity the turn waits its
place in line (api.core.capacity) and the widget hears within seconds that the question is queued, and where
(a ``busy`` event, not stored); the answer follows when capacity returns. A turn goes on when the socket drops
meanwhile: its answer is stored and reaches the widget when it reconnects. Queued or human mode: the message
is stored and relayed to the seat; the bot stays silent. A repeated ``client_id`` is answered with
the stored message, never stored twice; the bot is asked again only when it still owes that message an answer
(its instance died, Rasa was restarting: api.hub.answering). Limits: message length per message, and
the rate per identity across its sockets and every instance (api.hub.quotas).

The tokens come in the first frame, never in the URL (api.hub.socket_auth):
``{"type": "auth", "visitor_token": …, "enterprise_token": …, "after": <last id>}``.

The conversation belongs to the unit that serves the enterprise (属地, api.org.service.serving_unit; a
visitor's to the intake unit): while it waits, the widget follows that unit's queue and seats.
"""
from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.core.errors import TooManyRequests, Unauthorized
from api.core.rasa import BotUnavailable
from api.core.runtime import Runtime, runtime
from api.core.time import aware_now
from api.hub import answering, dispatch, events, internal, notices, quotas, service
from api.hub.bot import understood
from api.hub.frames import receive_frame
from api.hub.identity import Identity, resolve_identity
from api.hub.schemas import message_wire
from api.hub.socket_auth import auth_frame, text_field
from api.inputs import MAX_ID
from common.textnorm import strip_controls

__all__ = ["router", "handle_user_message"]

log = logging.getLogger(__name__)

router = APIRouter()

BOT_DOWN = "抱歉，智能助手暂时无法回复，请稍后再试，或点击“转人工”由工作人员为您服务。"
HISTORY = 100


class WidgetConnection:
    def __init__(self, websocket: WebSocket, identity: Identity):
        self.ws, self.identity, self.rt = websocket, identity, runtime(websocket.app)
        self.outbox: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self.queued = False  # is the conversation waiting (its position changes with the queue)?
        # The Rasa sender id of the next bot turn: the bot's conversation's, or the one chosen for the conversation
        # the next message opens (service.new_sender); None while a person holds it or waits for one.
        self.predicted_sender: str | None = None
        self.opening = False  # is predicted_sender the one chosen for a conversation not opened yet?
        self.own: dict[int, None] = {}  # ids of this socket's answers put straight into its outbox (deliver_own)
        self.unit_id: int | None = None  # the unit of the current conversation: its queue and seats are followed
        self.unit_channel: str | None = None

    async def deliver(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "message" and self.own and self.own.pop(event["message"].get("id"), 0) is None:
            return  # this socket had it straight from its turn (deliver_own)
        if kind in ("queue_changed", "presence_changed") and not self.queued:
            return  # the unit's queue and seats matter to a widget only while it waits
        if kind == "notification":
            return  # staff notifications reach the unit's channel; they are not the enterprise's
        try:
            self.outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("widget %s is not reading; event dropped (it catches up on reconnect)", self.identity.key)

    def deliver_own(self, wires: list[dict]) -> None:
        """The committed messages of this socket's own turn (the bot's answer), into its outbox at once, before they
        are published: the widget does not wait for the Redis round trip, and their copy from Redis is dropped. The
        outbox keeps them in order with everything delivered before."""
        for wire in wires:
            self.own[wire["id"]] = None
            try:
                self.outbox.put_nowait({"type": "message", "message": wire})
            except asyncio.QueueFull:  # its copy from Redis will not find room either; reconnecting catches up
                self.own.pop(wire["id"], None)
        while len(self.own) > 100:  # copies that never came (Redis lost meanwhile) are not waited for for ever
            self.own.pop(next(iter(self.own)))

    async def writer(self) -> None:
        while True:
            event = await self.outbox.get()
            if event.get("type") in ("reminders_pending", "notices_pending"):  # their messages come as events of their own
                await run_in_threadpool(self.run_open_hooks)
                continue
            if event.get("type") in ("state_changed", "queue_changed", "presence_changed"):
                event = {"type": "state", "conversation": await run_in_threadpool(self.state)}
                self.follow((event["conversation"] or {}).get("mode"))
                self.bind_unit()
            await self.ws.send_json(event)

    def bind_unit(self) -> None:
        """Follow the channel of the conversation's unit (known once there is a conversation; a handoff may move it,
        api.hub.service.route); in the event loop, as the hub's channels are."""
        channel = events.unit(self.unit_id) if self.unit_id is not None else None
        if channel == self.unit_channel:
            return
        hub: events.Hub = self.rt.hub
        if self.unit_channel is not None:
            hub.detach(self.unit_channel, self)
        if channel is not None:
            hub.attach(channel, self)
        self.unit_channel = channel

    def follow(self, mode: str | None, sender: str | None = None) -> None:
        """Keep up with the conversation's mode: who answers the next message, and under which sender id."""
        self.queued = mode == "queued"
        was_opening, self.opening = self.opening, mode in (None, "closed")
        if self.opening:  # the next message opens a new conversation: its sender id is chosen now
            self.predicted_sender = self.predicted_sender if was_opening else service.new_sender()
        elif mode != "bot":  # a person holds it or is awaited: nothing to send early
            self.predicted_sender = None
        elif sender is not None:
            self.predicted_sender = sender
        elif was_opening:  # another socket of the identity opened it, under a sender id not known here
            self.predicted_sender = None

    def state(self) -> dict | None:
        with self.rt.session_factory() as session:
            conversation = service.latest_conversation(self.identity.key, session=session)
            self.unit_id = conversation.unit_id if conversation is not None else None
            return dispatch.widget_state(conversation, session=session, client=self.rt.redis,
                                         settings=self.rt.settings, now=aware_now())

    def run_open_hooks(self) -> None:
        """What other features put into the chat when the enterprise opens it (reminders, for one)."""
        for hook in self.rt.widget_open_hooks:
            try:
                hook(self.rt, self.identity)
            except Exception:
                log.exception("widget open hook %s failed for %s", getattr(hook, "__name__", hook), self.identity.key)

    def hello(self, after: int | None) -> dict:
        self.run_open_hooks()
        with self.rt.session_factory() as session:
            rows = service.history(self.identity.key, session=session, after=after, limit=HISTORY if after is None
                                   else 1000)
            conversation = service.latest_conversation(self.identity.key, session=session)
            self.unit_id = conversation.unit_id if conversation is not None else None
            state = dispatch.widget_state(conversation, session=session, client=self.rt.redis,
                                          settings=self.rt.settings, now=aware_now())
        self.follow((state or {}).get("mode"), conversation.rasa_sender if conversation else None)
        return {"type": "hello", "identity": self.identity.public(), "conversation": state,
                "messages": [message_wire(m, a) for m, a in rows]}


@router.websocket("/ws/widget")
async def widget_socket(websocket: WebSocket) -> None:
    rt = runtime(websocket.app)
    settings = rt.settings
    await websocket.accept()
    try:
        frame = await auth_frame(websocket, settings.ws_auth_seconds)
        identity = resolve_identity(text_field(frame, "visitor_token"), text_field(frame, "enterprise_token"),
                                    secret=settings.app_secret)
    except Unauthorized as exc:
        await websocket.close(code=4401, reason=exc.code)
        return
    except WebSocketDisconnect:
        return
    after = frame.get("after") if type(frame.get("after")) is int and 0 <= frame["after"] <= MAX_ID else None
    connection = WidgetConnection(websocket, identity)
    hub: events.Hub = rt.hub
    hub.attach(events.who(identity.key), connection)
    writer = None
    try:
        # hello first: events published meanwhile wait in the outbox (the widget drops ids it already has)
        hello = await run_in_threadpool(connection.hello, after)
        connection.bind_unit()
        await websocket.send_json(hello)
        writer = asyncio.create_task(connection.writer())
        while True:
            data, bad = await receive_frame(websocket, settings.ws_frame_max_bytes)
            if data is None:  # then bad is the answer
                await websocket.send_json(bad)
                continue
            kind = data.get("type")
            if kind == "ping":
                await websocket.send_json({"type": "pong"})
            elif kind == "typing":
                await _typing(rt, identity)
            elif kind == "message":
                try:
                    await quotas.take_message(rt.hub.redis, settings, identity)
                except TooManyRequests as exc:
                    await websocket.send_json({"type": "error", "code": exc.code, "text": exc.detail})
                    continue
                await handle_user_message(rt, identity, data, reply_to=websocket, connection=connection)
    except WebSocketDisconnect:
        pass
    finally:
        hub.detach(events.who(identity.key), connection)
        connection.unit_id = None
        connection.bind_unit()
        if writer is not None:
            writer.cancel()


async def _typing(rt, identity: Identity) -> None:
    def target():
        with rt.session_factory() as session:
            conversation = service.open_conversation(identity.key, session=session)
            if conversation is not None and conversation.mode == "human" and conversation.assigned_staff_id:
                return conversation.assigned_staff_id, conversation.id
        return None

    found = await run_in_threadpool(target)
    if found:
        await events.apublish(rt.hub.redis, [(events.seat(found[0]),
                                                     {"type": "typing", "conversation_id": found[1]})])


def _clean(data: dict, limit: int) -> tuple[str, str | None, str | None, dict | None]:
    """(text, payload, client_id, error event: then no text); control characters removed as at every intake."""
    text, payload, client_id = (strip_controls(v) if isinstance(v, str) else v
                                for v in (data.get("text"), data.get("payload"), data.get("client_id")))
    text = text.strip() if isinstance(text, str) else ""
    payload = payload.strip() if isinstance(payload, str) and payload.strip() else None
    client_id = client_id[:64] if isinstance(client_id, str) and client_id else None
    if not text and not payload:
        return "", None, client_id, {"type": "error", "code": "empty", "text": "请输入要咨询的内容。"}
    if len(text) > limit or (payload and len(payload) > limit):
        return "", None, client_id, {"type": "error", "code": "too_long",
                                     "text": f"消息太长了（最多{limit}字），请分几次发送或上传附件。"}
    return text or payload or "", payload, client_id, None  # one of them is not empty (above)


async def _first_sending(rt, identity: Identity, client_id: str | None, opening: str | None = None) -> bool:
    """False when this client id was already sent by this identity (a resend after a dropped connection);
    one atomic Redis check shared by every instance, before anything reaches the bot. With ``opening`` (the sender
    id chosen for the conversation this message opens), the same round trip marks it as being opened, so the bot's
    handoff waits for the conversation (api.hub.internal)."""
    if not client_id and not opening:
        return True
    async with rt.hub.redis.pipeline(transaction=False) as pipe:
        if client_id:
            pipe.set(f"hub:cid:{identity.key}:{client_id}", "1", nx=True, ex=86400)
        if opening:
            pipe.set(internal.opening_key(opening), "1", ex=internal.OPENING_TTL)
        done = await pipe.execute()
    return bool(done[0]) if client_id else True


async def handle_user_message(rt, identity: Identity, data: dict, reply_to: WebSocket | None = None,
                              connection: WidgetConnection | None = None) -> None:
    """Store, relay and, in bot mode, ask the bot. Used by the socket and by the benchmark.

    While the conversation is with the bot, or the message opens a new one, the message goes to Rasa at the same
    time as it is stored (the connection knows the conversation's Rasa sender id, or chose the new one's), so the
    enterprise waits for the bot, not for the bot plus the database. If the store finds the conversation has
    meanwhile gone to a person (or another socket opened it under another sender id), the bot's early answer is
    dropped. The bot's handoff action may ask for a person before a new conversation is committed: the API waits
    for it (api.hub.internal). The answer is stored before anyone sees it, and reaches this socket straight from
    the turn (WidgetConnection.deliver_own) as it is published to the others."""
    settings = rt.settings
    text, payload, client_id, error = _clean(data, settings.message_max_chars)
    if error:
        if reply_to is not None:
            await reply_to.send_json(error)
        return
    opening = connection.predicted_sender if connection is not None and connection.opening else None
    first = await _first_sending(rt, identity, client_id, opening)
    predicted = connection.predicted_sender if connection is not None and first else None
    metadata = {"enterprise_token": identity.enterprise_token} if identity.enterprise_token else {}
    rasa = rt.rasa

    async def busy(position: int) -> None:
        await _tell(reply_to, {"type": "busy", "position": position, "text": notices.bot_busy_text(position)})

    early = asyncio.create_task(rasa.send(predicted, payload or text, metadata, on_busy=busy)) if predicted else None

    def store():
        with rt.session_factory() as session:
            if client_id and (seen := service.find_by_client_id(identity.key, client_id, session=session)):
                return None, message_wire(seen), None
            now = aware_now()
            conversation = service.current_conversation(identity, session=session, settings=settings, now=now,
                                                        sender=predicted)
            message = service.post(conversation, session=session, sender="user", text=text, client_id=client_id,
                                   now=now)
            session.commit()
            return conversation, message_wire(message), events.message_events(conversation, message_wire(message))

    try:
        conversation, wire, out = await run_in_threadpool(store)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    usable = early is not None and conversation is not None and conversation.mode == "bot" \
        and conversation.rasa_sender == predicted
    if early is not None and not usable:
        early.cancel()
    if connection is not None and conversation is not None:
        connection.predicted_sender = conversation.rasa_sender if conversation.mode == "bot" else None
        connection.opening = False
        connection.unit_id = conversation.unit_id
        connection.bind_unit()
    if conversation is None:  # a resend: answer it; if the bot's answer to it was lost, ask again (once)
        await _tell(reply_to, {"type": "message", "message": wire})
        await answering.answer_again(rt, wire["id"], payload or text, metadata, _store_replies, (BOT_DOWN,))
        return
    await events.apublish(rt.hub.redis, out)
    if conversation.mode != "bot":
        return
    claim = await answering.claim(rt.hub.redis, wire["id"])  # while held, a resend waits for this answer
    await _tell(reply_to, {"type": "typing", "on": True, "sender": "bot"})
    try:
        replies = await (early if early is not None and usable
                         else rasa.send(conversation.rasa_sender, payload or text, metadata, on_busy=busy))
    except BotUnavailable:
        replies = None
    replies = replies or None  # Rasa said nothing (its action server down): told as unavailable; the widget asks again
    intent, confidence = understood(replies or [])
    wires = await run_in_threadpool(_save_replies, rt, conversation.id, replies, intent, confidence)
    if connection is not None:
        connection.deliver_own(wires)
        await asyncio.sleep(0)  # its writer sends the answer before the work below takes the loop
    stored, handed_off, unit_id, out = await run_in_threadpool(_after_replies, rt, conversation.id, wires)
    await events.apublish(rt.hub.redis, out)
    await answering.release(rt.hub.redis, claim)
    understanding_stored = intent is not None
    await _tell(reply_to, {"type": "typing", "on": False, "sender": "bot"})
    if handed_off:
        if connection is not None:
            connection.predicted_sender = None
        await run_in_threadpool(dispatch.run_assignment, rt.session_factory, rt.redis, settings,
                                unit_id)  # the unit the handoff queued it in (api.hub.internal routes it)
    if stored and not understanding_stored:  # no envelope said it: ask Rasa, after the enterprise has its answer
        intent, confidence = await rasa.understanding(conversation.rasa_sender)
        if intent is not None:
            await run_in_threadpool(_record_understanding, rt, stored, intent, confidence)


async def _tell(socket: WebSocket | None, event: dict) -> None:
    """Send to the widget that sent the message, if it is still there: a turn never stops half-way because the
    socket dropped (what is stored reaches the widget through the hub when it reconnects)."""
    if socket is None:
        return
    try:
        await socket.send_json(event)
    except (WebSocketDisconnect, RuntimeError) as exc:  # gone (starlette), or closed after a close frame
        log.debug("widget socket gone mid-turn: %s", exc)


def _record_understanding(rt: Runtime, message_ids: list[int], intent: str, confidence: float | None) -> None:
    with rt.session_factory() as session:
        service.record_understanding(message_ids, intent, confidence, session=session)
        session.commit()


def _store_replies(rt: Runtime, conversation_id: int, replies, intent: str | None = None,
                   confidence: float | None = None) -> tuple[list[int], bool, int]:
    """Store the bot's turn (or the honest 'bot unavailable' line) with what the bot understood, and publish
    it: (bot message ids, handed off, the conversation's unit now)."""
    stored = _save_replies(rt, conversation_id, replies, intent, confidence)
    ids, handed_off, unit_id, out = _after_replies(rt, conversation_id, stored)
    events.publish(rt.redis, out)
    return ids, handed_off, unit_id


def _save_replies(rt: Runtime, conversation_id: int, replies, intent: str | None = None,
                  confidence: float | None = None) -> list[dict]:
    """The part of :func:`_store_replies` the enterprise waits for: the turn's messages committed (one INSERT,
    service.post_turn); their wire form."""
    now = aware_now()
    if replies is None:
        drafts: list[dict] = [{"sender": "system", "text": BOT_DOWN, "mode": "bot"}]
    else:
        drafts = [{"sender": "bot", "text": reply.text, "buttons": reply.buttons, "custom": reply.custom, "mode": "bot",
                   "intent": intent[:100] if intent else None, "confidence": confidence} for reply in replies]
    with rt.session_factory() as session:
        stored = service.post_turn(conversation_id, drafts, session=session, now=now)
        session.commit()
    return [message_wire(m) for m in stored]


def _after_replies(rt: Runtime, conversation_id: int,
                   wires: list[dict]) -> tuple[list[int], bool, int, list[tuple[str, dict]]]:
    """The rest of :func:`_store_replies` once the turn is committed: the conversation's ``last_message_at`` moved on,
    and (bot message ids, handed off, the conversation's unit now, the events to publish)."""
    with rt.session_factory() as session:
        conversation = service.touch(conversation_id, session=session, now=aware_now())
        session.commit()
    out = [e for wire in wires for e in events.message_events(conversation, wire)]
    handed_off = any(w["custom"] and w["custom"].get("kind") == "handoff" and w["custom"].get("status") != "offline"
                     for w in wires)
    out += events.change_events(conversation) if handed_off else []
    return [w["id"] for w in wires if w["sender"] == "bot"], handed_off, conversation.unit_id, out
