"""Wire shapes of the hub (docs/hub.md): messages, the widget's conversation state, the console's
summaries, and the request bodies of the REST routes."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable, Literal, Optional

from pydantic import BaseModel

from api.hub.models import Attachment, Conversation, Message
from api.privacy.masking import Masker
from api.inputs import CleanStr, Id, bounded_int, clean_str

__all__ = ["BADGES", "SEAT_BADGES", "seat_name", "seat_label", "message_wire", "attachment_wire", "SessionRequest",
           "FeedbackRequest", "RatingRequest", "LeaveMessageRequest", "PresenceRequest", "SeatMessageRequest", "CardRequest",
           "NoteRequest", "TransferRequest", "SummaryRequest", "ReadRequest", "SeatPetitionRequest",
           "HandoffRequest", "iso", "attachment_url", "conversation_brief"]

BADGES = {"bot": "智能助手", "staff": "税务干部", "expert": "税务专家", "user": "", "system": ""}
SEAT_BADGES = {"staff": "税务干部", "expert": "税务专家"}
_ROLE_MARK = re.compile(r"\s*[（(]\s*(税务)?(专家|干部|坐席|工作人员)\s*[)）]\s*$")


def seat_name(display_name: str | None) -> str:
    """The person's name as the enterprise sees it: a role written into the account's name ("赵敏（专家）")
    is left out, since the badge already says it."""
    return _ROLE_MARK.sub("", display_name or "").strip() or (display_name or "")


def seat_label(role: str, display_name: str | None) -> str:
    """How a seat is named to the enterprise, once: "税务干部 王芳", "税务专家 赵敏" (only the bot is 智能助手)."""
    badge = SEAT_BADGES.get(role, "工作人员")
    name = seat_name(display_name)
    return f"{badge} {name}" if name else badge


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def attachment_wire(attachment: Attachment | None) -> dict | None:
    if attachment is None:
        return None
    return {"id": attachment.id, "filename": attachment.filename, "content_type": attachment.content_type,
            "size": attachment.size, "url": attachment_url(attachment)}


def attachment_url(attachment: Attachment) -> str:
    """A capability URL: the id and part of the content's hash, so <img src> works without a header and
    nobody reads a file by counting ids."""
    return f"/api/attachments/{attachment.id}/{attachment.sha256[:32]}"


def message_wire(message: Message, attachment: Attachment | None = None, masker: Masker | None = None,
                 names: Iterable[str | None] = ()) -> dict:
    """A message as the widget or a seat gets it; ``masker`` (a masked view, api.privacy.policy) masks its
    text, envelope and the enterprise's ``names``, and withholds an attachment's file (its URL is the key)."""
    masked = masker is not None and masker.enabled
    names = list(names)
    file = attachment_wire(attachment)
    if masked and file is not None:
        file = {**file, "filename": masker.text(file["filename"], names), "url": None}
    return {"id": message.id, "conversation_id": message.conversation_id, "client_id": message.client_id,
            "sender": message.sender,
            "sender_name": masker.text(message.sender_name, names) if masked else message.sender_name,
            "badge": BADGES.get(message.sender, ""),
            "text": masker.text(message.text, names) if masked else message.text, "buttons": message.buttons or [],
            "custom": masker.value(message.custom, names) if masked else message.custom,
            "attachment": file, "internal": bool(message.internal),
            "intent": message.intent, "confidence": message.confidence,
            "created_at": iso(message.created_at), "feedback": message.feedback}


def conversation_brief(conversation: Conversation, masker: Masker | None = None) -> dict:
    summary = masker.text(conversation.summary, [conversation.enterprise_name]) if masker else conversation.summary
    return {"id": conversation.id, "mode": conversation.mode, "created_at": iso(conversation.created_at),
            "closed_at": iso(conversation.closed_at), "summary": summary, "rating": conversation.rating,
            "petition_ticket": conversation.petition_ticket}


class SessionRequest(BaseModel):
    visitor_token: Optional[clean_str(max_length=2000)] = None
    enterprise_token: Optional[clean_str(max_length=4000)] = None


class FeedbackRequest(BaseModel):
    value: Literal["useful", "useless"]


class RatingRequest(BaseModel):
    score: bounded_int(1, 5)
    comment: Optional[clean_str(strip_whitespace=True, max_length=500)] = None


class LeaveMessageRequest(BaseModel):
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    content: clean_str(strip_whitespace=True, min_length=1, max_length=2000)
    client_id: Optional[clean_str(max_length=64)] = None  # the same id twice files one petition


class PresenceRequest(BaseModel):
    status: Literal["online", "busy", "away"]


class SeatMessageRequest(BaseModel):
    text: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    client_id: Optional[clean_str(max_length=64)] = None


class CardRequest(BaseModel):
    entry_id: clean_str(min_length=1, max_length=100)


class NoteRequest(BaseModel):
    note: Optional[clean_str(strip_whitespace=True, max_length=1000)] = None


class TransferRequest(BaseModel):
    staff_id: Id
    note: Optional[clean_str(strip_whitespace=True, max_length=1000)] = None


class SummaryRequest(BaseModel):
    summary: clean_str(strip_whitespace=True, min_length=1, max_length=2000)


class ReadRequest(BaseModel):
    message_id: Id


class SeatPetitionRequest(BaseModel):
    content: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    category: CleanStr
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    uscc: Optional[clean_str(strip_whitespace=True, max_length=40)] = None


class HandoffRequest(BaseModel):
    sender_id: clean_str(min_length=1, max_length=100)
    tier: Literal["staff", "expert"] = "staff"
    reason: clean_str(max_length=40) = "user_request"
    enterprise_grant: Optional[clean_str(max_length=4000)] = None  # unused: the conversation knows who it is
