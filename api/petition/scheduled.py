"""Scheduled work of petitions: the SLA sweep that marks clock transitions and notifies people.

Every minute each instance calls :func:`run_sweep_once`; a Redis lock (``lock:sla-sweep``,
non-blocking, 55 s) lets one of them run it. :func:`sweep` then, for every running clock
(handover, handling, feedback) of an open petition,

* records in the ledger the first time the clock is **due soon** (at most ``DUE_SOON_DAYS``
  working day left) — action ``clock_due_soon`` — and tells the unit that owes the step;
* records the first time it is **overdue** — action ``clock_overdue`` — tells that unit, and
  escalates (督办) to the supervisors (role ``supervisor``, 分管局领导) of the nearest unit up
  its tree that has any.

The unit that owes the step: the accepting unit for the handover, the lead handling department
(主办部门) for handling and feedback (谁主办、谁反馈).

Joint handling: each co-department's task (协办, ``petition_handlers.due``) has its own clock while the
petition is handled. The same two marks are written for it — ledger data ``{"clock": "task", "unit_id",
"due"}`` — and the co-department is told; when overdue the lead department is told too (it answers for
the whole petition), and the supervisors above the co-department get the 督办 (an outside department has
none in the tax tree: then nobody is escalated to beyond the lead).

"First time" is read from the ledger: an entry of that action for that clock *and that due date*
means it was done, so a second run changes nothing, while a new due date (an approved extension,
a transfer) starts the clock afresh. The long-term track (长期跟踪: policy suggestions and
system-improvement demands) is never breached: its handling clock is ignored even if a due date
were set. Only candidates are read — running clocks whose due date is before the first day that
is not yet due soon, without the ledger entry — through the partial indexes on running clocks
(:mod:`api.petition.indexes`), in batches of ``BATCH`` by (due date, id), and the rows are
written with bulk inserts, so a sweep over 100 000 petitions costs a few indexed queries.

A day whose next working days the calendar does not know (CalendarUnknownYear, logged by
``common.workdays``) still gets its overdue marks; due-soon marks wait for the calendar.

``api/main.py`` starts it from the lifespan with :func:`start_scheduler` (every 60 s, in a worker thread;
``SLA_SWEEP_ENABLED=false`` turns it off in an instance) and stops it with ``api.core.scheduling.stop_task``.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import false, insert, select, tuple_
from sqlalchemy.orm import Session

from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.sqltime import iso_date
from api.core.time import aware_now, china_date
from api.notification.service import NotificationRef, create_many, publish
from api.org.models import StaffAccount, Unit
from api.petition import indexes
from api.petition.constants import SYSTEM
from api.petition.models import TASK_STATUSES, Petition, PetitionEvent, PetitionHandler
from api.petition.timing import CLOCKS, DUE_SOON_DAYS, ClockState, clock_state
from common.workdays import CalendarUnknownYear, add_working_days

__all__ = ["DUE_SOON", "OVERDUE", "CLOCK_LABELS", "LOCK_NAME", "LOCK_TIMEOUT", "INTERVAL", "BATCH", "SweepResult",
           "sweep", "run_sweep_once", "start_scheduler"]

log = logging.getLogger(__name__)

DUE_SOON, OVERDUE = indexes.CLOCK_MARK_ACTIONS  # "clock_due_soon", "clock_overdue"
CLOCK_LABELS = {"handover": "转交时限", "handling": "办理时限", "feedback": "反馈时限"}
LOCK_NAME = "lock:sla-sweep"
LOCK_TIMEOUT = 55  # seconds: shorter than the default interval, so a crashed holder never blocks the next minute
INTERVAL = 60.0
BATCH = 1000


@dataclass
class SweepResult:
    today: date
    due_soon: int = 0  # clocks newly marked due soon
    overdue: int = 0  # clocks newly marked overdue
    escalated: int = 0  # supervisor notifications
    notifications: list[NotificationRef] = field(default_factory=list)  # to publish after commit
    due_soon_skipped: bool = False  # the calendar does not know the coming working days

    @property
    def changed(self) -> int:
        return self.due_soon + self.overdue


class _Org:
    """Units and active supervisors, loaded once per sweep when first needed."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._units: dict[int, tuple[str, int | None]] | None = None
        self._supervisors: dict[int, list[int]] = {}

    def _load(self) -> dict[int, tuple[str, int | None]]:
        if self._units is None:
            self._units = {uid: (name, parent) for uid, name, parent in
                           self._session.execute(select(Unit.id, Unit.name, Unit.parent_id))}
            query = select(StaffAccount.id, StaffAccount.unit_id).where(
                StaffAccount.role == "supervisor", StaffAccount.active.is_(True)).order_by(StaffAccount.id)
            for staff_id, unit_id in self._session.execute(query):
                self._supervisors.setdefault(unit_id, []).append(staff_id)
        return self._units

    def name(self, unit_id: int) -> str:
        return self._load().get(unit_id, (f"单位{unit_id}", None))[0]

    def supervisors_above(self, unit_id: int) -> list[int]:
        """Supervisors of the unit itself or, failing that, of the nearest ancestor that has any."""
        current: int | None
        units, seen, current = self._load(), set(), unit_id
        while current is not None and current not in seen:
            seen.add(current)
            if self._supervisors.get(current):
                return self._supervisors[current]
            current = units.get(current, ("", None))[1]
        return []


def _owner(clock: str, row) -> int:
    if clock == "handover":
        return row.accepting_unit_id
    return row.handling_unit_id or row.accepting_unit_id


def _candidates(clock: str, action: str, today: date, horizon: date | None, after: tuple[date, int] | None):
    due_name, done_name = CLOCKS[clock]
    due, done = getattr(Petition, due_name), getattr(Petition, done_name)
    # (petition, due) pairs already marked with this action for this clock. Uncorrelated, so the
    # database hashes it once (PostgreSQL: a hashed SubPlan) — robust however stale its statistics
    # on fresh ledger rows are; it reads the small partial index of clock marks.
    mark_due = PetitionEvent.data["due"].as_string()
    recorded = select(PetitionEvent.petition_id, mark_due).where(
        PetitionEvent.action == action, PetitionEvent.data["clock"].as_string() == clock, mark_due.isnot(None))
    query = (select(Petition.id, Petition.ticket, Petition.status, Petition.accepting_unit_id,
                    Petition.handling_unit_id, due.label("due"))
             .where(due.isnot(None), done.is_(None)))
    if after is not None:  # keyset on (due, id): walks the running-clock index in order
        query = query.where(tuple_(due, Petition.id) > tuple_(*after))  # type: ignore[arg-type]  # values: bound
    if clock == "handling":
        query = query.where(Petition.long_term == false())
    query = query.where(due < today) if action == OVERDUE else query.where(due >= today, due < horizon)
    return query.where(tuple_(Petition.id, iso_date(due)).not_in(recorded)).order_by(due, Petition.id).limit(BATCH)


def _messages(clock: str, action: str, ticket: str, due: date, unit_name: str) -> tuple[str, str]:
    label, day = CLOCK_LABELS[clock], f"{due:%Y-%m-%d}"
    if action == DUE_SOON:
        return f"诉求 {ticket} 的{label}将于 {day} 届满，请抓紧办理。", ""
    return (f"诉求 {ticket} 已超过{label}（{day}），请尽快办理并说明原因。",
            f"督办：{unit_name}承办的诉求 {ticket} 已超过{label}（{day}），请督促办理。")


def sweep(session: Session, today: date | None = None, now: datetime | None = None) -> SweepResult:
    """Mark the clock transitions of ``today`` (a Shanghai date; default: that of ``now``).
    Never commits; publish ``result.notifications`` after the commit."""
    now = aware_now(now)
    today = today or china_date(now)
    result = SweepResult(today=today)
    try:  # the first day that is not yet due soon: DUE_SOON_DAYS + 1 working days ahead
        horizon = add_working_days(today, DUE_SOON_DAYS + 1)
    except CalendarUnknownYear:
        horizon, result.due_soon_skipped = None, True
        log.error("SLA sweep of %s: no due-soon marks, the calendar does not know the coming working days", today)
    org = _Org(session)
    for clock in CLOCKS:
        for action in (OVERDUE, DUE_SOON):
            if action == DUE_SOON and horizon is None:
                continue
            after = None
            while True:
                rows = session.execute(_candidates(clock, action, today, horizon, after)).all()
                if rows:
                    _mark(rows, clock, action, today, now, org, result, session=session)
                    after = (rows[-1].due, rows[-1].id)
                if len(rows) < BATCH:
                    break
    for action in (OVERDUE, DUE_SOON):
        if action == DUE_SOON and horizon is None:
            continue
        after = None
        while True:
            rows = session.execute(_task_candidates(action, today, horizon, after)).all()
            if rows:
                _mark_tasks(rows, action, today, now, org, result, session=session)
                after = (rows[-1].due, rows[-1].task_id)
            if len(rows) < BATCH:
                break
    return result


def _task_candidates(action: str, today: date, horizon: date | None, after: tuple[date, int] | None):
    """Open co-department tasks of handled petitions whose clock reached ``action``, not yet marked for that due
    date (the ledger's task marks: data ``clock`` = "task", ``unit_id``, ``due``)."""
    task, mark_due = PetitionHandler, PetitionEvent.data["due"].as_string()
    recorded = select(PetitionEvent.petition_id, PetitionEvent.data["unit_id"].as_integer(), mark_due).where(
        PetitionEvent.action == action, PetitionEvent.data["clock"].as_string() == "task", mark_due.isnot(None))
    query = (select(task.id.label("task_id"), task.unit_id, task.due, Petition.id, Petition.ticket, Petition.status,
                    Petition.handling_unit_id)
             .join(Petition, Petition.id == task.petition_id)
             .where(task.lead == false(), task.due.isnot(None), task.completed_at.is_(None),
                    Petition.status.in_(TASK_STATUSES)))
    if after is not None:
        query = query.where(tuple_(task.due, task.id) > tuple_(*after))  # type: ignore[arg-type]  # values: bound
    query = query.where(task.due < today) if action == OVERDUE else query.where(task.due >= today, task.due < horizon)
    return (query.where(tuple_(Petition.id, task.unit_id, iso_date(task.due)).not_in(recorded))
            .order_by(task.due, task.id).limit(BATCH))


def _mark_tasks(rows, action: str, today: date, now: datetime, org: _Org, result: SweepResult, *,
                session: Session) -> None:
    wanted = ClockState.overdue if action == OVERDUE else ClockState.due_soon
    events, notes = [], []
    for row in rows:
        if clock_state(row.due, None, today) is not wanted:
            continue
        events.append({"petition_id": row.id, "at": now, "actor": SYSTEM, "action": action,
                       "from_status": row.status, "to_status": row.status, "reason": None,
                       "data": {"clock": "task", "unit_id": row.unit_id, "due": row.due.isoformat()}})
        day, unit = f"{row.due:%Y-%m-%d}", org.name(row.unit_id)
        if action == DUE_SOON:
            result.due_soon += 1
            notes.append({"kind": "due_soon", "petition_id": row.id, "recipient_unit_id": row.unit_id,
                          "message": f"联合办理的诉求 {row.ticket} 中，本部门的协办期限将于 {day} 届满，请及时提交办理意见。"})
            continue
        result.overdue += 1
        notes.append({"kind": "overdue", "petition_id": row.id, "recipient_unit_id": row.unit_id,
                      "message": f"联合办理的诉求 {row.ticket} 中，本部门已超过协办期限（{day}），请尽快提交办理意见。"})
        if row.handling_unit_id and row.handling_unit_id != row.unit_id:
            notes.append({"kind": "overdue", "petition_id": row.id, "recipient_unit_id": row.handling_unit_id,
                          "message": f"诉求 {row.ticket} 的协办部门{unit}已超过协办期限（{day}），请督促其提交办理意见。"})
        for staff_id in org.supervisors_above(row.unit_id):
            notes.append({"kind": "escalated", "petition_id": row.id, "recipient_staff_id": staff_id,
                          "message": f"督办：{unit}协办的诉求 {row.ticket} 已超过协办期限（{day}），请督促办理。"})
            result.escalated += 1
    if events:
        session.execute(insert(PetitionEvent.__table__), events)
    result.notifications.extend(create_many(notes, session=session, now=now))


def _mark(rows, clock: str, action: str, today: date, now: datetime, org: _Org, result: SweepResult, *,
          session: Session) -> None:
    wanted = ClockState.overdue if action == OVERDUE else ClockState.due_soon
    events, notes = [], []
    for row in rows:
        if clock_state(row.due, None, today) is not wanted:  # the SQL window and the Python rule agree; be sure
            continue
        events.append({"petition_id": row.id, "at": now, "actor": SYSTEM, "action": action,
                       "from_status": row.status, "to_status": row.status, "reason": None,
                       "data": {"clock": clock, "due": row.due.isoformat()}})
        unit_id = _owner(clock, row)
        to_unit, to_supervisor = _messages(clock, action, row.ticket, row.due, org.name(unit_id))
        kind = "due_soon" if action == DUE_SOON else "overdue"
        notes.append({"kind": kind, "petition_id": row.id, "message": to_unit, "recipient_unit_id": unit_id})
        if action == OVERDUE:
            result.overdue += 1
            for staff_id in org.supervisors_above(unit_id):
                notes.append({"kind": "escalated", "petition_id": row.id, "message": to_supervisor,
                              "recipient_staff_id": staff_id})
                result.escalated += 1
        else:
            result.due_soon += 1
    if events:
        session.execute(insert(PetitionEvent.__table__), events)
    result.notifications.extend(create_many(notes, session=session, now=now))


def run_sweep_once(session_factory: Callable[[], Session], redis, today: date | None = None,
                   now: datetime | None = None) -> SweepResult | None:
    """Take the lock (non-blocking), sweep, commit, then publish the notifications.
    Returns None when another instance holds the lock. An error rolls back and propagates."""
    with held_lock(redis, LOCK_NAME, LOCK_TIMEOUT) as lock:
        if lock is None:
            return None
        session = session_factory()
        try:
            result = sweep(session, today=today, now=now)
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
        if result.changed:
            log.info("SLA sweep of %s: %d due soon, %d overdue, %d escalations", result.today, result.due_soon,
                     result.overdue, result.escalated)
        publish(redis, result.notifications)
        return result


def start_scheduler(rt: Runtime, interval: float | None = None) -> asyncio.Task:
    """From a lifespan, once the runtime's connections are open: a task that calls :func:`run_sweep_once`
    in a worker thread now and every ``interval`` seconds (default ``SLA_SWEEP_SECONDS``, 60;
    ``api.core.scheduling.run_every``)."""
    every = interval if interval is not None else rt.settings.sla_sweep_seconds
    return run_every("sla-sweep", every, lambda: run_sweep_once(rt.session_factory, rt.redis))
