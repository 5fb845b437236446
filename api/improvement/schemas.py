"""Request bodies and query enums of bot improvement."""
from __future__ import annotations

from enum import Enum
from typing import Optional

from pydantic import BaseModel, Field, validator

from api.improvement.models import IMPROVEMENT_STATUSES
from api.inputs import CleanStr, Id, clean_tree

__all__ = ["ImprovementStatus", "ImprovementBody", "RejectBody"]

ImprovementStatus = Enum("ImprovementStatus", {s: s for s in IMPROVEMENT_STATUSES}, type=str)


class ImprovementBody(BaseModel):
    kind: CleanStr = Field(..., description="nlu_example、question_variant 或 new_entry")
    text: Optional[CleanStr] = Field(None, max_length=200)
    intent: Optional[CleanStr] = Field(None, max_length=100)
    entry_id: Optional[CleanStr] = Field(None, max_length=100)
    entry: Optional[dict] = None
    source_message_id: Optional[Id] = None
    source_mark_id: Optional[Id] = None
    source_group: Optional[CleanStr] = Field(None, max_length=40)
    note: Optional[CleanStr] = Field(None, max_length=2000)

    _clean_entry = validator("entry", allow_reuse=True)(clean_tree)


class RejectBody(BaseModel):
    note: Optional[CleanStr] = Field(None, max_length=2000)
