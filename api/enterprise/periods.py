"""Period strings of policy claims and risk findings: ``"2025"`` (a year), ``"2025Q3"`` (a quarter) or
``"2025-07"`` (a month) — parsed into their first and last day, and the periods that count as "current".
"""
from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["PERIOD_PATTERN", "parse_period", "period_string", "current_periods"]

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$")


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> tuple[date, date]:
    """First and last day of a period string; ValueError (with a Chinese message) when it is not one."""
    match = PERIOD_PATTERN.match(text or "")
    if not match:
        raise ValueError(f"期间“{text}”格式不正确，应为 2025、2025Q3 或 2025-07")
    year = int(match[1])
    if match[2]:
        quarter = int(match[2])
        return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    if match[3]:
        month = int(match[3])
        return date(year, month, 1), _month_end(year, month)
    return date(year, 1, 1), date(year, 12, 31)


def period_string(start: date, end: date) -> str:
    """The period string of a whole year, quarter or month (``ValueError`` for anything else)."""
    for text in (f"{start.year}", f"{start.year}Q{(start.month - 1) // 3 + 1}", f"{start.year}-{start.month:02d}"):
        if parse_period(text) == (start, end):
            return text
    raise ValueError(f"{start}–{end} is not a year, quarter or month")


def current_periods(today: date) -> frozenset[str]:
    """The periods a claim may be for and still count as "enjoyed now": this and the previous year, quarter and
    month. The previous ones count because a period is declared after it ends (a quarter's VAT in the next
    month, a year's income tax by 31 May), so the last completed period is the one the enterprise is dealing with.
    """
    quarter = (today.month - 1) // 3 + 1
    previous_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    previous_month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return frozenset({f"{today.year}", f"{today.year - 1}", f"{today.year}Q{quarter}",
                      f"{previous_quarter[0]}Q{previous_quarter[1]}", f"{today.year}-{today.month:02d}",
                      f"{previous_month[0]}-{previous_month[1]:02d}"})
