"""Notifications to staff (clock due soon, overdue, escalated); partial indexes for the petition clocks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KINDS = ("due_soon", "overdue", "escalated")
RUNNING = (("handover", "handover_due", "handed_over_at"), ("handling", "handling_due", "resolved_at"),
           ("feedback", "feedback_due", "fed_back_at"))


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient_staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", name="fk_notifications_recipient_staff_id_staff_accounts"),
                  nullable=True),
        sa.Column("recipient_unit_id", sa.Integer,
                  sa.ForeignKey("units.id", name="fk_notifications_recipient_unit_id_units"), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("petition_id", sa.Integer,
                  sa.ForeignKey("petitions.id", name="fk_notifications_petition_id_petitions"), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_notifications_kind"),
        sa.CheckConstraint("recipient_staff_id IS NOT NULL OR recipient_unit_id IS NOT NULL",
                           name="ck_notifications_recipient"),
    )
    for column in ("recipient_staff_id", "recipient_unit_id", "petition_id"):
        op.create_index(f"ix_notifications_{column}", "notifications", [column])
    for clock, due, done in RUNNING:  # the open petitions only: the sweep and the overdue filter
        where = sa.text(f"{done} IS NULL")
        op.create_index(f"ix_petitions_{clock}_running", "petitions", [due], postgresql_where=where,
                        sqlite_where=where)
    marks = sa.text("action IN ('clock_due_soon', 'clock_overdue')")  # the SLA sweep's ledger entries
    op.create_index("ix_petition_events_clock_marks", "petition_events", ["petition_id"], postgresql_where=marks,
                    sqlite_where=marks)


def downgrade() -> None:
    op.drop_index("ix_petition_events_clock_marks", table_name="petition_events")
    for clock, _, _ in RUNNING:
        op.drop_index(f"ix_petitions_{clock}_running", table_name="petitions")
    for column in ("recipient_staff_id", "recipient_unit_id", "petition_id"):
        op.drop_index(f"ix_notifications_{column}", table_name="notifications")
    op.drop_table("notifications")
