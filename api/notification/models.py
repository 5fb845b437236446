"""The notifications table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets
from api.petition.models import Petition  # noqa: F401 - foreign key target

__all__ = ["KINDS", "KIND_LABELS", "Notification"]

KINDS = ("due_soon", "overdue", "escalated")
KIND_LABELS = {"due_soon": "即将到期", "overdue": "已超期", "escalated": "督办"}
"""due_soon: a clock has at most one working day left; overdue: it has run out (to the unit that owes
the step); escalated: it has run out and the supervisors above that unit are told (督办)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="ck_notifications_kind"),
        CheckConstraint("recipient_staff_id IS NOT NULL OR recipient_unit_id IS NOT NULL",
                        name="ck_notifications_recipient"),
        Index("ix_notifications_recipient_staff_id", "recipient_staff_id"),
        Index("ix_notifications_recipient_unit_id", "recipient_unit_id"),
        Index("ix_notifications_petition_id", "petition_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipient_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_notifications_recipient_staff_id_staff_accounts"))
    recipient_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", name="fk_notifications_recipient_unit_id_units"))
    kind: Mapped[str] = mapped_column(String(20))
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", name="fk_notifications_petition_id_petitions"))
    message: Mapped[str] = mapped_column(Text)
    # for a unit notification: read by anyone of the unit
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} petition={self.petition_id}>"
