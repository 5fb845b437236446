"""The enterprise's picture for a seat (全场景信息): identity, petitions and past conversations.

Profile, credit and reminders come from the enterprise-data feature when it exists; sections a
deployment does not have are ``null`` so the console shows 暂无数据 rather than guessing.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.hub.models import Conversation
from api.hub.schemas import conversation_brief, iso
from api.petition.constants import STATUS_LABELS, Status
from api.petition.internal import promised_due
from api.petition.models import Petition

__all__ = ["picture", "PROVIDERS"]

PROVIDERS: dict[str, object] = {}
"""Extra sections by name (``profile``, ``credit``, ``reminders``): callables (uscc, session) → data."""


def picture(conversation: Conversation, *, session: Session) -> dict:
    uscc = conversation.uscc
    petitions = []
    if uscc:
        rows = session.execute(select(Petition).where(Petition.uscc == uscc)
                               .order_by(Petition.received_at.desc()).limit(20)).scalars().all()
        petitions = [{"ticket": p.ticket, "category": p.category, "status": p.status,
                      "status_label": STATUS_LABELS[Status(p.status)], "received_at": iso(p.received_at),
                      "due_date": str(due) if (due := promised_due(p)) else None, "content": p.content[:100]}
                     for p in rows]
    past = session.execute(select(Conversation).where(Conversation.identity == conversation.identity,
                                                      Conversation.id != conversation.id)
                           .order_by(Conversation.id.desc()).limit(10)).scalars().all()
    sections = {name: (provider(uscc, session) if uscc else None) for name, provider in PROVIDERS.items()}
    return {"enterprise": {"name": conversation.enterprise_name or "访客（未登录）", "uscc": uscc,
                           "logged_in": bool(uscc)},
            "profile": sections.get("profile"), "credit": sections.get("credit"),
            "reminders": sections.get("reminders"), "petitions": petitions,
            "conversations": [conversation_brief(c) for c in past]}
