"""Wire shapes of reminders, campaigns and repair applications, and the request bodies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel

from api.auth.grants import EnterpriseGrant

from api.hub.schemas import Button, iso
from api.inputs import Id, SafeDatetime, clean_str
from api.reminder.models import Campaign, Reminder, RepairApplication
from api.reminder.service import ANSWER_LABELS, buttons_for

__all__ = ["reminder_wire", "campaign_wire", "repair_wire", "CampaignCreate", "CampaignSchedule", "AnswerRequest",
           "RepairDecision",
           "RuleOut", "CampaignOut", "Funnel", "CampaignDetail", "Rechecked", "CampaignPreview", "RepairOut",
           "RepairRow", "RepairDetail", "ReminderOut", "OwnReminders", "OpenReminder", "OpenReminders",
           "AnswerResult"]


def reminder_wire(reminder: Reminder) -> dict:
    return {"id": reminder.id, "type": reminder.type, "rule": reminder.rule_id, "topic": reminder.topic,
            "title": reminder.title, "message": reminder.message, "reasons": reminder.reasons or [],
            "status": reminder.status, "answer": reminder.answer,
            "answer_label": ANSWER_LABELS.get(reminder.answer or "", None), "created_at": iso(reminder.created_at),
            "delivered_at": iso(reminder.delivered_at), "read_at": iso(reminder.read_at),
            "answered_at": iso(reminder.answered_at), "message_id": reminder.message_id,
            # the answers it still takes (as its chat card offers them); none once settled
            "buttons": [] if reminder.status in ("closed", "expired") else buttons_for(reminder)}


def campaign_wire(campaign: Campaign) -> dict:
    return {"id": campaign.id, "name": campaign.name, "rule_id": campaign.rule_id, "status": campaign.status,
            "repeat": campaign.repeat, "scheduled_at": iso(campaign.scheduled_at), "created_at": iso(campaign.created_at),
            "started_at": iso(campaign.started_at), "finished_at": iso(campaign.finished_at),
            "evaluated": campaign.evaluated, "targeted": campaign.targeted, "skipped": campaign.skipped}


def repair_wire(application: RepairApplication) -> dict:
    return {"id": application.id, "enterprise_id": application.enterprise_id, "deduction_id": application.deduction_id,
            "reminder_id": application.reminder_id, "unit_id": application.unit_id, "reason": application.reason,
            "status": application.status,
            "received_at": iso(application.received_at),
            "due_date": application.due_date.isoformat() if application.due_date else None,
            "decided_at": iso(application.decided_at), "decision_note": application.decision_note}


class CampaignCreate(BaseModel):
    name: clean_str(strip_whitespace=True, min_length=1, max_length=200)
    rule_id: clean_str(strip_whitespace=True, min_length=1, max_length=80)
    repeat: Literal["none", "monthly", "yearly"] = "none"


class CampaignSchedule(BaseModel):
    at: Optional[SafeDatetime] = None  # None: now


class OwnRemindersQuery(EnterpriseGrant):
    """Only the grant says whose reminders these are."""


class AnswerRequest(EnterpriseGrant):
    answer: clean_str(max_length=60)  # the intent Rasa recognised
    text: Optional[clean_str(max_length=4000)] = None
    reminder_id: Optional[Id] = None
    explanation: Optional[clean_str(max_length=2000)] = None


class RepairDecision(BaseModel):
    approve: bool
    note: clean_str(strip_whitespace=True, min_length=1, max_length=1000)


# -- answers of the routes (response models): the shapes the ``*_wire`` dicts above and the views fill ----------

class RuleOut(BaseModel):
    id: str
    type: str  # policy, risk, credit
    title: str
    topic: Optional[str] = None
    quiet_days: int


class CampaignOut(BaseModel):
    id: int
    name: str
    rule_id: str
    status: str  # draft, scheduled, sending, sent, cancelled
    repeat: str
    scheduled_at: Optional[str] = None
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    evaluated: int
    targeted: int
    skipped: int


class Funnel(BaseModel):
    """targeted → delivered → read → answered (by answer) → corrected."""
    evaluated: int
    targeted: int
    skipped_quiet_period: int
    delivered: int
    read: int
    answered: int
    answers: dict[str, int]
    answer_labels: dict[str, str]
    corrected: int
    closed: int


class CampaignDetail(CampaignOut):
    funnel: Funnel


class Rechecked(BaseModel):
    corrected_now: int
    funnel: Funnel


class PreviewSample(BaseModel):
    uscc: str
    name: str
    reasons: list[str]
    message: str


class CampaignPreview(BaseModel):
    rule_id: str
    title: str
    type: str
    evaluated: int
    audience: int
    sample: list[PreviewSample]
    seconds: float


class RepairOut(BaseModel):
    id: int
    enterprise_id: int
    deduction_id: Optional[int] = None
    reminder_id: Optional[int] = None
    unit_id: Optional[int] = None
    reason: Optional[str] = None
    status: str  # received, approved, rejected
    received_at: Optional[str] = None
    due_date: Optional[str] = None
    decided_at: Optional[str] = None
    decision_note: Optional[str] = None


class RepairEnterprise(BaseModel):
    uscc: str
    name: str


class RepairDeduction(BaseModel):
    id: int
    reason: str
    points: int
    occurred_on: str
    corrected_on: Optional[str] = None
    repairable: bool
    credit_year: int
    credit_level: str


class RepairClock(BaseModel):
    due: Optional[str] = None
    state: str  # on_track, due_soon, overdue, met, missed, untimed
    days_left: Optional[int] = None  # working days, while undecided


class RepairRow(RepairOut):
    enterprise: Optional[RepairEnterprise] = None
    deduction: Optional[RepairDeduction] = None
    clock: RepairClock


class RepairCredit(BaseModel):
    year: int
    level: str
    score: Optional[int] = None


class RepairEnterpriseDetail(RepairEnterprise):
    region: Optional[str] = None
    industry: Optional[str] = None
    taxpayer_type: Optional[str] = None
    credit: Optional[RepairCredit] = None


class RepairReminder(BaseModel):
    id: int
    title: str
    message: str
    reasons: list[str]
    answered_at: Optional[str] = None


class RepairDetail(RepairRow):
    enterprise: Optional[RepairEnterpriseDetail] = None
    reminder: Optional[RepairReminder] = None
    decided_by: Optional[str] = None


class ReminderOut(BaseModel):
    """A reminder in the enterprise's 消息 list (``reminder_wire``)."""
    id: int
    type: str
    rule: str
    topic: Optional[str] = None
    title: str
    message: str
    reasons: list[str]
    status: str
    answer: Optional[str] = None
    answer_label: Optional[str] = None
    created_at: Optional[str] = None
    delivered_at: Optional[str] = None
    read_at: Optional[str] = None
    answered_at: Optional[str] = None
    message_id: Optional[int] = None
    buttons: list[Button]  # the answers it still takes


class OwnReminders(BaseModel):
    reminders: list[ReminderOut]
    unread: int


class OpenReminder(BaseModel):
    """A reminder the bot puts in the chat: its envelope, text and answer buttons."""
    kind: Literal["reminder"]
    reminder_id: int
    type: str
    topic: Optional[str] = None
    rule: str
    title: str
    reasons: list[str]
    message: str
    buttons: list[Button]


class OpenReminders(BaseModel):
    reminders: list[OpenReminder]


class AnswerResult(BaseModel):
    """What the action says after an answer: an acknowledgement, a topic to explain, a handoff, or the repairs."""
    reminder_id: int
    type: str
    answer: str
    topic: Optional[str] = None
    handoff: bool
    repairs: list[RepairOut]
    text: str
