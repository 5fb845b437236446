"""Time for petitions: aware-UTC columns, Shanghai dates, deadline clocks in Python and in SQL.

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

import logging
from datetime import date, datetime, timezone
from enum import Enum

from sqlalchemy import and_
from sqlalchemy.types import DateTime, TypeDecorator

from common.workdays import CHINA_TZ, CalendarUnknownYear, due_date, working_days_between

__all__ = ["utcnow", "aware_now", "china_date", "UTCDateTime", "ClockState", "DUE_SOON_DAYS", "clock_state", "time_left",
           "due_after", "overdue_clause", "clock_data", "CLOCKS"]

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 1
"""A running clock is ``due_soon`` when at most this many working days are left (0 = due today)."""

CLOCKS = {"handover": ("handover_due", "handed_over_at"),
          "handling": ("handling_due", "resolved_at"),
          "feedback": ("feedback_due", "fed_back_at")}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware_now(now: datetime | None = None) -> datetime:
    """``now`` if given (it must be aware), else the current UTC time."""
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime: times must be timezone-aware")
    return now


def china_date(moment: datetime) -> date:
    """The calendar date in Asia/Shanghai of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must be timezone-aware")
    return moment.astimezone(CHINA_TZ).date()


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that refuses naive values and always returns aware UTC (SQLite too)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class ClockState(str, Enum):
    on_track = "on_track"
    due_soon = "due_soon"
    overdue = "overdue"
    met = "met"
    missed = "missed"
    untimed = "untimed"  # no due date: the clock does not run


def due_after(moment: datetime, days: int) -> date | None:
    """The ``days``-th working day after the Shanghai date of ``moment``; None if the calendar
    does not know the year (already logged at ERROR by ``common.workdays``)."""
    try:
        return due_date(moment, days)
    except CalendarUnknownYear:
        log.error("no deadline for a petition step starting %s: calendar year unknown", moment.isoformat())
        return None


def time_left(due: date | None, today: date) -> int | None:
    """Working days from ``today`` to ``due``: 0 = due today, negative = that many working days late.
    None when there is no due date or the calendar does not know the years in between."""
    if due is None:
        return None
    try:
        return working_days_between(today, due)
    except CalendarUnknownYear:
        return None


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
