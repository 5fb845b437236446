"""Request bodies, query enums and answers of conversation review."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional

from pydantic import BaseModel, Field

from api.analytics.models import OUTCOMES
from api.hub.schemas import Button
from api.inputs import CleanStr, clean_str

__all__ = ["Outcome", "TagChange", "MarkBody", "ConversationPage", "Transcript", "ConversationTags", "TagCounts",
           "MarkOut", "MarkPage", "AuditPage", "Person"]

Outcome = Enum("Outcome", {o: o for o in OUTCOMES}, type=str)


class TagChange(BaseModel):
    add: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)
    remove: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)



class MarkBody(BaseModel):
    correct_intent: Optional[CleanStr] = Field(None, max_length=100)
    correct_entry_id: Optional[CleanStr] = Field(None, max_length=100)
    correct_topic: Optional[CleanStr] = Field(None, max_length=100)
    note: Optional[CleanStr] = Field(None, max_length=2000)


# -- answers ------------------------------------------------------------------------------------------------

class ConversationItem(BaseModel):
    id: int
    day: Optional[str] = None
    created_at: Optional[str] = None
    last_message_at: Optional[str] = None
    channel: str
    unit_id: int
    enterprise_name: Optional[str] = None
    uscc: Optional[str] = None
    mode: str
    outcome: Optional[str] = None
    outcome_label: Optional[str] = None
    intents: list[str]
    topics: list[str]
    user_messages: Optional[int] = None
    bot_turns: Optional[int] = None
    fell_back: Optional[int] = None
    rating: Optional[int] = None
    had_human: bool
    petition_ticket: Optional[str] = None
    tags: list[str]
    first_question: Optional[str] = None


class ConversationPage(BaseModel):
    page: int
    page_size: int
    total: int
    total_capped: bool  # more than the count stops at
    has_more: bool
    masked: bool
    items: list[ConversationItem]


class Person(BaseModel):
    staff_id: int
    name: Optional[str] = None


class MarkOut(BaseModel):
    """A bot reply marked wrong, with what the reviewer says was right."""
    id: int
    message_id: int
    conversation_id: int
    text: Optional[str] = None
    user_text: Optional[str] = None
    kind: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    correct_intent: Optional[str] = None
    correct_entry_id: Optional[str] = None
    correct_topic: Optional[str] = None
    note: Optional[str] = None
    marked_by: Person
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    improvement_ids: list[int]


class MarkPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[MarkOut]


class TranscriptFile(BaseModel):
    filename: Optional[str] = None
    content_type: str
    size: int


class TranscriptMessage(BaseModel):
    id: int
    sender: str
    sender_name: Optional[str] = None
    text: Optional[str] = None
    created_at: Optional[str] = None
    mode: Optional[str] = None
    kind: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    envelope: Optional[dict[str, Any]] = None  # the reply envelope (docs/hub.md), masked as the text
    buttons: Optional[list[Button]] = None
    feedback: Optional[str] = None
    internal: bool
    attachment: Optional[TranscriptFile] = None
    mark: Optional[MarkOut] = None


class TranscriptConversation(ConversationItem):
    summary: Optional[str] = None
    rating_comment: Optional[str] = None
    seat: Optional[Person] = None
    queued_at: Optional[str] = None
    assigned_at: Optional[str] = None
    first_response_at: Optional[str] = None
    closed_at: Optional[str] = None
    reason: Optional[str] = None
    reason_label: Optional[str] = None
    tier: Optional[str] = None


class Transcript(BaseModel):
    masked: bool
    conversation: TranscriptConversation
    messages: list[TranscriptMessage]


class ConversationTags(BaseModel):
    conversation_id: int
    tags: list[str]


class TagCount(BaseModel):
    tag: str
    conversations: int


class TagCounts(BaseModel):
    tags: list[TagCount]


class AuditRow(BaseModel):
    id: int
    staff_id: int
    staff_name: Optional[str] = None
    action: str
    subject: str
    detail: Optional[dict[str, Any]] = None  # purpose, path and query of the unmasked view
    at: Optional[str] = None


class AuditPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[AuditRow]
