"""Request bodies, query enums and answers of bot improvement."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, Field

from api.improvement.models import IMPROVEMENT_STATUSES
from api.review.schemas import Person
from api.inputs import CleanStr, Id, clean_tree

__all__ = ["ImprovementStatus", "ImprovementBody", "RejectBody", "ImprovementOut", "ImprovementPage", "ImprovementOptions",
           "EntryChoice", "Attention"]

ImprovementStatus = Enum("ImprovementStatus", {s: s for s in IMPROVEMENT_STATUSES}, type=str)


class ImprovementBody(BaseModel):
    kind: CleanStr = Field(..., description="nlu_example、question_variant 或 new_entry")
    text: Optional[CleanStr] = Field(None, max_length=200)
    intent: Optional[CleanStr] = Field(None, max_length=100)
    entry_id: Optional[CleanStr] = Field(None, max_length=100)
    entry: Annotated[Optional[dict], AfterValidator(clean_tree)] = None
    source_message_id: Optional[Id] = None
    source_mark_id: Optional[Id] = None
    source_group: Optional[CleanStr] = Field(None, max_length=40)
    note: Optional[CleanStr] = Field(None, max_length=2000)


class RejectBody(BaseModel):
    note: Optional[CleanStr] = Field(None, max_length=2000)


# -- answers ------------------------------------------------------------------------------------------------

class ImprovementOut(BaseModel):
    id: int
    kind: str  # nlu_example, question_variant, new_entry
    status: str  # draft, approved, rejected
    payload: dict[str, Any]  # what the kind adds: the utterance and intent, the question and entry, or the entry
    source_message_id: Optional[int] = None
    source_mark_id: Optional[int] = None
    source_group: Optional[str] = None
    note: Optional[str] = None
    created_by: Optional[Person] = None
    created_at: Optional[str] = None
    approved_by: Optional[Person] = None
    approved_at: Optional[str] = None
    rejected_by: Optional[Person] = None
    rejected_at: Optional[str] = None
    decision_note: Optional[str] = None
    applied_file: Optional[str] = None
    applied_at: Optional[str] = None
    applied_model: Optional[str] = None  # the model trained with it, once the retrain job applied it
    apply_error: Optional[str] = None  # why the files refused it, when they did
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
    topic_title: Optional[str] = None
    questions: list[str]


class AttentionEntry(BaseModel):
    entry_id: str
    topic: str
    topic_title: Optional[str] = None
    title: str
    file: str
    valid_from: Optional[str] = None
    valid_until: Optional[str] = None
    review: bool
    reasons: list[str]  # expired, review


class Attention(BaseModel):
    today: str
    entries: list[AttentionEntry]
