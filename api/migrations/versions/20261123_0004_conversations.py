"""Conversations, messages and attachments of the hub; seat skills on staff accounts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MODES = ("bot", "queued", "human", "closed")
TIERS = ("staff", "expert")
SENDERS = ("user", "bot", "staff", "expert", "system")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _time(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("skills", sa.String(200), nullable=True))
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("identity", sa.String(80), nullable=False),
        sa.Column("rasa_sender", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("enterprise_name", sa.String(200), nullable=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_conversations_unit_id_units"),
                  nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("tier", sa.String(10), nullable=True),
        sa.Column("skill", sa.String(40), nullable=True),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("assigned_staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", name="fk_conversations_assigned_staff_id_staff_accounts"),
                  nullable=True),
        _time("created_at", False), _time("last_message_at", False), _time("queued_at"), _time("assigned_at"),
        _time("first_response_at"), _time("closed_at"),
        sa.Column("had_human", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("rating_comment", sa.Text, nullable=True),
        _time("rated_at"),
        sa.Column("petition_ticket", sa.String(40), nullable=True),
        sa.Column("seat_read_id", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(_in("mode", MODES), name="ck_conversations_mode"),
        sa.CheckConstraint(f"tier IS NULL OR {_in('tier', TIERS)}", name="ck_conversations_tier"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_conversations_rating"),
        sa.UniqueConstraint("rasa_sender", name="uq_conversations_rasa_sender"),
    )
    op.create_index("ix_conversations_identity", "conversations", ["identity", "id"])
    op.create_index("ix_conversations_queue", "conversations", ["unit_id", "mode", "tier", "queued_at"])
    op.create_index("ix_conversations_assigned", "conversations", ["assigned_staff_id", "mode"])
    op.create_index("ix_conversations_uscc", "conversations", ["uscc"])
    op.create_table(
        "conversation_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_conversation_attachments_conversation_id_conversations"),
                  nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _time("created_at", False),
    )
    op.create_index("ix_conversation_attachments_conversation_id", "conversation_attachments", ["conversation_id"])
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_conversation_messages_conversation_id_conversations"),
                  nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("sender", sa.String(10), nullable=False),
        sa.Column("sender_staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", name="fk_conversation_messages_sender_staff_id_staff_accounts"),
                  nullable=True),
        sa.Column("sender_name", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=True),
        sa.Column("custom", sa.JSON, nullable=True),
        sa.Column("kind", sa.String(30), nullable=True),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("attachment_id", sa.Integer,
                  sa.ForeignKey("conversation_attachments.id",
                                name="fk_conversation_messages_attachment_id_conversation_attachments"),
                  nullable=True),
        sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("feedback", sa.String(10), nullable=True),
        _time("feedback_at"),
        _time("created_at", False),
        sa.CheckConstraint(_in("sender", SENDERS), name="ck_conversation_messages_sender"),
        sa.CheckConstraint(_in("mode", MODES), name="ck_conversation_messages_mode"),
        sa.UniqueConstraint("conversation_id", "client_id", name="uq_conversation_messages_client_id"),
    )
    op.create_index("ix_conversation_messages_conversation_id", "conversation_messages", ["conversation_id", "id"])
    op.create_index("ix_conversation_messages_created_at", "conversation_messages", ["created_at"])


def downgrade() -> None:
    op.drop_table("conversation_messages")
    op.drop_table("conversation_attachments")
    op.drop_table("conversations")
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("skills")
