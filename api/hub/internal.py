"""/api/internal/handoffs: the action server asks for a person (``ServiceCaller`` only).

The conversation is found by its Rasa sender id and goes to the unit that serves its enterprise (属地,
api.hub.service.route). The hub sends the first message of a new conversation to Rasa while it stores the
conversation (api.hub.widget.handle_user_message), so a first 转人工 may ask before that is committed: a sender id the
hub marked as being opened (:func:`opening_key`, in Redis) but not found yet is looked for again for up to
``SENDER_WAIT`` seconds (under the action server's 5 s API timeout; a busy database holds the store that long at
most) before the answer is 404. Any other unknown sender id (Rasa's REST channel used directly) is 404 at once. Outside service hours, or when no seat of the tier serving that unit is present, the
answer is ``offline`` and nothing changes (the widget offers to leave a message): an enterprise is told
nobody is online when nobody of its own unit is, whoever is online elsewhere.
Otherwise the conversation joins its unit's queue for that tier; the hub assigns it once the bot's
handoff line has been relayed, so the enterprise reads 正在为您转接 before 已接入. The answer carries the
line to say (``notice``: place, an honest wait, the offer to leave a message when the wait is long) and
``leave_message`` for the envelope, so the bot and the hub word a wait the same way (api.hub.notices).
"""
from __future__ import annotations

import time

from fastapi import APIRouter

from api.auth.deps import ServiceCaller
from api.core.database import SessionDep
from api.core.errors import NotFound
from api.core.runtime import RuntimeDep
from api.core.time import aware_now
from api.hub import dispatch, events, notices, service
from api.hub.schemas import HandoffAnswer, HandoffRequest

__all__ = ["router", "SENDER_WAIT", "opening_key"]

router = APIRouter(prefix="/api/internal/handoffs", tags=["internal"])

SENDER_WAIT = 4.0
"""Seconds a handoff waits for a conversation whose first message is still being stored."""
OPENING_TTL = 30
"""Seconds the mark of a sender id being opened lasts (far longer than any store)."""


def opening_key(sender_id: str) -> str:
    """The Redis key the hub sets (for ``OPENING_TTL`` seconds) before it sends the first message of a conversation
    not yet committed to Rasa under ``sender_id``."""
    return f"hub:opening:{sender_id}"


@router.post("", response_model=HandoffAnswer, summary="智能助手请求转人工或专家")
def request_handoff(body: HandoffRequest, caller: ServiceCaller, session: SessionDep,
                    rt: RuntimeDep) -> dict:
    client, settings = rt.redis, rt.settings
    conversation = service.conversation_for_sender(body.sender_id, session=session)
    deadline = time.monotonic() + SENDER_WAIT
    opening = conversation is None and bool(client.exists(opening_key(body.sender_id)))
    while opening and conversation is None and time.monotonic() < deadline:  # its first message may still be being stored
        session.rollback()  # a new snapshot for the next look (SQLite keeps one per read transaction)
        time.sleep(0.05)
        conversation = service.conversation_for_sender(body.sender_id, session=session)
    now = aware_now()
    if conversation is None:
        raise NotFound("该会话不经过会话中心，无法转接人工", code="conversation_not_found")
    service.route(conversation, session=session, settings=settings)
    present = dispatch.tier_present(client, conversation.unit_id, body.tier)
    if not dispatch.is_open(settings, now) or not present:
        reason = "outside_hours" if not dispatch.is_open(settings, now) else "no_seat_online"
        return {"status": "offline", "reason": reason, "position": None, "expected_wait_seconds": None,
                "conversation_id": conversation.id}
    service.request_person(conversation, session=session, tier=body.tier, reason=body.reason, now=now)
    session.commit()
    events.publish(client, events.change_events(conversation))
    waits = dispatch.waiting_of(conversation, session=session, client=client, settings=settings)
    return {"status": "queued", "position": waits.position if waits else None,
            "expected_wait_seconds": waits.wait_seconds if waits else None,
            "seats_online": waits.seats_online if waits else present,
            "leave_message": bool(waits and waits.leave_message),
            "notice": notices.queued_text(waits) if waits else None, "conversation_id": conversation.id}
