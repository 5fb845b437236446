"""Petition tables: the petition with its clocks, its handling departments, the append-only
ledger of events, extension requests, and the per-day ticket counter."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    exists,
    false,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.core.time import due_after, time_left
from api.org.models import StaffAccount, Unit  # noqa: F401 - relationship targets
from api.petition.constants import CATEGORIES, CHANNELS, EXTENSION_STATUS_LABELS, VISIT_DAYS
from api.petition.timing import CLOCKS, ClockState, clock_state, overdue_clause

__all__ = ["Petition", "PetitionHandler", "PetitionEvent", "PetitionExtension", "PetitionTicketCounter"]


TASK_STATUSES = ("assigned", "in_progress")
"""While a petition is in one of these, its co-departments' tasks run (their clocks count)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(column: str, target: str, table: str) -> ForeignKey:
    return ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


class Petition(Base):
    __tablename__ = "petitions"
    __table_args__ = (
        UniqueConstraint("ticket", name="uq_petitions_ticket"),
        UniqueConstraint("idempotency_key", name="uq_petitions_idempotency_key"),
        CheckConstraint(_in("category", CATEGORIES), name="ck_petitions_category"),
        CheckConstraint(_in("channel", CHANNELS), name="ck_petitions_channel"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_petitions_satisfaction"),
        CheckConstraint("enterprise_rating IS NULL OR enterprise_rating BETWEEN 1 AND 5",
                        name="ck_petitions_enterprise_rating"),
        CheckConstraint("extended_days >= 0", name="ck_petitions_extended_days"),
        Index("ix_petitions_status", "status"),
        Index("ix_petitions_handling_unit_id", "handling_unit_id"),
        Index("ix_petitions_handling_due", "handling_due"),
        Index("ix_petitions_received_at", "received_at"),
        Index("ix_petitions_uscc", "uscc"),
        Index("ix_petitions_sender_id", "sender_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20))
    taxpayer_name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18))
    contact_phone: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepting_unit_id: Mapped[int] = mapped_column(_fk("accepting_unit_id", "units", "petitions"))
    accepting_staff_id: Mapped[int | None] = mapped_column(_fk("accepting_staff_id", "staff_accounts", "petitions"))
    status: Mapped[str] = mapped_column(String(20))
    service_unit_id: Mapped[int | None] = mapped_column(_fk("service_unit_id", "units", "petitions"))
    handling_unit_id: Mapped[int | None] = mapped_column(_fk("handling_unit_id", "units", "petitions"))  # lead (主办)
    joint: Mapped[bool] = mapped_column(default=False, server_default=false())
    long_term: Mapped[bool] = mapped_column(default=False, server_default=false())
    reconsideration: Mapped[bool] = mapped_column(default=False, server_default=false())
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    sender_id: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column()  # recorded by staff at the return visit (回访)
    # the enterprise's own rating of the handling, from the widget
    enterprise_rating: Mapped[int | None] = mapped_column()
    enterprise_rating_note: Mapped[str | None] = mapped_column(Text)
    enterprise_rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handover_due: Mapped[date | None] = mapped_column()
    handling_due: Mapped[date | None] = mapped_column()
    feedback_due: Mapped[date | None] = mapped_column()
    extended_days: Mapped[int] = mapped_column(default=0, server_default="0")
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    accepting_unit: Mapped[Unit] = relationship("Unit", foreign_keys=[accepting_unit_id])
    service_unit: Mapped[Unit | None] = relationship("Unit", foreign_keys=[service_unit_id])
    handling_unit: Mapped[Unit | None] = relationship("Unit", foreign_keys=[handling_unit_id])
    handlers: Mapped[list[PetitionHandler]] = relationship(
        "PetitionHandler", order_by="PetitionHandler.id", cascade="all, delete-orphan")
    events: Mapped[list[PetitionEvent]] = relationship("PetitionEvent", order_by="PetitionEvent.id", viewonly=True)
    extensions: Mapped[list[PetitionExtension]] = relationship(
        "PetitionExtension", order_by="PetitionExtension.id", viewonly=True)

    # -- clocks: the same question in Python (instance) and in SQL (class) --------------------
    @hybrid_method
    def handover_overdue(self, today: date):
        return self._overdue("handover", today)

    @handover_overdue.expression  # type: ignore[no-redef]  # SQLAlchemy's hybrid idiom: one name, two definitions
    def handover_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.handover_due, cls.handed_over_at, today)

    @hybrid_method
    def handling_overdue(self, today: date):
        return self._overdue("handling", today)

    @handling_overdue.expression  # type: ignore[no-redef]  # SQLAlchemy's hybrid idiom: one name, two definitions
    def handling_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.handling_due, cls.resolved_at, today)

    @hybrid_method
    def feedback_overdue(self, today: date):
        return self._overdue("feedback", today)

    @feedback_overdue.expression  # type: ignore[no-redef]  # SQLAlchemy's hybrid idiom: one name, two definitions
    def feedback_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.feedback_due, cls.fed_back_at, today)

    @hybrid_method
    def overdue(self, today: date):
        return any(self._overdue(name, today) for name in CLOCKS)

    @overdue.expression  # type: ignore[no-redef]  # SQLAlchemy's hybrid idiom: one name, two definitions
    def overdue(cls, today: date):  # noqa: N805
        return or_(cls.handover_overdue(today), cls.handling_overdue(today), cls.feedback_overdue(today))

    def _overdue(self, clock: str, today: date) -> bool:
        due, done = (getattr(self, name) for name in CLOCKS[clock])
        return due is not None and done is None and due < today

    def clocks(self, today: date) -> dict[str, dict]:
        """Each clock's due date, state and working days left, as seen on ``today``."""
        out = {}
        for name, (due_name, done_name) in CLOCKS.items():
            due, done = getattr(self, due_name), getattr(self, done_name)
            out[name] = {"due": due, "state": clock_state(due, done, today),
                         "days_left": time_left(due, today) if done is None else None}
        return out

    def visit_clock(self, today: date) -> dict | None:
        """回访: owed once a petition that went to a department is fed back, due ``VISIT_DAYS`` working days after
        the feedback — the same day after which the statistics count it as 回访超期 (api.petition.statistics);
        None when no visit is owed or the petition was closed without one."""
        if self.fed_back_at is None or self.assigned_at is None or (self.closed_at and self.visited_at is None):
            return None
        due = due_after(self.fed_back_at, VISIT_DAYS)
        return {"due": due, "state": clock_state(due, self.visited_at, today),
                "days_left": time_left(due, today) if self.visited_at is None else None}

    def overdue_tasks(self, today: date) -> list[str]:
        """Names of the co-departments whose own task is open past its deadline while the petition is handled."""
        if self.status not in TASK_STATUSES:
            return []
        return [h.unit.name for h in self.handlers if not h.lead and h.clock(today)["state"] is ClockState.overdue]

    @classmethod
    def task_overdue(cls, today: date):
        """SQL: a co-department's task is open past its deadline while the petition is handled."""
        return and_(cls.status.in_(TASK_STATUSES), exists().where(
            PetitionHandler.petition_id == cls.id, PetitionHandler.lead == false(),
            PetitionHandler.completed_at.is_(None), PetitionHandler.due < today))

    def __repr__(self) -> str:
        return f"<Petition {self.ticket} {self.status}>"


class PetitionHandler(Base):
    """A handling department of a petition and its task: several rows = joint handling (联合办理),
    ``lead`` = 主办部门, the others 协办部门 (tax departments or outside departments). Each row carries
    that department's own part: its answer, when and by whom it was completed. The lead's row is
    completed when the petition is resolved; a co-department completes its own."""

    __tablename__ = "petition_handlers"
    __table_args__ = (UniqueConstraint("petition_id", "unit_id", name="uq_petition_handlers_petition_id_unit_id"),
                      CheckConstraint("due_days IS NULL OR due_days > 0", name="ck_petition_handlers_due_days"),
                      Index("ix_petition_handlers_unit_id", "unit_id", "petition_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(_fk("petition_id", "petitions", "petition_handlers"))
    unit_id: Mapped[int] = mapped_column(_fk("unit_id", "units", "petition_handlers"))
    lead: Mapped[bool] = mapped_column(default=False, server_default=false())
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)  # this department's part of the answer (办理意见)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[int | None] = mapped_column(_fk("completed_by", "staff_accounts", "petition_handlers"))
    # The task's deadline (migration 0013): ``due_days`` working days after ``assigned_at`` when the lead set
    # them (never later than the petition's handling deadline), else the handling deadline itself.
    due: Mapped[date | None] = mapped_column()
    due_days: Mapped[int | None] = mapped_column()

    unit: Mapped[Unit] = relationship("Unit")

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def clock(self, today: date) -> dict:
        """The task's clock as seen on ``today``: due date, state, working days left while open."""
        return {"due": self.due, "state": clock_state(self.due, self.completed_at, today),
                "days_left": time_left(self.due, today) if self.completed_at is None else None}


class PetitionEvent(Base):
    """The ledger (台账): one row per change, never updated or deleted."""

    __tablename__ = "petition_events"
    __table_args__ = (Index("ix_petition_events_petition_id", "petition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(_fk("petition_id", "petitions", "petition_events"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))  # a staff account id, 'bot' or 'system'
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@event.listens_for(PetitionEvent, "before_update")
@event.listens_for(PetitionEvent, "before_delete")
def _ledger_is_append_only(mapper, connection, target):
    raise RuntimeError("petition_events is append-only")


class PetitionExtension(Base):
    """A request to extend the handling time (延期申请): pending → approved | rejected | cancelled."""

    __tablename__ = "petition_extensions"
    __table_args__ = (
        CheckConstraint("days > 0", name="ck_petition_extensions_days"),
        CheckConstraint(_in("status", tuple(EXTENSION_STATUS_LABELS)),
                        name="ck_petition_extensions_status"),
        Index("ix_petition_extensions_petition_id", "petition_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(_fk("petition_id", "petitions", "petition_extensions"))
    days: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(_fk("requested_by", "staff_accounts", "petition_extensions"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(_fk("approved_by", "staff_accounts", "petition_extensions"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when decided, approved or rejected
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    decision_note: Mapped[str | None] = mapped_column(Text)


class PetitionTicketCounter(Base):
    """The last ticket number handed out for one Shanghai date; locked while a ticket is taken."""

    __tablename__ = "petition_ticket_counters"

    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
