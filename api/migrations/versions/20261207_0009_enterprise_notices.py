"""What the enterprise is told about its petitions and repair applications: notices (chat and 消息) and the SMS
outbox (api/outbox); and what it says back: its own rating of how a petition was handled.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprise_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("petition_id", sa.Integer, sa.ForeignKey("petitions.id", name="fk_enterprise_notices_petition_id_petitions"),
                  nullable=True),
        sa.Column("event_id", sa.Integer,
                  sa.ForeignKey("petition_events.id", name="fk_enterprise_notices_event_id_petition_events"), nullable=True),
        sa.Column("repair_id", sa.Integer, sa.ForeignKey(
            "repair_applications.id", name="fk_enterprise_notices_repair_id_repair_applications"), nullable=True),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ticket", sa.String(20), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chat_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Integer, nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('assigned', 'transferred', 'extended', 'result', 'visited', 'repair_approved', "
                           "'repair_rejected')", name="ck_enterprise_notices_kind"),
        sa.CheckConstraint("(petition_id IS NOT NULL AND event_id IS NOT NULL) OR repair_id IS NOT NULL",
                           name="ck_enterprise_notices_subject"),
        sa.UniqueConstraint("event_id", name="uq_enterprise_notices_event_id"),
        sa.UniqueConstraint("repair_id", name="uq_enterprise_notices_repair_id"),
    )
    op.create_index("ix_enterprise_notices_uscc", "enterprise_notices", ["uscc", "id"])
    op.create_index("ix_enterprise_notices_undelivered", "enterprise_notices", ["chat_delivered_at", "id"])
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer,
                  sa.ForeignKey("enterprise_notices.id", name="fk_sms_outbox_notice_id_enterprise_notices"), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_ref", sa.String(100), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'recorded', 'accepted', 'failed')", name="ck_sms_outbox_status"),
        sa.UniqueConstraint("notice_id", name="uq_sms_outbox_notice_id"),
    )
    op.create_index("ix_sms_outbox_due", "sms_outbox", ["status", "next_attempt_at"])
    with op.batch_alter_table("petitions") as batch:  # batch: SQLite cannot add a check constraint in place
        batch.add_column(sa.Column("enterprise_rating", sa.Integer, nullable=True))
        batch.add_column(sa.Column("enterprise_rating_note", sa.Text, nullable=True))
        batch.add_column(sa.Column("enterprise_rated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint("ck_petitions_enterprise_rating",
                                      "enterprise_rating IS NULL OR enterprise_rating BETWEEN 1 AND 5")


def downgrade() -> None:
    with op.batch_alter_table("petitions") as batch:
        batch.drop_constraint("ck_petitions_enterprise_rating", type_="check")
        batch.drop_column("enterprise_rated_at")
        batch.drop_column("enterprise_rating_note")
        batch.drop_column("enterprise_rating")
    op.drop_index("ix_sms_outbox_due", table_name="sms_outbox")
    op.drop_table("sms_outbox")
    op.drop_index("ix_enterprise_notices_undelivered", table_name="enterprise_notices")
    op.drop_index("ix_enterprise_notices_uscc", table_name="enterprise_notices")
    op.drop_table("enterprise_notices")
