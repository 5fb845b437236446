"""Reminders with their life, the campaigns that create them, and credit-repair applications."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from api.core.database import Base
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets
from api.core.sqltime import UTCDateTime

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

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    rule_id = Column(String(80), nullable=False)
    status = Column(String(12), nullable=False)
    repeat = Column(String(10), nullable=False, default="none", server_default="none")
    scheduled_at = Column(UTCDateTime(), nullable=True)
    created_by_staff_id = Column(Integer, ForeignKey("staff_accounts.id", name="fk_campaigns_created_by_staff_id_staff_accounts"),
                                 nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    started_at = Column(UTCDateTime(), nullable=True)
    finished_at = Column(UTCDateTime(), nullable=True)
    cursor = Column(Integer, nullable=False, default=0, server_default="0")  # last enterprise id done: resume point
    evaluated = Column(Integer, nullable=False, default=0, server_default="0")
    targeted = Column(Integer, nullable=False, default=0, server_default="0")  # reminders created
    skipped = Column(Integer, nullable=False, default=0, server_default="0")  # matched, but within the quiet period

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

    id = Column(Integer, primary_key=True)
    enterprise_id = Column(Integer, ForeignKey("enterprises.id", name="fk_reminders_enterprise_id_enterprises"),
                           nullable=False)
    uscc = Column(String(18), nullable=False)  # the hub finds an enterprise's reminders by the USCC of its token
    rule_id = Column(String(80), nullable=False)
    type = Column(String(10), nullable=False)
    topic = Column(String(80), nullable=True)
    key = Column(String(200), nullable=False)  # what it is about (rule + period or deduction): one reminder each
    title = Column(String(200), nullable=False)
    message = Column(Text, nullable=False)
    reasons = Column(JSON, nullable=True)
    values = Column(JSON, nullable=True)
    campaign_id = Column(Integer, ForeignKey("campaigns.id", name="fk_reminders_campaign_id_campaigns"), nullable=True)
    status = Column(String(10), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    delivered_at = Column(UTCDateTime(), nullable=True)
    read_at = Column(UTCDateTime(), nullable=True)
    answered_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    corrected_at = Column(UTCDateTime(), nullable=True)  # the rule no longer fires for it (e.g. the filing was made)
    answer = Column(String(20), nullable=True)
    explanation = Column(Text, nullable=True)
    message_id = Column(Integer, nullable=True)  # the chat message that delivered it

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

    id = Column(Integer, primary_key=True)
    enterprise_id = Column(Integer, ForeignKey("enterprises.id", name="fk_repair_applications_enterprise_id_enterprises"),
                           nullable=False)
    reminder_id = Column(Integer, ForeignKey("reminders.id", name="fk_repair_applications_reminder_id_reminders"),
                         nullable=True)
    # The unit that decides it: the one whose seats serve the enterprise's chat (migration 0008). NULL only
    # for applications older than the column whose enterprise never chatted: an admin's to decide.
    unit_id = Column(Integer, ForeignKey("units.id", name="fk_repair_applications_unit_id_units"), nullable=True)
    deduction_id = Column(Integer, nullable=False)
    reason = Column(Text, nullable=False)
    status = Column(String(10), nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)
    due_date = Column(Date, nullable=True)  # 5 working days after receipt; None when the calendar does not know
    decided_at = Column(UTCDateTime(), nullable=True)
    decided_by_staff_id = Column(Integer, ForeignKey("staff_accounts.id",
                                                     name="fk_repair_applications_decided_by_staff_id_staff_accounts"),
                                 nullable=True)
    decision_note = Column(Text, nullable=True)
