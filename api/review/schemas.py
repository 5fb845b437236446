"""Request bodies, query enums and answers of conversation review."""
from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from api.analytics.models import OUTCOMES
from api.hub.schemas import Button
from api.inputs import CleanStr, clean_str

__all__ = ["Outcome", "TagChange", "MarkBody", "ConversationPage", "Transcript", "ConversationTags", "TagCounts",
           "MarkOut", "MarkPage", "AuditPage", "Person"]

Outcome = Enum("Outcome", {o: o for o in OUTCOMES}, type=str)  # type: ignore[misc]  # members: OUTCOMES, read at run time


class TagChange(BaseModel):
    add: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)
    remove: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)



class MarkBody(BaseModel):
    correct_intent: CleanStr | None = Field(None, max_length=100)
    correct_entry_id: CleanStr | None = Field(None, max_length=100)
    correct_topic: CleanStr | None = Field(None, max_length=100)
    note: CleanStr | None = Field(None, max_length=2000)


# -- answers ------------------------------------------------------------------------------------------------

class ConversationItem(BaseModel):
    id: int
    day: str | None = None
    created_at: str | None = None
    last_message_at: str | None = None
    channel: str
    unit_id: int
    enterprise_name: str | None = None
    uscc: str | None = None
    mode: str
    outcome: str | None = None
    outcome_label: str | None = None
    intents: list[str]
    topics: list[str]
    user_messages: int | None = None
    bot_turns: int | None = None
    fell_back: int | None = None
    rating: int | None = None
    had_human: bool
    petition_ticket: str | None = None
    tags: list[str]
    first_question: str | None = None


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
    name: str | None = None


class MarkOut(BaseModel):
    """A bot reply marked wrong, with what the reviewer says was right."""
    id: int
    message_id: int
    conversation_id: int
    text: str | None = None
    user_text: str | None = None
    kind: str | None = None
    intent: str | None = None
    confidence: float | None = None
    correct_intent: str | None = None
    correct_entry_id: str | None = None
    correct_topic: str | None = None
    note: str | None = None
    marked_by: Person
    created_at: str | None = None
    updated_at: str | None = None
    improvement_ids: list[int]


class MarkPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[MarkOut]


class TranscriptFile(BaseModel):
    filename: str | None = None
    content_type: str
    size: int


class TranscriptMessage(BaseModel):
    id: int
    sender: str
    sender_name: str | None = None
    text: str | None = None
    created_at: str | None = None
    mode: str | None = None
    kind: str | None = None
    intent: str | None = None
    confidence: float | None = None
    envelope: dict[str, Any] | None = None  # the reply envelope (docs/hub.md), masked as the text
    buttons: list[Button] | None = None
    feedback: str | None = None
    internal: bool
    attachment: TranscriptFile | None = None
    mark: MarkOut | None = None


class TranscriptConversation(ConversationItem):
    summary: str | None = None
    rating_comment: str | None = None
    seat: Person | None = None
    queued_at: str | None = None
    assigned_at: str | None = None
    first_response_at: str | None = None
    closed_at: str | None = None
    reason: str | None = None
    reason_label: str | None = None
    tier: str | None = None


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
    staff_name: str | None = None
    action: str
    subject: str
    detail: dict[str, Any] | None = None  # purpose, path and query of the unmasked view
    at: str | None = None


class AuditPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[AuditRow]
