"""The enterprise's picture for a seat (全场景信息): key facts first in Chinese (api.enterprise.summary), the
profile grouped under Chinese titles (``details``), then identity, petitions and past conversations.

Profile, credit and reminders come from the enterprise-data feature when it exists; sections a
deployment does not have are ``null`` so the console shows 暂无数据 rather than guessing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.enterprise import summary
from api.hub.models import Conversation
from api.hub.schemas import conversation_brief, iso
from api.petition.constants import STATUS_LABELS, Status
from api.petition.internal import promised_due
from api.petition.models import Petition
from api.privacy.masking import Masker

__all__ = ["picture", "PROVIDERS"]

PROVIDERS: dict[str, Callable[[str, Session], Any]] = {}
"""Extra sections by name (``profile``, ``credit``, ``reminders``): callables (uscc, session) → data."""


def picture(conversation: Conversation, *, session: Session, masker: Masker | None = None) -> dict:
    """The picture; ``masker`` (the seat's view, api.privacy.policy) masks the enterprise's name and USCC, the
    demands and summaries, and the name and USCC in the profile section."""
    masker = masker or Masker(False)
    uscc = conversation.uscc
    names = [conversation.enterprise_name]
    petitions = []
    if uscc:
        rows = session.execute(select(Petition).where(Petition.uscc == uscc)
                               .order_by(Petition.received_at.desc()).limit(20)).scalars().all()
        petitions = [{"ticket": p.ticket, "category": p.category, "status": p.status,
                      "status_label": STATUS_LABELS[Status(p.status)], "received_at": iso(p.received_at),
                      "due_date": str(due) if (due := promised_due(p)) else None,
                      "content": masker.text(p.content[:100], [*names, p.taxpayer_name])}
                     for p in rows]
    past = session.execute(select(Conversation).where(Conversation.identity == conversation.identity,
                                                      Conversation.id != conversation.id)
                           .order_by(Conversation.id.desc()).limit(10)).scalars().all()
    sections = {name: (provider(uscc, session) if uscc else None) for name, provider in PROVIDERS.items()}
    profile = sections.get("profile")
    if profile and masker.enabled:
        profile = {**profile, "name": masker.name(profile.get("name")), "uscc": masker.uscc(profile.get("uscc"))}
    return {"key_facts": summary.key_facts(uscc, conversation.enterprise_name, session=session, masker=masker),
            "details": summary.details_for(uscc, session=session),
            "enterprise": {"name": masker.name(conversation.enterprise_name) or "访客（未登录）",
                           "uscc": masker.uscc(uscc), "logged_in": bool(uscc)},
            "profile": profile, "credit": sections.get("credit"),
            "reminders": sections.get("reminders"), "petitions": petitions,
            "conversations": [conversation_brief(c, masker) for c in past]}
