"""The deadline clocks of petitions, in Python and in SQL (time helpers every feature uses: ``api.core.time``).

Times are stored in UTC; deadlines are dates counted in working days in Asia/Shanghai
(``common.workdays``). A clock pairs a due date with the moment its step was done:

=============  ===================  ===============================================
clock          due column           done column
handover       ``handover_due``     ``handed_over_at`` (to the service department)
handling       ``handling_due``     ``resolved_at``
feedback       ``feedback_due``     ``fed_back_at``
=============  ===================  ===============================================

A NULL due date means the clock does not run: answered on the spot, long-term tracking
(政策建议、系统优化), the reconsideration procedure, or a year the calendar does not know yet
(logged at ERROR by ``common.workdays`` and written into the ledger).
"""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import and_

from api.core.time import china_date, time_left

__all__ = ["ClockState", "DUE_SOON_DAYS", "clock_state", "overdue_clause", "clock_data", "CLOCKS"]

DUE_SOON_DAYS = 1
"""A running clock is ``due_soon`` when at most this many working days are left (0 = due today)."""

CLOCKS = {"handover": ("handover_due", "handed_over_at"),
          "handling": ("handling_due", "resolved_at"),
          "feedback": ("feedback_due", "fed_back_at")}


class ClockState(str, Enum):
    on_track = "on_track"
    due_soon = "due_soon"
    overdue = "overdue"
    met = "met"
    missed = "missed"
    untimed = "untimed"  # no due date: the clock does not run


def clock_state(due: date | None, done_at: datetime | None, today: date) -> ClockState:
    """State of one clock on ``today`` (a Shanghai date)."""
    if due is None:
        return ClockState.untimed
    if done_at is not None:
        return ClockState.met if china_date(done_at) <= due else ClockState.missed
    if today > due:
        return ClockState.overdue
    left = time_left(due, today)
    return ClockState.due_soon if left is not None and left <= DUE_SOON_DAYS else ClockState.on_track


def overdue_clause(due_column, done_column, today: date):
    """SQL form of ``clock_state(...) == overdue``: a running clock whose due date is before ``today``."""
    return and_(due_column.isnot(None), done_column.is_(None), due_column < today)


def clock_data(petition, due_name: str, untimed_by_rule: bool, **data) -> dict:
    """Event data with the new due date; a missing one not explained by a rule means the calendar
    does not know the year yet — said explicitly in the ledger."""
    due = getattr(petition, due_name)
    data[due_name] = due.isoformat() if due else None
    if due is None and not untimed_by_rule:
        data["calendar_unknown"] = True
    return data
