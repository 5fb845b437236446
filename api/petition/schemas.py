"""Pydantic (v1) shapes of petitions: what registration accepts and what readers get.

Shape only (types, lengths); the rules with a reason a person can act on (USCC check digit,
contact phone, category, channel) are checked by ``service.register`` and raise ``Invalid``.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, List, Optional

from pydantic import BaseModel

from api.inputs import CleanStr, SafeDatetime, clean_str
from api.petition.constants import CATEGORIES, CHANNELS
from api.petition.timing import ClockState
from api.privacy.masking import Masker

__all__ = ["PetitionCreate", "ClockRead", "PetitionRead", "PetitionEventRead", "PetitionExtensionRead"]


class PetitionCreate(BaseModel):
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    uscc: Optional[clean_str(strip_whitespace=True, max_length=40)] = None
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    content: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    category: CleanStr
    channel: CleanStr
    received_at: Optional[SafeDatetime] = None  # default: now; an earlier receipt may be registered later
    idempotency_key: Optional[clean_str(strip_whitespace=True, min_length=1, max_length=100)] = None
    sender_id: Optional[clean_str(max_length=100)] = None
    answered_on_the_spot: bool = False  # 当场办理或答复: closed at once
    answer: Optional[clean_str(strip_whitespace=True, max_length=4000)] = None
    reconsideration: bool = False  # 行政复议诉求 (法律救济类 only)

    class Config:
        schema_extra = {"description": f"category: {'、'.join(CATEGORIES)}; channel: {'、'.join(CHANNELS)}"}


class ClockRead(BaseModel):
    due: Optional[date]
    state: ClockState
    days_left: Optional[int]


class PetitionRead(BaseModel):
    id: int
    ticket: str
    taxpayer_name: str
    uscc: Optional[str]
    contact_phone: str
    content: str
    category: str
    channel: str
    received_at: datetime
    accepting_unit_id: int
    accepting_staff_id: Optional[int]
    status: str
    service_unit_id: Optional[int]
    handling_unit_id: Optional[int]
    joint: bool
    long_term: bool
    reconsideration: bool
    resolution: Optional[str]
    satisfaction: Optional[int]  # recorded at the return visit
    enterprise_rating: Optional[int] = None  # the enterprise's own rating, from the widget
    enterprise_rating_note: Optional[str] = None
    extended_days: int
    handover_due: Optional[date]
    handling_due: Optional[date]
    feedback_due: Optional[date]
    handed_over_at: Optional[datetime]
    assigned_at: Optional[datetime]
    started_at: Optional[datetime]
    resolved_at: Optional[datetime]
    fed_back_at: Optional[datetime]
    visited_at: Optional[datetime]
    closed_at: Optional[datetime]
    clocks: dict[str, ClockRead] = {}  # handover, handling, feedback as seen on a given day
    overdue_tasks: List[str] = []  # co-departments (协办) whose own task is past its deadline

    @classmethod
    def from_petition(cls, petition: Any, today: date, masker: Masker | None = None) -> "PetitionRead":
        """The petition as a reader gets it; ``masker`` (api.privacy.policy decides which) masks the
        personal fields, none given: as stored."""
        values = {name: getattr(petition, name) for name in cls.__fields__ if name not in ("clocks", "overdue_tasks")}
        if masker is not None and masker.enabled:
            names = [petition.taxpayer_name]
            values.update(taxpayer_name=masker.name(petition.taxpayer_name), uscc=masker.uscc(petition.uscc),
                          contact_phone=masker.phone(petition.contact_phone),
                          content=masker.text(petition.content, names),
                          resolution=masker.text(petition.resolution, names))
        return cls(**values, clocks={name: ClockRead(**c) for name, c in petition.clocks(today).items()},
                   overdue_tasks=petition.overdue_tasks(today))


class PetitionEventRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    from_status: Optional[str]
    to_status: Optional[str]
    reason: Optional[str]
    data: Optional[dict]

    class Config:
        orm_mode = True


class PetitionExtensionRead(BaseModel):
    id: int
    days: int
    reason: str
    status: str
    requested_by: int
    requested_at: datetime
    approved_by: Optional[int]
    approved_at: Optional[datetime]
    decision_note: Optional[str]

    class Config:
        orm_mode = True
