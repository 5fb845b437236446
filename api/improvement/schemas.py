"""Request bodies, query enums and answers of bot improvement."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from api.improvement.models import IMPROVEMENT_STATUSES
from api.inputs import CleanStr, Id, clean_tree
from api.review.schemas import Person

__all__ = ["ImprovementStatus", "ImprovementBody", "RejectBody", "ImprovementOut", "ImprovementPage", "ImprovementOptions",
           "EntryChoice", "Attention"]

ImprovementStatus = Enum("ImprovementStatus", {s: s for s in IMPROVEMENT_STATUSES}, type=str)  # type: ignore[misc]  # members: IMPROVEMENT_STATUSES, read at run time


class ImprovementBody(BaseModel):
    kind: CleanStr = Field(..., description="nlu_example、question_variant 或 new_entry")
    text: CleanStr | None = Field(None, max_length=200)
    intent: CleanStr | None = Field(None, max_length=100)
    entry_id: CleanStr | None = Field(None, max_length=100)
    entry: Annotated[dict[str, Any] | None, AfterValidator(clean_tree)] = None
    source_message_id: Id | None = None
    source_mark_id: Id | None = None
    source_group: CleanStr | None = Field(None, max_length=40)
    note: CleanStr | None = Field(None, max_length=2000)


class RejectBody(BaseModel):
    note: CleanStr | None = Field(None, max_length=2000)


# -- answers ------------------------------------------------------------------------------------------------

class ImprovementOut(BaseModel):
    id: int
    kind: str  # nlu_example, question_variant, new_entry
    status: str  # draft, approved, rejected
    payload: dict[str, Any]  # what the kind adds: the utterance and intent, the question and entry, or the entry
    source_message_id: int | None = None
    source_mark_id: int | None = None
    source_group: str | None = None
    note: str | None = None
    created_by: Person | None = None
    created_at: str | None = None
    approved_by: Person | None = None
    approved_at: str | None = None
    rejected_by: Person | None = None
    rejected_at: str | None = None
    decision_note: str | None = None
    applied_file: str | None = None
    applied_at: str | None = None
    applied_model: str | None = None  # the model trained with it, once the retrain job applied it
    apply_error: str | None = None  # why the files refused it, when they did
    retrain: str  # the command that puts approved improvements into the bot


class ImprovementPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[ImprovementOut]


class TopicChoice(BaseModel):
    id: str
    title: str


class ImprovementOptions(BaseModel):
    intents: list[str]
    topics: list[TopicChoice]
    retrain: str


class EntryChoice(BaseModel):
    entry_id: str
    title: str
    topic: str
    topic_title: str | None = None
    questions: list[str]


class AttentionEntry(BaseModel):
    entry_id: str
    topic: str
    topic_title: str | None = None
    title: str
    file: str
    valid_from: str | None = None
    valid_until: str | None = None
    review: bool
    reasons: list[str]  # expired, review


class Attention(BaseModel):
    today: str
    entries: list[AttentionEntry]
