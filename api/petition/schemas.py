"""Pydantic shapes of petitions: what registration accepts and what readers get.

Shape only (types, lengths); the rules with a reason a person can act on (USCC check digit,
contact phone, category, channel) are checked by ``service.register`` and raise ``Invalid``.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from api.inputs import CleanStr, SafeDatetime, clean_str
from api.petition.constants import CATEGORIES, CHANNELS
from api.petition.timing import ClockState
from api.privacy.masking import Masker

__all__ = ["PetitionCreate", "ClockRead", "PetitionRead", "PetitionEventRead", "PetitionExtensionRead",
           "OnTime", "Satisfaction", "ExtensionFigures", "Figures", "FiguresGroup", "Statistics", "DemandExample",
           "DemandTheme", "CommonDemands", "QueueCount", "Queues"]


class PetitionCreate(BaseModel):
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    uscc: clean_str(strip_whitespace=True, max_length=40) | None = None
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    content: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    category: CleanStr
    channel: CleanStr
    received_at: SafeDatetime | None = None  # default: now; an earlier receipt may be registered later
    idempotency_key: clean_str(strip_whitespace=True, min_length=1, max_length=100) | None = None
    sender_id: clean_str(max_length=100) | None = None
    answered_on_the_spot: bool = False  # 当场办理或答复: closed at once
    answer: clean_str(strip_whitespace=True, max_length=4000) | None = None
    reconsideration: bool = False  # 行政复议诉求 (法律救济类 only)

    model_config = ConfigDict(
        json_schema_extra={"description": f"category: {'、'.join(CATEGORIES)}; channel: {'、'.join(CHANNELS)}"})


class ClockRead(BaseModel):
    due: date | None = None
    state: ClockState
    days_left: int | None = None


class PetitionRead(BaseModel):
    id: int
    ticket: str
    taxpayer_name: str
    uscc: str | None = None
    contact_phone: str
    content: str
    category: str
    channel: str
    received_at: datetime
    accepting_unit_id: int
    accepting_staff_id: int | None = None
    status: str
    service_unit_id: int | None = None
    handling_unit_id: int | None = None
    joint: bool
    long_term: bool
    reconsideration: bool
    resolution: str | None = None
    satisfaction: int | None = None  # recorded at the return visit
    enterprise_rating: int | None = None  # the enterprise's own rating, from the widget
    enterprise_rating_note: str | None = None
    extended_days: int
    handover_due: date | None = None
    handling_due: date | None = None
    feedback_due: date | None = None
    handed_over_at: datetime | None = None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    resolved_at: datetime | None = None
    fed_back_at: datetime | None = None
    visited_at: datetime | None = None
    closed_at: datetime | None = None
    clocks: dict[str, ClockRead] = {}  # handover, handling, feedback as seen on a given day
    visit_clock: ClockRead | None = None  # 回访, once fed back: due VISIT_DAYS working days later; null if none owed
    overdue_tasks: list[str] = []  # co-departments (协办) whose own task is past its deadline

    @classmethod
    def from_petition(cls, petition: Any, today: date, masker: Masker | None = None) -> PetitionRead:
        """The petition as a reader gets it; ``masker`` (api.privacy.policy decides which) masks the
        personal fields, none given: as stored."""
        values = {name: getattr(petition, name) for name in cls.model_fields
                  if name not in ("clocks", "visit_clock", "overdue_tasks")}
        if masker is not None and masker.enabled:
            names = [petition.taxpayer_name]
            values.update(taxpayer_name=masker.name(petition.taxpayer_name), uscc=masker.uscc(petition.uscc),
                          contact_phone=masker.phone(petition.contact_phone),
                          content=masker.text(petition.content, names),
                          resolution=masker.text(petition.resolution, names))
        visit = petition.visit_clock(today)
        return cls(**values, clocks={name: ClockRead(**c) for name, c in petition.clocks(today).items()},
                   visit_clock=ClockRead(**visit) if visit else None, overdue_tasks=petition.overdue_tasks(today))


class PetitionEventRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    data: dict | None = None

    model_config = ConfigDict(from_attributes=True)


class PetitionExtensionRead(BaseModel):
    id: int
    days: int
    reason: str
    status: str
    requested_by: int
    requested_at: datetime
    approved_by: int | None = None
    approved_at: datetime | None = None
    decision_note: str | None = None

    model_config = ConfigDict(from_attributes=True)


# -- the reports' answers (api.petition.reports, api.petition.statistics) ---------------------------------------

class OnTime(BaseModel):
    met: int
    missed: int  # past due, done late or not done
    overdue: int  # not done and past due today
    rate: float | None = None  # met / (met + missed)


class Satisfaction(BaseModel):
    rated: int
    average: float | None = None
    distribution: dict[str, int]  # "1" … "5"


class ExtensionFigures(BaseModel):
    requested: int
    approved: int
    rejected: int
    pending: int
    approved_days: int
    avg_extra_days: float | None = None  # extra working days per approved extension


class VisitFigures(BaseModel):
    due: int  # fed back, visit owed (回访)
    done: int
    overdue: int  # owed past the visit period


class TaskFigures(BaseModel):
    total: int  # co-departments' tasks (协办)
    completed: int
    late: int  # completed after their own deadline
    overdue: int  # not completed and past it


class Figures(BaseModel):
    received: int
    handled: int
    fed_back: int
    on_time: dict[str, OnTime]  # handover, handling, feedback
    avg_handling_days: float | None = None
    handling_days_unknown: int
    visited: int
    awaiting_visit: int
    satisfaction: Satisfaction  # the return visit's (回访满意度)
    enterprise_rating: Satisfaction  # the enterprise's own rating, from the widget
    visits: VisitFigures
    extensions: ExtensionFigures
    tasks: TaskFigures


class FiguresGroup(Figures):
    key: int | str | None = None  # a category, a channel, a unit's id, a week's Monday or a month (2026-03)
    label: str


class Statistics(BaseModel):
    date_from: date
    date_to: date
    group_by: str
    as_of: date
    groups: list[FiguresGroup]
    total: Figures


class DemandExample(BaseModel):
    id: int
    ticket: str
    content: str


class DemandTheme(BaseModel):
    theme: str
    keywords: list[str]
    count: int
    examples: list[DemandExample]


class CommonDemands(BaseModel):
    date_from: date
    date_to: date
    texts: int  # petitions read
    themes: list[DemandTheme]


class QueueCount(BaseModel):
    name: str
    label: str
    count: int


class Queues(BaseModel):
    queues: list[QueueCount]
    clocks: list[QueueCount]  # overdue (any clock) and task_overdue (a co-department's task), within what one sees
    my_approvals: int | None = None  # extension requests waiting for the caller's decision; None: not an approver
