"""Reminders with their life, the campaigns that create them, and credit-repair applications."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets

__all__ = ["STATUSES", "TYPES", "ANSWERS", "CAMPAIGN_STATUSES", "REPEATS", "REPAIR_STATUSES", "STATUS_LABELS",
           "TYPE_LABELS", "CAMPAIGN_STATUS_LABELS", "REPEAT_LABELS", "REPAIR_STATUS_LABELS", "Reminder", "Campaign",
           "RepairApplication"]

STATUSES = ("created", "delivered", "read", "answered", "closed", "expired")
TYPES = ("policy", "risk", "credit")
ANSWERS = {
    "policy": ("how", "claimed", "not_applicable"),
    "risk": ("corrected", "explained", "help"),
    "credit": ("how", "apply", "corrected"),
}
"""What an enterprise may answer to each type of reminder (怎么享受/已享受/不适用; 已自查更正/有合理原因/需要帮助;
怎么修复/申请修复/已纠正)."""
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
REPEATS = ("none", "monthly", "yearly")
REPAIR_STATUSES = ("received", "approved", "rejected")
STATUS_LABELS = {"created": "已生成", "delivered": "已送达", "read": "已读", "answered": "已答复", "closed": "已关闭",
                 "expired": "已过期"}
TYPE_LABELS = {"policy": "政策提醒", "risk": "风险提示", "credit": "信用修复提醒"}
CAMPAIGN_STATUS_LABELS = {"draft": "草稿", "scheduled": "已排期", "sending": "发送中", "sent": "已发送",
                          "cancelled": "已取消"}
REPEAT_LABELS = {"none": "不重复", "monthly": "每月", "yearly": "每年"}
REPAIR_STATUS_LABELS = {"received": "已受理", "approved": "已通过", "rejected": "未通过"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ALL_ANSWERS = tuple(sorted({a for answers in ANSWERS.values() for a in answers}))


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="ck_campaigns_status"),
        CheckConstraint(_in("repeat", REPEATS), name="ck_campaigns_repeat"),
        Index("ix_campaigns_due", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12))
    repeat: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_campaigns_created_by_staff_id_staff_accounts"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cursor: Mapped[int] = mapped_column(default=0, server_default="0")  # last enterprise id done: resume point
    evaluated: Mapped[int] = mapped_column(default=0, server_default="0")
    targeted: Mapped[int] = mapped_column(default=0, server_default="0")  # reminders created
    skipped: Mapped[int] = mapped_column(default=0, server_default="0")  # matched, but within the quiet period

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.rule_id} {self.status}>"


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="ck_reminders_status"),
        CheckConstraint(_in("type", TYPES), name="ck_reminders_type"),
        CheckConstraint(f"answer IS NULL OR {_in('answer', ALL_ANSWERS)}", name="ck_reminders_answer"),
        UniqueConstraint("enterprise_id", "rule_id", "key", name="uq_reminders_subject"),
        Index("ix_reminders_uscc_status", "uscc", "status"),
        Index("ix_reminders_campaign_status", "campaign_id", "status"),
        Index("ix_reminders_rule_recent", "enterprise_id", "rule_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", name="fk_reminders_enterprise_id_enterprises"))
    uscc: Mapped[str] = mapped_column(String(18))  # the hub finds an enterprise's reminders by the USCC of its token
    rule_id: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str | None] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))  # what it is about (rule + period or deduction): one reminder each
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[str] | None] = mapped_column(JSON)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", name="fk_reminders_campaign_id_campaigns"))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the rule no longer fires for it (e.g. the filing was made)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(20))
    explanation: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column()  # the chat message that delivered it

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.rule_id} {self.status}>"


class RepairApplication(Base):
    """申请修复: a tracked case with a 5-working-day clock."""
    __tablename__ = "repair_applications"
    __table_args__ = (
        CheckConstraint(_in("status", REPAIR_STATUSES), name="ck_repair_applications_status"),
        UniqueConstraint("enterprise_id", "deduction_id", name="uq_repair_applications_deduction"),
        Index("ix_repair_applications_open", "status", "due_date"),
        Index("ix_repair_applications_unit_id", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", name="fk_repair_applications_enterprise_id_enterprises"))
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", name="fk_repair_applications_reminder_id_reminders"))
    # The unit that decides it: the one whose seats serve the enterprise's chat (migration 0008). NULL only
    # for applications older than the column whose enterprise never chatted: an admin's to decide.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_repair_applications_unit_id_units"))
    deduction_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 5 working days after receipt; None when the calendar does not know
    due_date: Mapped[date | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_repair_applications_decided_by_staff_id_staff_accounts"))
    decision_note: Mapped[str | None] = mapped_column(Text)
