"""A stored message the bot never answered: asked again when the widget resends it — once, and never while the
first ask is still alive.

An instance that dies while Rasa answers (kill -9, a crash, a deploy) leaves the enterprise's message stored and
echoed but unanswered. The widget resends such a message with its ``client_id`` after reconnecting
(api/web/static/widget.js, ``awaiting``); :func:`handle_user_message <api.hub.widget.handle_user_message>` then
calls :func:`answer_again` instead of only echoing it.

Who is asking is a Redis key per message (``hub:answering:<message id>``, :func:`claim`), taken with SET NX and
renewed every ``TTL / 3`` seconds while the ask is alive, so a dead asker's key is gone within ``TTL`` seconds. The
first ask holds it too. A resend that finds it waits for that ask's answer (published to the widget like any
other) or for the key to vanish.

Asking again must not make Rasa process the message twice: when Rasa's tracker already holds this message as the
sender's latest and the turn that followed it (its bot events, then ``action_listen``), that turn is replayed as
the answer (:func:`replay_from_tracker`); otherwise the message is sent to Rasa again.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.core.rasa import BotReply, BotUnavailable, RasaClient, merge_envelopes
from api.core.runtime import Runtime
from api.core.scheduling import holder_token
from api.hub import dispatch
from api.hub.bot import understood
from api.hub.models import Conversation, Message

__all__ = ["TTL", "Claim", "claim", "release", "unanswered", "answer_again", "replay_from_tracker"]

log = logging.getLogger(__name__)

TTL = 6.0
"""Seconds a dead asker's claim outlives it."""
LIMIT = 60.0
"""The longest an ask keeps its claim alive (Rasa's timeout is 30 s): a stuck ask never blocks a resend for good."""
WAIT = LIMIT + TTL
"""How long a resend waits for a live ask to answer before it gives up; by then the claim is gone."""

Store = Callable[..., tuple[list[int], bool, int]]


def _key(message_id: int) -> str:
    return f"hub:answering:{message_id}"


@dataclass
class Claim:
    key: str
    token: str
    renewing: asyncio.Task[None]


async def claim(client: aioredis.Redis, message_id: int, limit: float = LIMIT) -> Claim | None:
    """This instance now asks the bot for ``message_id``: the claim is renewed every ``TTL / 3`` seconds until
    :func:`release` (or ``limit`` seconds, the longest an ask can take). None when another live ask holds it. A
    Redis that cannot be reached does not stop an ask: the claim is then only local."""
    key, token = _key(message_id), holder_token()
    try:
        if not await client.set(key, token, nx=True, ex=int(TTL)):
            return None
    except RedisError:
        log.warning("could not claim %s; asking anyway", key)

    owner = asyncio.current_task()  # an ask that failed (its task ended with an error) stops renewing

    async def renew() -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + limit
        while loop.time() < until and (owner is None or not owner.done()):
            await asyncio.sleep(TTL / 3)
            with contextlib.suppress(RedisError):
                await client.set(key, token, xx=True, ex=int(TTL))

    return Claim(key, token, asyncio.create_task(renew()))


async def release(client: aioredis.Redis, held: Claim | None) -> None:
    if held is None:
        return
    held.renewing.cancel()
    try:
        if await client.get(held.key) == held.token:
            await client.delete(held.key)
    except RedisError:
        pass


def unanswered(session: Any, message: Message, not_answers: tuple[str, ...] = ()) -> Conversation | None:
    """The conversation of ``message`` when the bot still owes it an answer: the conversation is with the bot and
    nothing followed it but the enterprise's own messages and system lines in ``not_answers`` (the hub's "bot
    unavailable")."""
    conversation = session.get(Conversation, message.conversation_id)
    if conversation is None or conversation.mode != "bot" or message.sender != "user":
        return None
    later = session.execute(select(Message.sender, Message.text).where(
        Message.conversation_id == message.conversation_id, Message.id > message.id, Message.sender != "user")
        .order_by(Message.id).limit(20)).all()
    if any(not (sender == "system" and text in not_answers) for sender, text in later):
        return None
    return conversation


async def replay_from_tracker(rasa: RasaClient, sender: str, text: str) -> list[BotReply] | None:
    """The bot's finished turn after ``text`` when that is the sender's latest message in Rasa's tracker, else None."""
    events = await rasa.events(sender)
    if not events:
        return None
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None or (events[last_user].get("text") or "") != text:
        return None
    after = events[last_user + 1:]
    finished = any(e.get("event") == "action" and e.get("name") == "action_listen" for e in after)
    if not finished:
        return None
    if not any(e.get("event") == "bot" for e in after):
        return None  # the turn failed (an action server down): it has to be asked again
    raw = []
    for event in after:
        if event.get("event") == "bot":
            data = event.get("data") or {}
            raw.append({"text": event.get("text"), "buttons": data.get("buttons"), "image": data.get("image"),
                        "attachment": data.get("attachment")})
            if isinstance(data.get("custom"), dict):
                raw.append({"custom": data["custom"]})
    return merge_envelopes(raw)


def _owed(rt: Runtime, message_id: int, not_answers: tuple[str, ...]) -> tuple[int, str] | None:
    with rt.session_factory() as session:
        message = session.get(Message, message_id)
        conversation = unanswered(session, message, not_answers) if message is not None else None
        return (conversation.id, conversation.rasa_sender) if conversation is not None else None


async def answer_again(rt: Runtime, message_id: int, text: str, metadata: dict[str, Any], store: Store,
                       not_answers: tuple[str, ...] = ()) -> bool:
    """A resent message the bot still owes an answer (``not_answers``: see :func:`unanswered`): once this instance
    holds its claim, the answer is replayed from Rasa's tracker or asked for again and stored with ``store``
    (api.hub.widget._store_replies); while another live ask holds the claim, wait up to ``WAIT`` seconds for it.
    When Rasa still does not answer, nothing is stored (the chat already says so; the widget resends later).
    True when this call answered."""
    client = rt.hub.redis
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        owed = await run_in_threadpool(_owed, rt, message_id, not_answers)
        if owed is None:
            return False
        held = await claim(client, message_id)
        if held is not None:
            try:
                owed = await run_in_threadpool(_owed, rt, message_id, not_answers)  # answered meanwhile?
                if owed is None:
                    return False
                conversation_id, sender = owed
                replies = await replay_from_tracker(rt.rasa, sender, text)
                if replies is None:
                    try:
                        replies = await rt.rasa.send(sender, text, metadata)
                    except BotUnavailable:
                        return False
                    if not replies:  # Rasa said nothing (its action server is down): the widget asks later
                        return False
                intent, confidence = understood(replies or [])
                _, handed_off, unit_id = await run_in_threadpool(store, rt, conversation_id, replies, intent,
                                                                 confidence)
                log.info("message %s answered again after its first answer was lost", message_id)
            finally:
                await release(client, held)
            if handed_off:
                await run_in_threadpool(dispatch.run_assignment, rt.session_factory, rt.redis, rt.settings, unit_id)
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.5)
