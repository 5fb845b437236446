"""Filtering petitions for lists, the ledger export and the benchmark: one definition of the filters.

``PetitionFilters`` holds what a console user can filter on; :func:`filtered` turns it into a
WHERE clause on a select over ``petitions``; :func:`list_petitions` is the page-and-count query
the list route (GET /api/petitions) uses, and the export (GET /api/petitions/export) and
tools/bench_petitions.py read through the same :func:`filtered` — so a filter selects the same
petitions wherever it is used. The HTTP query parameters that build a ``PetitionFilters`` are in
:mod:`api.petition.filter_params`.

Dates are Shanghai dates; the overdue filter is ``Petition.overdue(today)``, ``clock`` one clock's.
``handling_unit_id`` matches every handling department, lead (主办) or joint (协办).
``queue`` names a work queue (:data:`QUEUES`): what is waiting for the next step, and for whom.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import Select

from api.petition.constants import Status
from api.petition.models import Petition, PetitionExtension, PetitionHandler
from common.workdays import CHINA_TZ

__all__ = ["PetitionFilters", "filtered", "list_petitions", "china_day_start", "MAX_PAGE_SIZE", "QUEUES", "Queue",
           "CLOCK_FILTERS", "COUNTED_CLOCKS", "queue_clause", "work_counts"]

MAX_PAGE_SIZE = 100


def china_day_start(day: date) -> datetime:
    """The UTC moment a Shanghai date begins."""
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(timezone.utc)


@dataclass(frozen=True)
class Queue:
    """A named work queue: its Chinese label and the roles whose work it is (the others may still use it)."""
    label: str
    roles: tuple[str, ...]


QUEUES: dict[str, Queue] = {
    "to_hand_over": Queue("待转交纳税服务部门", ("staff", "supervisor", "director", "admin")),
    "to_assign": Queue("待转交办理部门", ("staff", "supervisor", "director", "admin")),
    "to_handle": Queue("待办理", ("handler", "staff", "admin")),
    "to_start": Queue("待开始办理", ("handler", "staff", "admin")),  # to_handle's two halves, a tab each
    "in_handling": Queue("办理中", ("handler", "staff", "admin")),
    "awaiting_approval": Queue("延期待审批", ("supervisor", "director")),
    "to_feed_back": Queue("待反馈", ("handler", "staff", "admin")),
    "to_visit": Queue("待回访", ("staff", "supervisor", "director", "admin")),
    "long_term": Queue("长期跟踪", ("staff", "handler", "supervisor", "director", "operator", "admin")),
}
"""Work queues, in the order of the process."""

CLOCK_FILTERS = ("overdue", "handover_overdue", "handling_overdue", "feedback_overdue", "task_overdue")
"""``clock``: any clock overdue, or the named one; ``task_overdue``: a co-department's own task is."""
COUNTED_CLOCKS = {"overdue": "已超期", "task_overdue": "协办超期"}
"""The clock filters the work queues' counts include (GET /api/petitions/queues), with their tab names."""


def queue_clause(name: str):
    """The WHERE clause of the queue ``name`` (a key of :data:`QUEUES`)."""
    if name == "to_hand_over":
        return Petition.status == Status.registered.value
    if name == "to_assign":
        return Petition.status == Status.handed_over.value
    if name == "to_handle":  # the long-term track has its own queue
        return and_(Petition.status.in_((Status.assigned.value, Status.in_progress.value)),
                    Petition.long_term.is_(False))
    if name in ("to_start", "in_handling"):
        status = Status.assigned if name == "to_start" else Status.in_progress
        return and_(Petition.status == status.value, Petition.long_term.is_(False))
    if name == "awaiting_approval":
        return select(PetitionExtension.id).where(PetitionExtension.petition_id == Petition.id,
                                                  PetitionExtension.status == "pending").exists()
    if name == "to_feed_back":
        return Petition.status == Status.resolved.value
    if name == "to_visit":  # fed back, not yet visited (回访)
        return and_(Petition.status == Status.fed_back.value, Petition.visited_at.is_(None))
    if name == "long_term":
        return and_(Petition.long_term.is_(True), Petition.status != Status.closed.value)
    raise ValueError(f"unknown queue {name!r}")


@dataclass
class PetitionFilters:
    status: str | Sequence[str] | None = None
    category: str | None = None
    channel: str | None = None
    handling_unit_id: int | None = None
    accepting_unit_id: int | None = None
    uscc: str | None = None
    overdue: bool | None = None  # True: some clock overdue on ``today``; False: none
    clock: str | None = None  # one of CLOCK_FILTERS: that clock (or any: "overdue") overdue on ``today``
    queue: str | None = None  # a key of QUEUES
    long_term: bool | None = None
    q: str | None = None  # text search: ticket, taxpayer name, USCC, the demand
    received_from: date | None = None  # Shanghai dates, inclusive
    received_to: date | None = None
    extra: tuple = field(default=())  # further SQL conditions, e.g. the caller's visibility clause


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, pattern: str, caseless: bool):
    return column.like(pattern, escape="\\") if caseless else column.ilike(pattern, escape="\\")


def filtered(query: Select, filters: PetitionFilters, today: date) -> Select:
    """``query`` (a select over petitions) narrowed by ``filters``."""
    f = filters
    if f.extra:
        query = query.where(*f.extra)
    if f.status:
        statuses = [f.status] if isinstance(f.status, str) else list(f.status)
        query = query.where(Petition.status.in_(statuses))
    if f.category:
        query = query.where(Petition.category == f.category)
    if f.channel:
        query = query.where(Petition.channel == f.channel)
    if f.handling_unit_id is not None:  # lead or joint handling department
        query = query.where(select(PetitionHandler.id).where(PetitionHandler.petition_id == Petition.id,
                                                             PetitionHandler.unit_id == f.handling_unit_id).exists())
    if f.accepting_unit_id is not None:
        query = query.where(Petition.accepting_unit_id == f.accepting_unit_id)
    if f.uscc:
        query = query.where(Petition.uscc == f.uscc.strip().upper())
    if f.overdue is not None:
        query = query.where(Petition.overdue(today) if f.overdue else not_(Petition.overdue(today)))
    if f.clock:
        if f.clock not in CLOCK_FILTERS:
            raise ValueError(f"unknown clock filter {f.clock!r}")
        query = query.where(getattr(Petition, f.clock)(today))
    if f.queue:
        query = query.where(queue_clause(f.queue))
    if f.long_term is not None:
        query = query.where(Petition.long_term == f.long_term)
    if f.received_from:
        query = query.where(Petition.received_at >= china_day_start(f.received_from))
    if f.received_to:
        query = query.where(Petition.received_at < china_day_start(f.received_to + timedelta(days=1)))
    text = (f.q or "").strip()
    if text:
        pattern = _like(text)
        # Text without cased letters (most Chinese searches) matches the same under LIKE as under
        # ILIKE, and LIKE is several times cheaper per row on PostgreSQL.
        caseless = text.lower() == text.upper()
        query = query.where(or_(_contains(Petition.content, pattern, caseless),
                                _contains(Petition.taxpayer_name, pattern, caseless),
                                Petition.ticket == text.upper(), Petition.uscc == text.upper()))
    return query


def list_petitions(filters: PetitionFilters, *, session: Session, today: date, page: int = 1,
                   size: int = 20) -> tuple[list[Petition], int]:
    """One page, newest received first, and the number of matches."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    where = filtered(select(Petition), filters, today)
    where = where.options(selectinload(Petition.handlers).joinedload(PetitionHandler.unit))  # overdue tasks
    items = session.execute(where.order_by(Petition.received_at.desc(), Petition.id.desc())
                            .offset((page - 1) * size).limit(size)).scalars().all()
    total = session.execute(filtered(select(func.count()).select_from(Petition), filters, today)).scalar_one()
    return list(items), total


def work_counts(role: str, visible, *, session: Session, today: date) -> dict[str, list[dict]]:
    """The number of petitions ``visible`` (the caller's visibility clause) holds in each work queue of ``role``
    and in each of :data:`COUNTED_CLOCKS`: what the list would total for that queue or clock."""
    def count(filters: PetitionFilters) -> int:
        return session.execute(filtered(select(func.count()).select_from(Petition), filters, today)).scalar_one()

    return {"queues": [{"name": name, "label": queue.label, "count": count(PetitionFilters(queue=name, extra=(visible,)))}
                       for name, queue in QUEUES.items() if role in queue.roles],
            "clocks": [{"name": name, "label": label, "count": count(PetitionFilters(clock=name, extra=(visible,)))}
                       for name, label in COUNTED_CLOCKS.items()]}
