"""Create, list and mark notifications; announce them on Redis after commit.

Functions that touch the database take ``session=`` and never commit: the request or the
scheduled job owns the transaction. :func:`publish` is the side effect that follows a commit;
it sends ids only (:class:`NotificationRef`), never ORM objects, and a Redis failure there is
logged, not raised — the rows are already committed and the console lists them anyway.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from redis import Redis
from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.orm import Session

from api.core.database import rowcount
from api.core.errors import Invalid, NotFound
from api.core.time import aware_now
from api.notification.models import KINDS, Notification
from api.org.models import StaffAccount

__all__ = ["CHANNEL", "NotificationRef", "KIND_LABELS", "create", "create_many", "list_for_staff", "count_unread",
           "get_for_staff", "mark_read", "unread_groups", "mark_group_read", "publish"]

log = logging.getLogger(__name__)

KIND_LABELS = {"due_soon": "即将到期", "overdue": "已超期", "escalated": "超期督办"}
_GROUP_TEXT = {"due_soon": "{n} 件诉求即将到期", "overdue": "{n} 件诉求已超期", "escalated": "{n} 件超期诉求待督办"}
_GROUP_ORDER = ("escalated", "overdue", "due_soon")  # the most urgent first

CHANNEL = "notifications"
"""Redis pub/sub channel; each message is one JSON object of ids (see :meth:`NotificationRef.payload`)."""


class NotificationRef(NamedTuple):
    """What is published about a notification: ids only."""

    id: int
    petition_id: int
    recipient_staff_id: int | None
    recipient_unit_id: int | None

    def payload(self) -> str:
        return json.dumps({"notification_id": self.id, "petition_id": self.petition_id,
                           "recipient_staff_id": self.recipient_staff_id,
                           "recipient_unit_id": self.recipient_unit_id})

    @classmethod
    def of(cls, notification: Notification) -> NotificationRef:
        return cls(notification.id, notification.petition_id, notification.recipient_staff_id,
                   notification.recipient_unit_id)


def _checked(kind: str, message: str, recipient_staff_id: int | None, recipient_unit_id: int | None) -> None:
    if kind not in KINDS:
        raise Invalid(f"通知类型只能是：{'、'.join(KINDS)}")
    if recipient_staff_id is None and recipient_unit_id is None:
        raise Invalid("通知须指定接收人或接收单位")
    if not (message or "").strip():
        raise Invalid("通知内容不能为空")


def create(*, session: Session, kind: str, petition_id: int, message: str, recipient_staff_id: int | None = None,
           recipient_unit_id: int | None = None, now: datetime | None = None) -> Notification:
    """One notification, flushed (it has its id); publish ``NotificationRef.of(it)`` after commit."""
    _checked(kind, message, recipient_staff_id, recipient_unit_id)
    notification = Notification(created_at=aware_now(now), kind=kind, petition_id=petition_id, message=message.strip(),
                                recipient_staff_id=recipient_staff_id, recipient_unit_id=recipient_unit_id)
    session.add(notification)
    session.flush()
    return notification


def create_many(rows: Sequence[dict[str, Any]], *, session: Session, now: datetime | None = None) -> list[NotificationRef]:
    """Bulk form for scheduled work: ``rows`` are dicts of kind, petition_id, message and a recipient.
    On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go in one
    executemany (SQLAlchemy 1.4 has no executemany with RETURNING); on SQLite row by row.
    Returns the refs to publish after commit."""
    now = aware_now(now)
    values = []
    for row in rows:
        _checked(row["kind"], row["message"], row.get("recipient_staff_id"), row.get("recipient_unit_id"))
        values.append({"created_at": now, "kind": row["kind"], "petition_id": row["petition_id"],
                       "message": row["message"], "recipient_staff_id": row.get("recipient_staff_id"),
                       "recipient_unit_id": row.get("recipient_unit_id"), "read_at": None})
    if not values:
        return []
    table = Notification.__table__
    if session.get_bind().dialect.name == "postgresql":
        # Take the ids from the sequence first, then one executemany: compiled once, sent in pages.
        sequence = session.execute(select(func.pg_get_serial_sequence(table.name, "id"))).scalar_one()
        ids = session.execute(select(func.nextval(sequence)).select_from(func.generate_series(1, len(values)))
                              ).scalars().all()
        for value, new_id in zip(values, ids):  # noqa: B905
            value["id"] = new_id
        session.execute(insert(table), values)
    else:
        for value in values:
            value["id"] = session.execute(insert(table).values(**value).returning(table.c.id)).scalar_one()
    return [NotificationRef(v["id"], v["petition_id"], v["recipient_staff_id"], v["recipient_unit_id"]) for v in values]


def _for(staff: StaffAccount) -> ColumnElement[bool]:
    return or_(Notification.recipient_staff_id == staff.id, Notification.recipient_unit_id == staff.unit_id)


def list_for_staff(staff: StaffAccount, *, session: Session, unread_only: bool = False, limit: int = 50,
                   before_id: int | None = None) -> list[Notification]:
    """Newest first: those addressed to ``staff`` and those to ``staff``'s unit. ``before_id`` pages on."""
    query = select(Notification).where(_for(staff))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    query = query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200)))
    return list(session.execute(query).scalars())


def count_unread(staff: StaffAccount, *, session: Session) -> int:
    query = select(func.count()).select_from(Notification).where(_for(staff), Notification.read_at.is_(None))
    return session.execute(query).scalar_one()


def mark_read(notification_ids: Iterable[int], staff: StaffAccount, *, session: Session,
              now: datetime | None = None) -> int:
    """Mark ``staff``'s own (or their unit's) notifications read; others' ids are ignored.
    Returns how many changed. A unit notification read by one member is read for the unit."""
    ids = list(notification_ids)
    if not ids:
        return 0
    result = session.execute(update(Notification)
                             .where(Notification.id.in_(ids), _for(staff), Notification.read_at.is_(None))
                             .values(read_at=aware_now(now)).execution_options(synchronize_session="fetch"))
    return rowcount(result)


def unread_groups(staff: StaffAccount, *, session: Session, per_group: int = 20) -> list[dict[str, Any]]:
    """The caller's unread notifications grouped by kind, most urgent kind first: a summary line ("12 件诉求即将
    到期", counting petitions, not reminders of the same one), the counts, and the newest ``per_group`` items
    with their petitions' tickets."""
    from api.petition.models import Petition  # the notification package is imported by the petition models

    unread = (_for(staff), Notification.read_at.is_(None))
    counts = dict(session.execute(select(Notification.kind, func.count(Notification.id)).where(*unread)
                                  .group_by(Notification.kind)).tuples().all())
    petitions = dict(session.execute(select(Notification.kind, func.count(func.distinct(Notification.petition_id)))
                                     .where(*unread).group_by(Notification.kind)).tuples().all())
    groups = []
    for kind in _GROUP_ORDER:
        if not counts.get(kind):
            continue
        rows = session.execute(select(Notification, Petition.ticket)
                               .join(Petition, Petition.id == Notification.petition_id)
                               .where(*unread, Notification.kind == kind)
                               .order_by(Notification.id.desc()).limit(per_group)).all()
        items = [{"id": n.id, "petition_id": n.petition_id, "ticket": ticket, "message": n.message,
                  "created_at": n.created_at.isoformat()} for n, ticket in rows]
        groups.append({"kind": kind, "label": KIND_LABELS[kind], "count": counts[kind],
                       "petitions": petitions.get(kind, 0),
                       "text": _GROUP_TEXT[kind].format(n=petitions.get(kind, 0)),
                       "latest_at": items[0]["created_at"] if items else None,
                       "items": items, "more": max(0, counts[kind] - len(items))})
    return groups


def mark_group_read(kind: str, staff: StaffAccount, *, session: Session, up_to_id: int | None = None,
                    now: datetime | None = None) -> int:
    """Mark every unread notification of ``kind`` addressed to ``staff`` or its unit read (those up to
    ``up_to_id`` only, when given: what the summary showed, not what arrived since). Returns how many."""
    if kind not in KINDS:
        raise Invalid(f"通知类型只能是：{'、'.join(KIND_LABELS[k] for k in KINDS)}", code="bad_kind")
    query = update(Notification).where(_for(staff), Notification.kind == kind, Notification.read_at.is_(None))
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    result = session.execute(query.values(read_at=aware_now(now)).execution_options(synchronize_session="fetch"))
    return rowcount(result)


def get_for_staff(notification_id: int, staff: StaffAccount, *, session: Session) -> Notification:
    notification = session.execute(select(Notification).where(Notification.id == notification_id, _for(staff))
                                   ).scalar_one_or_none()
    if notification is None:
        raise NotFound(f"通知 {notification_id} 不存在")
    return notification


def publish(redis: Redis, refs: Iterable[NotificationRef]) -> int:
    """After commit: one message per notification on :data:`CHANNEL`. Returns how many were sent;
    a Redis error is logged and swallowed (the rows are committed and listed by the console)."""
    refs = list(refs)
    if not refs:
        return 0
    try:
        pipe = redis.pipeline(transaction=False)
        for ref in refs:
            pipe.publish(CHANNEL, ref.payload())
        pipe.execute()
    except Exception:
        log.exception("could not publish %d notifications on Redis channel %r", len(refs), CHANNEL)
        return 0
    return len(refs)
