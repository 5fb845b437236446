"""Reminders, campaigns and credit-repair applications.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATUSES = ("created", "delivered", "read", "answered", "closed", "expired")
TYPES = ("policy", "risk", "credit")
ANSWERS = ("apply", "claimed", "corrected", "explained", "help", "how", "not_applicable")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "sent", "cancelled")
REPEATS = ("none", "monthly", "yearly")
REPAIR_STATUSES = ("received", "approved", "rejected")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _time(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _count(name):
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("repeat", sa.String(10), nullable=False, server_default="none"),
        _time("scheduled_at"),
        sa.Column("created_by_staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", name="fk_campaigns_created_by_staff_id_staff_accounts"),
                  nullable=True),
        _time("created_at", False), _time("started_at"), _time("finished_at"),
        _count("cursor"), _count("evaluated"), _count("targeted"), _count("skipped"),
        sa.CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="ck_campaigns_status"),
        sa.CheckConstraint(_in("repeat", REPEATS), name="ck_campaigns_repeat"),
    )
    op.create_index("ix_campaigns_due", "campaigns", ["status", "scheduled_at"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer,
                  sa.ForeignKey("enterprises.id", name="fk_reminders_enterprise_id_enterprises"), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("topic", sa.String(80), nullable=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=True),
        sa.Column("values", sa.JSON, nullable=True),
        sa.Column("campaign_id", sa.Integer,
                  sa.ForeignKey("campaigns.id", name="fk_reminders_campaign_id_campaigns"), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        _time("created_at", False), _time("delivered_at"), _time("read_at"), _time("answered_at"), _time("closed_at"),
        _time("corrected_at"),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("explanation", sa.Text, nullable=True),
        sa.Column("message_id", sa.Integer, nullable=True),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_reminders_status"),
        sa.CheckConstraint(_in("type", TYPES), name="ck_reminders_type"),
        sa.CheckConstraint(f"answer IS NULL OR {_in('answer', ANSWERS)}", name="ck_reminders_answer"),
        sa.UniqueConstraint("enterprise_id", "rule_id", "key", name="uq_reminders_subject"),
    )
    op.create_index("ix_reminders_uscc_status", "reminders", ["uscc", "status"])
    op.create_index("ix_reminders_campaign_status", "reminders", ["campaign_id", "status"])
    op.create_index("ix_reminders_rule_recent", "reminders", ["enterprise_id", "rule_id", "created_at"])
    op.create_table(
        "repair_applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer,
                  sa.ForeignKey("enterprises.id", name="fk_repair_applications_enterprise_id_enterprises"),
                  nullable=False),
        sa.Column("reminder_id", sa.Integer,
                  sa.ForeignKey("reminders.id", name="fk_repair_applications_reminder_id_reminders"), nullable=True),
        sa.Column("deduction_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _time("received_at", False),
        sa.Column("due_date", sa.Date, nullable=True),
        _time("decided_at"),
        sa.Column("decided_by_staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", name="fk_repair_applications_decided_by_staff_id_staff_accounts"),
                  nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.CheckConstraint(_in("status", REPAIR_STATUSES), name="ck_repair_applications_status"),
        sa.UniqueConstraint("enterprise_id", "deduction_id", name="uq_repair_applications_deduction"),
    )
    op.create_index("ix_repair_applications_open", "repair_applications", ["status", "due_date"])


def downgrade() -> None:
    op.drop_table("repair_applications")
    op.drop_table("reminders")
    op.drop_table("campaigns")
