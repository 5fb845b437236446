"""Wire shapes of the hub (docs/hub.md): messages, the widget's conversation state, the console's
summaries, and the request bodies of the REST routes."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from api.enterprise.schemas import DetailGroup, KeyFact
from api.hub.models import Attachment, Conversation, Message
from api.inputs import CleanStr, Id, bounded_int, clean_str
from api.privacy.masking import Masker

__all__ = ["BADGES", "SEAT_BADGES", "seat_name", "seat_label", "message_wire", "attachment_wire", "SessionRequest",
           "FeedbackRequest", "RatingRequest", "LeaveMessageRequest", "PresenceRequest", "SeatMessageRequest", "CardRequest",
           "NoteRequest", "TransferRequest", "SummaryRequest", "ReadRequest", "SeatPetitionRequest",
           "HandoffRequest", "iso", "attachment_url", "conversation_brief",
           "Button", "AttachmentOut", "MessageOut", "SeatInfo", "SeatMe", "PresenceSet", "BoardSeat", "TierBoard",
           "SeatBoard", "LastMessage", "SeatConversation", "Colleague", "SeatConversationDetail", "Source",
           "KnowledgeHit", "Picture", "PetitionDraft", "PetitionFiled", "UnreadCount", "WidgetSession",
           "WidgetConversation", "WidgetMessages", "HandoffAnswer", "Suggestion", "Welcome"]

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
    masker = masker or Masker(False)
    masked = masker.enabled
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
    visitor_token: clean_str(max_length=2000) | None = None
    enterprise_token: clean_str(max_length=4000) | None = None


class FeedbackRequest(BaseModel):
    value: Literal["useful", "useless"]


class RatingRequest(BaseModel):
    score: bounded_int(1, 5)
    comment: clean_str(strip_whitespace=True, max_length=500) | None = None


class LeaveMessageRequest(BaseModel):
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    content: clean_str(strip_whitespace=True, min_length=1, max_length=2000)
    client_id: clean_str(max_length=64) | None = None  # the same id twice files one petition


class PresenceRequest(BaseModel):
    status: Literal["online", "busy", "away"]


class SeatMessageRequest(BaseModel):
    text: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    client_id: clean_str(max_length=64) | None = None


class CardRequest(BaseModel):
    entry_id: clean_str(min_length=1, max_length=100)


class NoteRequest(BaseModel):
    note: clean_str(strip_whitespace=True, max_length=1000) | None = None


class TransferRequest(BaseModel):
    staff_id: Id
    note: clean_str(strip_whitespace=True, max_length=1000) | None = None


class SummaryRequest(BaseModel):
    summary: clean_str(strip_whitespace=True, min_length=1, max_length=2000)


class ReadRequest(BaseModel):
    message_id: Id


class SeatPetitionRequest(BaseModel):
    content: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    category: CleanStr
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    uscc: clean_str(strip_whitespace=True, max_length=40) | None = None


class HandoffRequest(BaseModel):
    sender_id: clean_str(min_length=1, max_length=100)
    tier: Literal["staff", "expert"] = "staff"
    reason: clean_str(max_length=40) = "user_request"
    enterprise_grant: clean_str(max_length=4000) | None = None  # unused: the conversation knows who it is


# -- answers of the REST routes (response models) --------------------------------------------------------
# The dicts built above are what the routes return; these models declare their shape for the OpenAPI schema
# and filter each answer to it. Times are the ISO text ``iso()`` makes.

class Button(BaseModel):
    title: str
    payload: str | None = None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str | None = None  # null in a masked view: the URL is the key to the file


class MessageOut(BaseModel):
    """A message of a conversation (``message_wire``)."""
    id: int
    conversation_id: int
    client_id: str | None = None
    sender: str  # user, bot, staff, expert, system
    sender_name: str | None = None
    badge: str
    text: str | None = None
    buttons: list[Button] = []
    custom: dict[str, Any] | None = None  # the bot's reply envelope (docs/hub.md), or a knowledge card
    attachment: AttachmentOut | None = None
    internal: bool
    intent: str | None = None
    confidence: float | None = None
    created_at: str | None = None
    feedback: str | None = None


class SeatInfo(BaseModel):
    id: int
    name: str
    role: str
    badge: str
    label: str  # 税务干部 王芳


class SeatMe(SeatInfo):
    unit_id: int
    unit_name: str
    status: str  # online, busy, away, leaving, offline
    status_label: str
    consoles: int  # open consoles of the seat
    skills: list[str]


class PresenceSet(BaseModel):
    status: str


class BoardSeat(BaseModel):
    id: int
    name: str
    label: str
    status: str
    status_label: str
    state: str  # available, busy, away, leaving
    load: int
    cap: int


class TierBoard(BaseModel):
    label: str
    online: int
    available: int
    busy: int
    away: int
    waiting: int
    seats: list[BoardSeat]


class SeatBoard(BaseModel):
    unit_id: int
    unit_name: str | None = None
    tiers: dict[str, TierBoard]  # staff, expert


class LastMessage(BaseModel):
    text: str
    created_at: str | None = None


class SeatConversation(BaseModel):
    """A conversation's line in a seat's lists (``dispatch.seat_summary``), masked unless the seat holds it."""
    id: int
    mode: str
    unit_id: int | None = None  # the unit it belongs to (属地)
    unit_name: str | None = None
    tier: str | None = None
    enterprise_name: str | None = None
    uscc: str | None = None
    visitor: str | None = None
    skill: str | None = None
    reason: str | None = None
    reason_label: str | None = None
    queued_at: str | None = None
    waiting_seconds: int | None = None
    assigned_staff_id: int | None = None
    assigned_name: str | None = None
    unread: int
    last_message: LastMessage | None = None
    created_at: str | None = None
    petition_ticket: str | None = None
    rating: int | None = None


class Colleague(SeatInfo):
    status: str
    load: int


class SeatConversationDetail(BaseModel):
    conversation: SeatConversation
    messages: list[MessageOut]


class Source(BaseModel):
    title: str
    doc_no: str | None = None


class KnowledgeHit(BaseModel):
    entry_id: str
    topic: str
    title: str
    snippet: str
    sources: list[Source]
    valid_until: str | None = None
    current: bool
    score: float


class PictureEnterprise(BaseModel):
    name: str
    uscc: str | None = None
    logged_in: bool


class PictureSource(BaseModel):
    label: str
    synced_at: str | None = None
    field_label: str


class PictureProfile(BaseModel):
    name: str | None = None
    uscc: str | None = None
    taxpayer_type: str
    kind: str
    industry: str
    region: str
    employees: int
    total_assets_wan: str
    annual_sales_wan: str
    taxable_income_wan: str
    registration_date: str
    overdue_filings: int
    sources: dict[str, PictureSource]


class PictureDeduction(BaseModel):
    id: int
    reason_code: str
    reason: str
    points: int
    date: str
    repairable: bool
    corrected: bool
    corrected_on: str | None = None


class PictureCredit(BaseModel):
    level: str
    year: int
    score: int | None = None
    text: str
    deductions: list[PictureDeduction]


class PictureReminder(BaseModel):
    id: int
    type: str
    title: str
    status: str
    answer: str | None = None  # the answer's Chinese label
    created_at: str


class PicturePetition(BaseModel):
    ticket: str
    category: str
    status: str
    status_label: str
    received_at: str | None = None
    due_date: str | None = None
    content: str


class ConversationBrief(BaseModel):
    id: int
    mode: str
    created_at: str | None = None
    closed_at: str | None = None
    summary: str | None = None
    rating: int | None = None
    petition_ticket: str | None = None


class Picture(BaseModel):
    """The enterprise's picture for a seat (api.hub.picture); sections a deployment lacks are null."""
    key_facts: list[KeyFact]
    details: list[DetailGroup] | None = None
    enterprise: PictureEnterprise
    profile: PictureProfile | None = None
    credit: PictureCredit | None = None
    reminders: list[PictureReminder] | None = None
    petitions: list[PicturePetition]
    conversations: list[ConversationBrief]


class PetitionDraft(BaseModel):
    content: str
    category: str
    taxpayer_name: str
    uscc: str
    contact_phone: str
    transcript: str


class PetitionFiled(BaseModel):
    """A petition registered from a conversation (by its seat, or a message left in the widget)."""
    ticket: str
    category: str
    due_date: str | None = None


class UnreadCount(BaseModel):
    unread: int


class WidgetIdentityOut(BaseModel):
    kind: str  # enterprise or visitor
    name: str
    uscc: str | None = None


class WidgetSession(BaseModel):
    visitor_token: str
    identity: WidgetIdentityOut


class WidgetConversation(BaseModel):
    """The widget's view of its conversation (``dispatch.widget_state``)."""
    id: int
    mode: str
    tier: str | None = None
    position: int | None = None
    expected_wait_seconds: int | None = None
    seats_online: int | None = None
    offer_leave_message: bool
    seat: SeatInfo | None = None
    service_open: bool
    service_hours: str
    can_rate: bool
    rating: int | None = None


class WidgetMessages(BaseModel):
    messages: list[MessageOut]
    conversation: WidgetConversation | None = None


class HandoffAnswer(BaseModel):
    """What the action server is told: ``offline`` (with the reason) or ``queued`` (place, wait, the line to say)."""
    status: Literal["offline", "queued"]
    reason: str | None = None  # offline: outside_hours or no_seat_online
    position: int | None = None
    expected_wait_seconds: int | None = None
    seats_online: int | None = None
    leave_message: bool = False
    notice: str | None = None
    conversation_id: int


class Suggestion(BaseModel):
    topic: str
    entry: str  # the knowledge entry's id
    title: str
    question: str


class Welcome(BaseModel):
    suggestions: list[Suggestion]
