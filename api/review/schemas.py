"""Request bodies and query enums of conversation review."""
from __future__ import annotations

from enum import Enum
from typing import Optional

from pydantic import BaseModel, Field

from api.analytics.models import OUTCOMES
from api.inputs import CleanStr, clean_str

__all__ = ["Outcome", "TagChange", "MarkBody"]

Outcome = Enum("Outcome", {o: o for o in OUTCOMES}, type=str)


class TagChange(BaseModel):
    add: list[clean_str(max_length=40)] = Field(default_factory=list, max_items=20)
    remove: list[clean_str(max_length=40)] = Field(default_factory=list, max_items=20)



class MarkBody(BaseModel):
    correct_intent: Optional[CleanStr] = Field(None, max_length=100)
    correct_entry_id: Optional[CleanStr] = Field(None, max_length=100)
    correct_topic: Optional[CleanStr] = Field(None, max_length=100)
    note: Optional[CleanStr] = Field(None, max_length=2000)
