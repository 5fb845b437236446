"""Petition tables: the petition with its clocks, its handling departments, the append-only
ledger of events, extension requests, and the per-day ticket counter."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, and_, event, exists, false, or_)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import relationship

from api.database import Base
from api.org.models import StaffAccount, Unit  # noqa: F401 - relationship targets
from api.petition.constants import CATEGORIES, CHANNELS, EXTENSION_STATUS_LABELS
from api.petition.timing import CLOCKS, ClockState, UTCDateTime, clock_state, overdue_clause, time_left

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

    id = Column(Integer, primary_key=True)
    ticket = Column(String(20), nullable=False)
    taxpayer_name = Column(String(200), nullable=False)
    uscc = Column(String(18), nullable=True)
    contact_phone = Column(String(32), nullable=False)
    content = Column(Text, nullable=False)
    category = Column(String(20), nullable=False)
    channel = Column(String(20), nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)
    accepting_unit_id = Column(Integer, _fk("accepting_unit_id", "units", "petitions"), nullable=False)
    accepting_staff_id = Column(Integer, _fk("accepting_staff_id", "staff_accounts", "petitions"), nullable=True)
    status = Column(String(20), nullable=False)
    service_unit_id = Column(Integer, _fk("service_unit_id", "units", "petitions"), nullable=True)
    handling_unit_id = Column(Integer, _fk("handling_unit_id", "units", "petitions"), nullable=True)  # lead (主办)
    joint = Column(Boolean, nullable=False, default=False, server_default=false())
    long_term = Column(Boolean, nullable=False, default=False, server_default=false())
    reconsideration = Column(Boolean, nullable=False, default=False, server_default=false())
    idempotency_key = Column(String(100), nullable=True)
    sender_id = Column(String(100), nullable=True)
    resolution = Column(Text, nullable=True)
    satisfaction = Column(Integer, nullable=True)  # recorded by staff at the return visit (回访)
    enterprise_rating = Column(Integer, nullable=True)  # the enterprise's own rating of the handling, from the widget
    enterprise_rating_note = Column(Text, nullable=True)
    enterprise_rated_at = Column(UTCDateTime(), nullable=True)
    handover_due = Column(Date, nullable=True)
    handling_due = Column(Date, nullable=True)
    feedback_due = Column(Date, nullable=True)
    extended_days = Column(Integer, nullable=False, default=0, server_default="0")
    handed_over_at = Column(UTCDateTime(), nullable=True)
    assigned_at = Column(UTCDateTime(), nullable=True)
    started_at = Column(UTCDateTime(), nullable=True)
    resolved_at = Column(UTCDateTime(), nullable=True)
    fed_back_at = Column(UTCDateTime(), nullable=True)
    visited_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)

    accepting_unit = relationship("Unit", foreign_keys=[accepting_unit_id])
    service_unit = relationship("Unit", foreign_keys=[service_unit_id])
    handling_unit = relationship("Unit", foreign_keys=[handling_unit_id])
    handlers = relationship("PetitionHandler", order_by="PetitionHandler.id", cascade="all, delete-orphan")
    events = relationship("PetitionEvent", order_by="PetitionEvent.id", viewonly=True)
    extensions = relationship("PetitionExtension", order_by="PetitionExtension.id", viewonly=True)

    # -- clocks: the same question in Python (instance) and in SQL (class) --------------------
    @hybrid_method
    def handover_overdue(self, today: date):
        return self._overdue("handover", today)

    @handover_overdue.expression
    def handover_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.handover_due, cls.handed_over_at, today)

    @hybrid_method
    def handling_overdue(self, today: date):
        return self._overdue("handling", today)

    @handling_overdue.expression
    def handling_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.handling_due, cls.resolved_at, today)

    @hybrid_method
    def feedback_overdue(self, today: date):
        return self._overdue("feedback", today)

    @feedback_overdue.expression
    def feedback_overdue(cls, today: date):  # noqa: N805
        return overdue_clause(cls.feedback_due, cls.fed_back_at, today)

    @hybrid_method
    def overdue(self, today: date):
        return any(self._overdue(name, today) for name in CLOCKS)

    @overdue.expression
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

    id = Column(Integer, primary_key=True)
    petition_id = Column(Integer, _fk("petition_id", "petitions", "petition_handlers"), nullable=False)
    unit_id = Column(Integer, _fk("unit_id", "units", "petition_handlers"), nullable=False)
    lead = Column(Boolean, nullable=False, default=False, server_default=false())
    assigned_at = Column(UTCDateTime(), nullable=False)
    answer = Column(Text, nullable=True)  # this department's part of the answer (办理意见)
    completed_at = Column(UTCDateTime(), nullable=True)
    completed_by = Column(Integer, _fk("completed_by", "staff_accounts", "petition_handlers"), nullable=True)
    # The task's deadline (migration 0012): ``due_days`` working days after ``assigned_at`` when the lead set
    # them (never later than the petition's handling deadline), else the handling deadline itself.
    due = Column(Date, nullable=True)
    due_days = Column(Integer, nullable=True)

    unit = relationship("Unit")

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

    id = Column(Integer, primary_key=True)
    petition_id = Column(Integer, _fk("petition_id", "petitions", "petition_events"), nullable=False)
    at = Column(UTCDateTime(), nullable=False)
    actor = Column(String(64), nullable=False)  # a staff account id, 'bot' or 'system'
    action = Column(String(40), nullable=False)
    from_status = Column(String(20), nullable=True)
    to_status = Column(String(20), nullable=True)
    reason = Column(Text, nullable=True)
    data = Column(JSON, nullable=True)


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

    id = Column(Integer, primary_key=True)
    petition_id = Column(Integer, _fk("petition_id", "petitions", "petition_extensions"), nullable=False)
    days = Column(Integer, nullable=False)
    reason = Column(Text, nullable=False)
    requested_by = Column(Integer, _fk("requested_by", "staff_accounts", "petition_extensions"), nullable=False)
    requested_at = Column(UTCDateTime(), nullable=False)
    approved_by = Column(Integer, _fk("approved_by", "staff_accounts", "petition_extensions"), nullable=True)
    approved_at = Column(UTCDateTime(), nullable=True)  # when decided, approved or rejected
    status = Column(String(20), nullable=False, default="pending", server_default="pending")
    decision_note = Column(Text, nullable=True)


class PetitionTicketCounter(Base):
    """The last ticket number handed out for one Shanghai date; locked while a ticket is taken."""

    __tablename__ = "petition_ticket_counters"

    day = Column(Date, primary_key=True)
    last = Column(Integer, nullable=False, default=0)
