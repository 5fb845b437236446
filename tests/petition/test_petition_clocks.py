"""Clock states in working days, and the same 'overdue' answer from Python and from SQL."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from api.core.time import time_left
from api.petition import service
from api.petition.models import Petition
from api.petition.schemas import PetitionRead
from api.petition.timing import ClockState, clock_state
from tests.petition.conftest import sh

D = date.fromisoformat


@pytest.mark.parametrize("due, done, today, state", [
    ("2025-10-14", None, "2025-10-08", ClockState.on_track),  # 10-09..10-14: 4 working days left
    ("2025-10-14", None, "2025-10-13", ClockState.due_soon),
    ("2025-10-14", None, "2025-10-14", ClockState.due_soon),
    ("2025-10-09", None, "2025-09-30", ClockState.due_soon),  # 8 calendar days, 1 working day
    ("2025-10-14", None, "2025-10-15", ClockState.overdue),
    ("2025-10-14", "2025-10-14 23:59", "2025-10-20", ClockState.met),  # Shanghai date counts
    ("2025-10-14", "2025-10-15 00:01", "2025-10-15", ClockState.missed),
    (None, None, "2025-10-15", ClockState.untimed),
])
def test_clock_state(due, done, today, state):
    assert clock_state(due and D(due), done and sh(done), D(today)) is state


def test_done_time_is_read_in_shanghai():
    done = datetime(2025, 10, 14, 16, 30, tzinfo=timezone.utc)  # 10-15 00:30 in Shanghai
    assert clock_state(D("2025-10-14"), done, D("2025-10-20")) is ClockState.missed


@pytest.mark.parametrize("due, today, left", [
    ("2025-10-14", "2025-09-30", 5), ("2025-10-14", "2025-10-14", 0), ("2025-10-14", "2025-10-16", -2),
    ("2025-10-14", "2025-10-12", 2),  # from a Sunday: 10-13, 10-14
])
def test_time_left_in_working_days(due, today, left):
    assert time_left(D(due), D(today)) == left


def test_time_left_when_the_calendar_does_not_know_the_year():
    assert time_left(D("2026-12-31"), D("2031-01-06")) is None
    assert time_left(None, D("2025-01-06")) is None


def test_overdue_filter_in_sql_agrees_with_python(session, org, new_petition):
    waiting = new_petition("2025-09-30 10:00")  # handover due 10-09, never handed over
    handling = new_petition("2025-09-30 11:00")
    service.hand_over(handling, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 12:00"))
    service.assign(handling, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                   now=sh("2025-09-30 12:00"))  # handling due 10-14
    spot = new_petition("2025-09-30 12:00", answered_on_the_spot=True, answer="已答复")
    everyone = [waiting, handling, spot]
    for today in ("2025-10-09", "2025-10-10", "2025-10-14", "2025-10-15"):
        day = D(today)
        for clock in ("handover_overdue", "handling_overdue", "feedback_overdue", "overdue"):
            in_sql = set(session.execute(select(Petition.id).where(getattr(Petition, clock)(day))).scalars())
            in_python = {p.id for p in everyone if getattr(p, clock)(day)}
            assert in_sql & {p.id for p in everyone} == in_python, (today, clock)
    late = set(session.execute(select(Petition.id).where(Petition.overdue(D("2025-10-15")))).scalars())
    assert late == {waiting.id, handling.id}
    assert not handling.handover_overdue(D("2025-10-15")) and handling.handling_overdue(D("2025-10-15"))


def test_read_schema_carries_the_clocks(session, org, new_petition):
    p = new_petition("2025-09-30 10:00")
    read = PetitionRead.from_petition(p, D("2025-09-30"))
    assert read.ticket == p.ticket and read.received_at == sh("2025-09-30 10:00")
    assert read.clocks["handover"].state is ClockState.due_soon and read.clocks["handover"].days_left == 1
    assert read.clocks["handling"].state is ClockState.untimed
