"""Credit-repair applications as the deciding unit reads them: each with its enterprise, the deduction it asks to
repair (and when that was corrected), the reminder it answered, and its 5-working-day clock as seen today.

Functions take ``session=`` and never commit; the router scopes the rows to the caller's unit tree first.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.time import time_left
from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise
from api.hub.schemas import iso
from api.org.models import StaffAccount
from api.petition.timing import clock_state
from api.reminder.models import Reminder, RepairApplication
from api.reminder.schemas import repair_wire

__all__ = ["listed", "detailed"]


def _clock(application: RepairApplication, today: date) -> dict:
    """The application's clock: its due date, state (on_track, due_soon, overdue, met, missed, untimed) and working
    days left while it is undecided."""
    undecided = application.decided_at is None
    return {"due": application.due_date.isoformat() if application.due_date else None,
            "state": clock_state(application.due_date, application.decided_at, today).value,
            "days_left": time_left(application.due_date, today) if undecided else None}


def _deductions(session: Session, applications: list[RepairApplication]) -> dict[tuple[int, int], tuple]:
    """(enterprise id, deduction id) → (deduction, its credit record), for deductions of that enterprise only."""
    ids = {a.deduction_id for a in applications}
    if not ids:
        return {}
    rows = session.execute(select(CreditDeduction, CreditRecord).join(
        CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id).where(CreditDeduction.id.in_(ids))).all()
    return {(record.enterprise_id, deduction.id): (deduction, record) for deduction, record in rows}


def _deduction_wire(found: tuple | None) -> dict | None:
    if found is None:
        return None
    deduction, record = found
    return {"id": deduction.id, "reason": deduction.reason, "points": deduction.points,
            "occurred_on": deduction.occurred_on.isoformat(),
            "corrected_on": deduction.corrected_on.isoformat() if deduction.corrected_on else None,
            "repairable": deduction.repairable, "credit_year": record.year, "credit_level": record.level}


def listed(applications: list[RepairApplication], *, session: Session, today: date) -> list[dict]:
    """The list rows: the application with its enterprise's name and USCC, the deduction and the clock."""
    enterprise_ids = {a.enterprise_id for a in applications}
    enterprises = {}
    if enterprise_ids:
        enterprises = {e.id: e for e in session.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.name)
                                                        .where(Enterprise.id.in_(enterprise_ids)))}
    deductions = _deductions(session, applications)
    out = []
    for application in applications:
        enterprise = enterprises.get(application.enterprise_id)
        out.append({**repair_wire(application),
                    "enterprise": {"uscc": enterprise.uscc, "name": enterprise.name} if enterprise else None,
                    "deduction": _deduction_wire(deductions.get((application.enterprise_id,
                                                                 application.deduction_id))),
                    "clock": _clock(application, today)})
    return out


def detailed(application: RepairApplication, *, session: Session, today: date) -> dict:
    """One application in full: the list row, the enterprise's profile and current credit, the reminder it
    answered (what the enterprise was told and why), and who decided it."""
    row = listed([application], session=session, today=today)[0]
    enterprise = session.execute(select(
        Enterprise.uscc, Enterprise.name, Enterprise.region, Enterprise.industry, Enterprise.taxpayer_type)
        .where(Enterprise.id == application.enterprise_id)).one()
    credit = session.execute(select(CreditRecord).where(CreditRecord.enterprise_id == application.enterprise_id)
                             .order_by(CreditRecord.year.desc()).limit(1)).scalar_one_or_none()
    reminder = session.get(Reminder, application.reminder_id) if application.reminder_id else None
    decider = session.get(StaffAccount, application.decided_by_staff_id) if application.decided_by_staff_id else None
    row["enterprise"] = {"uscc": enterprise.uscc, "name": enterprise.name, "region": enterprise.region,
                         "industry": enterprise.industry, "taxpayer_type": enterprise.taxpayer_type,
                         "credit": ({"year": credit.year, "level": credit.level, "score": credit.score}
                                    if credit else None)}
    row["reminder"] = ({"id": reminder.id, "title": reminder.title, "message": reminder.message,
                        "reasons": reminder.reasons or [], "answered_at": iso(reminder.answered_at)}
                       if reminder else None)
    row["decided_by"] = decider.display_name if decider else None
    return row
