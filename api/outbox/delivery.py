"""Putting notices into the enterprise's chat: as bot messages with a `petition_notice` envelope, when
the widget opens (a widget-open hook) or live when the outbox job tells connected widgets that one waits."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from api.core.runtime import Runtime
from api.core.time import aware_now
from api.hub import events
from api.hub import service as hub_service
from api.hub.identity import Identity
from api.hub.schemas import message_wire
from api.outbox import service
from api.outbox.models import EnterpriseNotice
from common import envelopes

__all__ = ["envelope", "deliver_notices", "push_event"]

PUSH_EVENT = "notices_pending"


def envelope(notice: EnterpriseNotice) -> dict[str, Any]:
    return envelopes.petition_notice(notice.id, notice.kind, notice.ticket, notice.repair_id)


def push_event(uscc: str) -> tuple[str, dict[str, Any]]:
    return events.who(f"e:{uscc}"), {"type": PUSH_EVENT}


def deliver_notices(rt: Runtime, identity: Identity, now: datetime | None = None) -> int:
    """Post this enterprise's waiting notices into its chat; how many were posted."""
    if not identity.uscc:
        return 0
    now = aware_now(now)
    out = []
    with rt.session_factory() as session:
        notices = service.claim_for_chat(identity.uscc, session=session, now=now)
        if not notices:
            return 0
        conversation = hub_service.current_conversation(identity, session=session, settings=rt.settings,
                                                        now=now)
        for notice in notices:
            message = hub_service.post(conversation, session=session, sender="bot", text=notice.text,
                                       custom=envelope(notice), now=now,
                                       mode="bot" if conversation.mode == "closed" else None)
            notice.message_id = message.id
            out += events.message_events(conversation, message_wire(message))
        session.commit()
    events.publish(rt.redis, out)
    return len(notices)
