"""Request and response bodies of the petition routes (staff console and the bot's internal routes).

Shapes only; the rules with a reason (category, phone, USCC, status) are checked by the services
and answer 422/409 with a Chinese message.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import List, Optional

from pydantic import BaseModel, StrictInt, conint, constr

from api.auth.grants import EnterpriseGrant

from api.petition.schemas import PetitionEventRead, PetitionExtensionRead, PetitionRead

__all__ = ["ClockFilter", "PetitionPage", "HandlerRead", "PetitionDetail", "HandOver", "Assign", "Transfer",
           "Resolve", "FeedBack", "ReturnVisit", "Close", "ExtensionRequest", "ExtensionDecision",
           "ExtensionReject", "BotPetitionCreate", "BotPetitionCreated", "StatusQuery", "StatusItem",
           "StatusAnswer"]

Text = constr(strip_whitespace=True, max_length=4000)


class ClockFilter(str, Enum):
    """Clock filters of the list: any clock overdue, or one of them."""

    overdue = "overdue"
    handover_overdue = "handover_overdue"
    handling_overdue = "handling_overdue"
    feedback_overdue = "feedback_overdue"


class PetitionPage(BaseModel):
    total: int
    page: int
    page_size: int
    items: List[PetitionRead]


class HandlerRead(BaseModel):
    unit_id: int
    unit_name: str
    lead: bool
    assigned_at: datetime


class PetitionDetail(BaseModel):
    petition: PetitionRead
    handlers: List[HandlerRead]
    events: List[PetitionEventRead]
    extensions: List[PetitionExtensionRead]


class HandOver(BaseModel):
    service_unit_id: int


class Assign(BaseModel):
    unit_ids: List[int] = []  # first = lead (主办); several = joint handling
    long_term: bool = False
    reason: Optional[Text] = None
    reconsideration: Optional[bool] = None


class Transfer(BaseModel):
    to_unit_id: int
    reason: Text


class Resolve(BaseModel):
    resolution: Text


class FeedBack(BaseModel):
    message: Optional[Text] = None


class ReturnVisit(BaseModel):
    satisfaction: StrictInt  # 1..5, checked by the service
    note: Optional[Text] = None


class Close(BaseModel):
    reason: Optional[Text] = None


class ExtensionRequest(BaseModel):
    days: conint(strict=True, ge=1)
    reason: Text


class ExtensionDecision(BaseModel):
    note: Optional[Text] = None


class ExtensionReject(BaseModel):
    note: Text


# -- the bot's internal routes -----------------------------------------------------------------

class BotPetitionCreate(EnterpriseGrant):
    """A logged-in enterprise's grant supplies its USCC when none was typed."""
    content: constr(strip_whitespace=True, min_length=1, max_length=4000)
    category: str
    taxpayer_name: constr(strip_whitespace=True, min_length=1, max_length=200)
    uscc: Optional[constr(strip_whitespace=True, max_length=40)] = None
    contact_phone: constr(strip_whitespace=True, min_length=1, max_length=40)
    idempotency_key: Optional[constr(strip_whitespace=True, min_length=1, max_length=100)] = None


class BotPetitionCreated(BaseModel):
    ticket: str
    category: str
    received_at: datetime
    due_date: Optional[date]  # handling due (YYYY-MM-DD, Asia/Shanghai); null when untimed
    status: str


class StatusQuery(EnterpriseGrant):
    ticket: Optional[constr(strip_whitespace=True, max_length=40)] = None
    contact_phone: Optional[constr(strip_whitespace=True, max_length=40)] = None
    text: Optional[str] = None  # the user's message, for the record; not used to find petitions
    sender_id: Optional[constr(strip_whitespace=True, max_length=200)] = None  # the asking conversation (throttle)


class StatusItem(BaseModel):
    ticket: str
    status: str
    status_label: str
    due_date: Optional[date]
    text: str


class StatusAnswer(BaseModel):
    petitions: List[StatusItem]
