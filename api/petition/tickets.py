"""Ticket numbers ``SQ-YYYYMMDD-NNNN``: the Shanghai date of receipt and a per-day sequence.

The sequence lives in one counter row per day. Taking a number makes sure the row exists
(``INSERT … ON CONFLICT DO NOTHING``), then locks it (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite has a single writer) and increments it, all in the caller's transaction: concurrent
registrations on one day queue on the row, numbers are unique across instances, and a rolled
back registration gives its number back, so the sequence has no gaps.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.petition.models import PetitionTicketCounter

__all__ = ["lock_day", "take_number", "format_ticket"]

_INSERTS: dict[str, Callable[[Any], postgresql.Insert | sqlite.Insert]] = {"postgresql": postgresql.insert,
                                                                       "sqlite": sqlite.insert}


def lock_day(day: date, *, session: Session) -> int:
    """Create the day's counter if missing, lock it until the transaction ends, return its last number."""
    dialect = session.get_bind().dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise RuntimeError(f"ticket numbering supports PostgreSQL and SQLite, not {dialect}")
    session.execute(insert(PetitionTicketCounter).values(day=day, last=0)
                    .on_conflict_do_nothing(index_elements=["day"]))
    query = select(PetitionTicketCounter.last).where(PetitionTicketCounter.day == day).with_for_update()
    return session.execute(query).scalar_one()


def take_number(day: date, *, session: Session) -> int:
    """The next number of ``day``; call :func:`lock_day` first in the same transaction."""
    session.execute(update(PetitionTicketCounter).where(PetitionTicketCounter.day == day)
                    .values(last=PetitionTicketCounter.last + 1).execution_options(synchronize_session=False))
    return session.execute(select(PetitionTicketCounter.last).where(PetitionTicketCounter.day == day)).scalar_one()


def format_ticket(day: date, number: int) -> str:
    return f"SQ-{day:%Y%m%d}-{number:04d}"
