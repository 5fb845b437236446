"""Wire shapes of reminders, campaigns and repair applications, and the request bodies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel

from api.auth.grants import EnterpriseGrant

from api.hub.schemas import iso
from api.inputs import Id, SafeDatetime, clean_str
from api.reminder.models import Campaign, Reminder, RepairApplication
from api.reminder.service import ANSWER_LABELS, buttons_for

__all__ = ["reminder_wire", "campaign_wire", "repair_wire", "CampaignCreate", "CampaignSchedule", "AnswerRequest",
           "RepairDecision"]


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
