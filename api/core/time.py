"""Time for every feature: aware UTC moments, Shanghai dates and working-day counts.

Times are stored and passed around in UTC and must be timezone-aware; dates people see and deadlines
counted in working days are Asia/Shanghai dates (``common.workdays``).
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

from common.workdays import CHINA_TZ, CalendarUnknownYear, due_date, working_days_between

__all__ = ["utcnow", "aware_now", "china_date", "due_after", "time_left"]

log = logging.getLogger(__name__)


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


def due_after(moment: datetime, days: int) -> date | None:
    """The ``days``-th working day after the Shanghai date of ``moment``; None if the calendar
    does not know the year (already logged at ERROR by ``common.workdays``)."""
    try:
        return due_date(moment, days)
    except CalendarUnknownYear:
        log.error("no deadline for a step starting %s: calendar year unknown", moment.isoformat())
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
