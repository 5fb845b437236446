"""Notices to enterprises about their petitions, and the SMS outbox that carries them by text message."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.petition.models import Petition  # noqa: F401 - foreign key target
from api.reminder.models import RepairApplication  # noqa: F401 - foreign key target

__all__ = ["NOTICE_KINDS", "NOTICE_KIND_LABELS", "SMS_STATUSES", "SMS_STATUS_LABELS", "EnterpriseNotice", "SmsMessage"]

NOTICE_KIND_LABELS = {"assigned": "已交办理部门", "transferred": "上报或下转", "extended": "延期办理",
                      "result": "办理结果", "visited": "回访", "repair_approved": "信用修复通过",
                      "repair_rejected": "信用修复未通过"}
NOTICE_KINDS = tuple(NOTICE_KIND_LABELS)
"""assigned: handed to the handling department, with its due date; transferred: reported up or passed down,
with the reason; extended: an approved extension, with the reason and the new date; result: the feedback;
visited: the return visit was recorded; repair_approved / repair_rejected: a credit-repair application was decided."""
SMS_STATUS_LABELS = {"pending": "待发送", "recorded": "已记录（开发环境，未实际发送）", "accepted": "短信网关已接收",
                     "failed": "发送失败"}
SMS_STATUSES = tuple(SMS_STATUS_LABELS)
"""pending: not yet handed to a sender; recorded: the development sender wrote it down (nothing was sent);
accepted: a gateway took it (its reference kept; not a delivery receipt); failed: given up after retries."""


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class EnterpriseNotice(Base):
    __tablename__ = "enterprise_notices"
    __table_args__ = (
        CheckConstraint(_in("kind", NOTICE_KINDS), name="ck_enterprise_notices_kind"),
        UniqueConstraint("event_id", name="uq_enterprise_notices_event_id"),  # one notice per ledger entry
        UniqueConstraint("repair_id", name="uq_enterprise_notices_repair_id"),  # one per repair decision
        CheckConstraint("(petition_id IS NOT NULL AND event_id IS NOT NULL) OR repair_id IS NOT NULL",
                        name="ck_enterprise_notices_subject"),
        Index("ix_enterprise_notices_uscc", "uscc", "id"),
        Index("ix_enterprise_notices_undelivered", "chat_delivered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int | None] = mapped_column(
        ForeignKey("petitions.id", name="fk_enterprise_notices_petition_id_petitions"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("petition_events.id", name="fk_enterprise_notices_event_id_petition_events"))
    repair_id: Mapped[int | None] = mapped_column(
        ForeignKey("repair_applications.id", name="fk_enterprise_notices_repair_id_repair_applications"))
    uscc: Mapped[str | None] = mapped_column(String(18))  # NULL: a visitor's petition, told by SMS only
    kind: Mapped[str] = mapped_column(String(20))
    ticket: Mapped[str | None] = mapped_column(String(20))  # the petition's 受理编号
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # connected widgets were told once that it waits
    chat_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # posted into the enterprise's chat
    message_id: Mapped[int | None] = mapped_column()  # that chat message
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SmsMessage(Base):
    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint(_in("status", SMS_STATUSES), name="ck_sms_outbox_status"),
        UniqueConstraint("notice_id", name="uq_sms_outbox_notice_id"),
        Index("ix_sms_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise_notices.id", name="fk_sms_outbox_notice_id_enterprise_notices"))
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
