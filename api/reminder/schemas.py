"""Wire shapes of reminders, campaigns and repair applications, and the request bodies."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from api.auth.grants import EnterpriseGrant
from api.hub.schemas import Button, iso
from api.inputs import Id, SafeDatetime, clean_str
from api.reminder.models import Campaign, Reminder, RepairApplication
from api.reminder.service import ANSWER_LABELS, buttons_for

__all__ = ["reminder_wire", "campaign_wire", "repair_wire", "CampaignCreate", "CampaignSchedule", "AnswerRequest",
           "RepairDecision",
           "RuleOut", "CampaignOut", "Funnel", "CampaignDetail", "Rechecked", "CampaignPreview", "RepairOut", "RepairDecided",
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
    at: SafeDatetime | None = None  # None: now


class OwnRemindersQuery(EnterpriseGrant):
    """Only the grant says whose reminders these are."""


class AnswerRequest(EnterpriseGrant):
    answer: clean_str(max_length=60)  # the intent Rasa recognised
    text: clean_str(max_length=4000) | None = None
    reminder_id: Id | None = None
    explanation: clean_str(max_length=2000) | None = None


class RepairDecision(BaseModel):
    approve: bool
    note: clean_str(strip_whitespace=True, min_length=1, max_length=1000)


# -- answers of the routes (response models): the shapes the ``*_wire`` dicts above and the views fill ----------

class RuleOut(BaseModel):
    id: str
    type: str  # policy, risk, credit
    title: str
    topic: str | None = None
    quiet_days: int


class CampaignOut(BaseModel):
    id: int
    name: str
    rule_id: str
    status: str  # draft, scheduled, sending, sent, cancelled
    repeat: str
    scheduled_at: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
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
    deduction_id: int | None = None
    reminder_id: int | None = None
    unit_id: int | None = None
    reason: str | None = None
    status: str  # received, approved, rejected
    received_at: str | None = None
    due_date: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None


class RepairDecided(RepairOut):
    sms_queued: bool  # the decision also went to the SMS outbox (the enterprise's mobile number was on record)


class RepairEnterprise(BaseModel):
    uscc: str
    name: str


class RepairDeduction(BaseModel):
    id: int
    reason: str
    points: int
    occurred_on: str
    corrected_on: str | None = None
    repairable: bool
    credit_year: int
    credit_level: str


class RepairClock(BaseModel):
    due: str | None = None
    state: str  # on_track, due_soon, overdue, met, missed, untimed
    days_left: int | None = None  # working days, while undecided


class RepairRow(RepairOut):
    enterprise: RepairEnterprise | None = None
    deduction: RepairDeduction | None = None
    clock: RepairClock


class RepairCredit(BaseModel):
    year: int
    level: str
    score: int | None = None


class RepairEnterpriseDetail(RepairEnterprise):
    region: str | None = None
    industry: str | None = None
    taxpayer_type: str | None = None
    credit: RepairCredit | None = None


class RepairReminder(BaseModel):
    id: int
    title: str
    message: str
    reasons: list[str]
    answered_at: str | None = None


class RepairDetail(RepairRow):
    enterprise: RepairEnterpriseDetail | None = None
    reminder: RepairReminder | None = None
    decided_by: str | None = None


class ReminderOut(BaseModel):
    """A reminder in the enterprise's 消息 list (``reminder_wire``)."""
    id: int
    type: str
    rule: str
    topic: str | None = None
    title: str
    message: str
    reasons: list[str]
    status: str
    answer: str | None = None
    answer_label: str | None = None
    created_at: str | None = None
    delivered_at: str | None = None
    read_at: str | None = None
    answered_at: str | None = None
    message_id: int | None = None
    buttons: list[Button]  # the answers it still takes


class OwnReminders(BaseModel):
    reminders: list[ReminderOut]
    unread: int


class OpenReminder(BaseModel):
    """A reminder the bot puts in the chat: its envelope, text and answer buttons."""
    kind: Literal["reminder"]
    reminder_id: int
    type: str
    topic: str | None = None
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
    topic: str | None = None
    handoff: bool
    repairs: list[RepairOut]
    text: str
