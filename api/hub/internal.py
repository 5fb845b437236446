"""/api/internal/handoffs: the action server asks for a person (``ServiceCaller`` only).

The conversation is found by its Rasa sender id. Outside service hours, or when no seat of the tier
is present, the answer is ``offline`` and nothing changes (the widget offers to leave a message).
Otherwise the conversation joins its unit's queue for that tier; the hub assigns it once the bot's
handoff line has been relayed, so the enterprise reads 正在为您转接 before 已接入.
"""
from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth.deps import ServiceCaller
from api.database import SessionDep
from api.errors import NotFound
from api.hub import dispatch, events, routing, service
from api.hub.schemas import HandoffRequest
from api.petition.timing import aware_now

__all__ = ["router"]

router = APIRouter(prefix="/api/internal/handoffs", tags=["internal"])


@router.post("", summary="智能助手请求转人工或专家")
def request_handoff(body: HandoffRequest, caller: ServiceCaller, session: SessionDep, request: Request) -> dict:
    client, settings, now = request.app.state.redis, request.app.state.settings, aware_now()
    conversation = service.conversation_for_sender(body.sender_id, session=session)
    if conversation is None:
        raise NotFound("该会话不经过会话中心，无法转接人工", code="conversation_not_found")
    present = dispatch.tier_present(client, conversation.unit_id, body.tier)
    if not dispatch.is_open(settings, now) or not present:
        reason = "outside_hours" if not dispatch.is_open(settings, now) else "no_seat_online"
        return {"status": "offline", "reason": reason, "position": None, "expected_wait_seconds": None,
                "conversation_id": conversation.id}
    service.request_person(conversation, session=session, tier=body.tier, reason=body.reason, now=now)
    session.commit()
    events.publish(client, events.change_events(conversation))
    position = routing.queue_position(conversation, session=session)
    wait = routing.expected_wait_seconds(position, present, service.handle_seconds(conversation.unit_id,
                                                                                  session=session))
    return {"status": "queued", "position": position, "expected_wait_seconds": wait,
            "conversation_id": conversation.id}
