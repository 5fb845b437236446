"""Request and response bodies of the petition routes (staff console and the bot's internal routes).

Shapes only; the rules with a reason (category, phone, USCC, status) are checked by the services
and answer 422/409 with a Chinese message.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from pydantic import BaseModel

from api.auth.grants import EnterpriseGrant
from api.inputs import CleanStr, Id, bounded_int, clean_str
from api.petition.schemas import ClockRead, PetitionEventRead, PetitionExtensionRead, PetitionRead

__all__ = ["ClockFilter", "PetitionPage", "HandlerRead", "PetitionDetail", "PendingExtension", "HandOver", "Assign",
           "CoHandlerAdd", "TaskComplete", "TaskDays", "TaskDeadline", "Transfer", "Resolve", "FeedBack", "ReturnVisit",
           "Close",
           "ExtensionRequest", "ExtensionDecision",
           "ExtensionReject", "BotPetitionCreate", "BotPetitionCreated", "StatusQuery", "StatusItem",
           "StatusAnswer"]

Text = clean_str(strip_whitespace=True, max_length=4000)


class ClockFilter(str, Enum):
    """Clock filters of the list: any clock overdue, or one of them."""

    overdue = "overdue"
    handover_overdue = "handover_overdue"
    handling_overdue = "handling_overdue"
    feedback_overdue = "feedback_overdue"
    task_overdue = "task_overdue"  # a co-department's task past its own deadline (联合办理)


class PetitionPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: list[PetitionRead]
    may_register: bool = False  # the caller's role may register petitions (受理登记)


class HandlerRead(BaseModel):
    """A handling department and its task (联合办理: one per department; ``lead`` = 主办, else 协办)."""
    unit_id: int
    unit_name: str
    unit_kind: str  # outside_department = 税务系统外部门
    lead: bool
    assigned_at: datetime
    completed: bool
    answer: str | None = None  # the department's part (the lead's is the resolution)
    completed_at: datetime | None = None
    completed_by: int | None = None
    due: date | None = None  # the task's deadline (the lead's: the handling deadline)
    due_days: int | None = None  # working days the lead set; null: the petition's handling deadline
    clock: ClockRead | None = None  # the task's clock as seen today


class PetitionDetail(BaseModel):
    petition: PetitionRead
    handlers: list[HandlerRead]
    events: list[PetitionEventRead]
    extensions: list[PetitionExtensionRead]
    actor_names: dict[str, str] = {}  # the ledger's actors (staff ids, "bot", "system") and extension people by name
    actions: list[str] = []  # the steps the caller may take now (api.petition.available)


class PendingExtension(BaseModel):
    """An extension request waiting for the caller's decision, with its petition."""
    extension: PetitionExtensionRead
    petition: PetitionRead
    requested_by_name: str


class HandOver(BaseModel):
    service_unit_id: Id


class TaskDays(BaseModel):
    """A co-department's own deadline: ``days`` working days from its assignment (≤ the handling deadline)."""
    unit_id: Id
    days: bounded_int(-2**31, 2**31, strict=True)  # positive, checked by the service


class Assign(BaseModel):
    unit_ids: list[Id] = []  # first = lead (主办); several = joint handling
    long_term: bool = False
    reason: Text | None = None
    reconsideration: bool | None = None
    task_days: list[TaskDays] = []  # co-departments given an earlier deadline than the handling deadline


class CoHandlerAdd(BaseModel):
    unit_id: Id
    reason: Text
    days: bounded_int(-2 ** 31, 2 ** 31, strict=True) | None = None  # its own deadline in working days


class TaskDeadline(BaseModel):
    days: bounded_int(-2 ** 31, 2 ** 31, strict=True) | None = None  # null: back to the handling deadline
    reason: Text | None = None


class TaskComplete(BaseModel):
    answer: Text


class Transfer(BaseModel):
    to_unit_id: Id
    reason: Text


class Resolve(BaseModel):
    resolution: Text


class FeedBack(BaseModel):
    message: Text | None = None


class ReturnVisit(BaseModel):
    satisfaction: bounded_int(-2**31, 2**31, strict=True)  # 1..5, checked by the service
    note: Text | None = None


class Close(BaseModel):
    reason: Text | None = None


class ExtensionRequest(BaseModel):
    days: bounded_int(1, 2**31, strict=True)
    reason: Text


class ExtensionDecision(BaseModel):
    note: Text | None = None


class ExtensionReject(BaseModel):
    note: Text


# -- the bot's internal routes -----------------------------------------------------------------

class BotPetitionCreate(EnterpriseGrant):
    """A logged-in enterprise's grant supplies its USCC when none was typed."""
    content: clean_str(strip_whitespace=True, min_length=1, max_length=4000)
    category: CleanStr
    taxpayer_name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    uscc: clean_str(strip_whitespace=True, max_length=40) | None = None
    contact_phone: clean_str(strip_whitespace=True, min_length=1, max_length=40)
    idempotency_key: clean_str(strip_whitespace=True, min_length=1, max_length=100) | None = None


class BotPetitionCreated(BaseModel):
    ticket: str
    category: CleanStr
    received_at: datetime
    due_date: date | None = None  # handling due (YYYY-MM-DD, Asia/Shanghai); null when untimed
    status: str


class StatusQuery(EnterpriseGrant):
    ticket: clean_str(strip_whitespace=True, max_length=40) | None = None
    contact_phone: clean_str(strip_whitespace=True, max_length=40) | None = None
    text: CleanStr | None = None  # the user's message, for the record; not used to find petitions


class StatusItem(BaseModel):
    ticket: str
    status: str
    status_label: str
    due_date: date | None = None
    text: str


class StatusAnswer(BaseModel):
    petitions: list[StatusItem]
