"""Operator dashboard: daily pre-aggregates, conversation facts, review tags, marks, audit log,
improvement drafts, and the indexes the aggregation and the review read on the hub's tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHANNELS = ("enterprise", "visitor")
OUTCOMES = ("petition", "handed_off", "fell_back", "clarified", "answered", "other")
DIMENSIONS = ("intent", "topic", "entry", "handoff_reason", "fallback_reason", "rating")
KINDS = ("nlu_example", "question_variant", "new_entry")
STATUSES = ("draft", "approved", "rejected")

HUB_INDEXES = (
    ("ix_conversation_messages_kind_created_at", "conversation_messages", ["kind", "created_at"]),
    ("ix_conversation_messages_feedback_at", "conversation_messages", ["feedback_at"]),
    ("ix_conversations_created_at", "conversations", ["created_at"]),
    ("ix_conversations_last_message_at", "conversations", ["last_message_at"]),
    ("ix_conversations_rated_at", "conversations", ["rated_at"]),
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _time(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _count(name):
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def _seconds(name):
    return sa.Column(name, sa.Float, nullable=False, server_default="0")


def _unit(table):
    return sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name=f"fk_{table}_unit_id_units"), nullable=False)


def _staff(table, column, nullable=True):
    return sa.Column(column, sa.Integer,
                     sa.ForeignKey("staff_accounts.id", name=f"fk_{table}_{column}_staff_accounts"), nullable=nullable)


def _key(table):
    return [sa.Column("id", sa.Integer, primary_key=True), sa.Column("day", sa.Date, nullable=False),
            sa.Column("channel", sa.String(10), nullable=False), _unit(table)]


def _seat_figures():
    return [_seconds("wait_seconds_sum"), _count("wait_count"), _seconds("first_response_seconds_sum"),
            _count("first_response_count"), _seconds("handling_seconds_sum"), _count("handling_count"),
            _count("rating_sum"), _count("rating_count"), _count("rating_satisfied")]


def upgrade() -> None:
    op.create_table(
        "analytics_days",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        _time("aggregated_at", False),
        sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
        sa.UniqueConstraint("day", name="uq_analytics_days_day"),
    )
    op.create_table(
        "analytics_daily",
        *_key("analytics_daily"),
        *[_count(name) for name in ("conversations", "engaged", "contained", "handed_off", "petitions", "messages",
                                    "user_messages", "bot_turns", "answered", "clarified", "fell_back", "handoff_turns",
                                    "feedback_useful", "feedback_useless", "seat_conversations")],
        *_seat_figures(),
        sa.UniqueConstraint("day", "channel", "unit_id", name="uq_analytics_daily_key"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="ck_analytics_daily_channel"),
    )
    op.create_table(
        "analytics_daily_keys",
        *_key("analytics_daily_keys"),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        _count("total"), _count("unanswered"), _count("useful"), _count("useless"),
        sa.UniqueConstraint("day", "channel", "unit_id", "dimension", "key", name="uq_analytics_daily_keys_key"),
        sa.CheckConstraint(_in("dimension", DIMENSIONS), name="ck_analytics_daily_keys_dimension"),
    )
    op.create_index("ix_analytics_daily_keys_dimension_day", "analytics_daily_keys", ["dimension", "day"])
    op.create_table(
        "analytics_daily_seats",
        *_key("analytics_daily_seats"),
        _staff("analytics_daily_seats", "staff_id", False),
        _count("conversations"),
        *_seat_figures(),
        sa.UniqueConstraint("day", "channel", "unit_id", "staff_id", name="uq_analytics_daily_seats_key"),
    )
    op.create_index("ix_analytics_daily_seats_day", "analytics_daily_seats", ["day"])
    op.create_table(
        "analytics_unanswered",
        *_key("analytics_unanswered"),
        sa.Column("terms", sa.String(300), nullable=False),
        _count("count"), _count("fallbacks"), _count("clarifies"),
        sa.Column("entry_id", sa.String(100), nullable=True),
        sa.Column("examples", sa.JSON, nullable=False),
        sa.UniqueConstraint("day", "channel", "unit_id", "terms", name="uq_analytics_unanswered_key"),
    )
    op.create_index("ix_analytics_unanswered_day", "analytics_unanswered", ["day"])
    op.create_table(
        "analytics_conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_analytics_conversations_conversation_id_conversations"),
                  nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("unit_id", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("engaged", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("contained", sa.Boolean, nullable=False, server_default=sa.false()),
        _count("user_messages"), _count("bot_turns"), _count("answered"), _count("clarified"), _count("fell_back"),
        sa.Column("intents", sa.String(500), nullable=False, server_default=" "),
        sa.Column("topics", sa.String(500), nullable=False, server_default=" "),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("first_question", sa.String(200), nullable=True),
        sa.UniqueConstraint("conversation_id", name="uq_analytics_conversations_conversation_id"),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name="ck_analytics_conversations_outcome"),
    )
    op.create_index("ix_analytics_conversations_day", "analytics_conversations", ["day", "conversation_id"])
    op.create_table(
        "analytics_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_analytics_search_conversation_id_conversations"),
                  nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("document", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False),
        sa.UniqueConstraint("conversation_id", name="uq_analytics_search_conversation_id"),
    )
    op.create_index("ix_analytics_search_day", "analytics_search", ["day"])
    op.create_index("ix_analytics_search_document", "analytics_search", ["document"], postgresql_using="gin")
    op.create_table(
        "review_tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_review_tags_conversation_id_conversations"),
                  nullable=False),
        sa.Column("tag", sa.String(20), nullable=False),
        _staff("review_tags", "created_by_staff_id"),
        _time("created_at", False),
        sa.UniqueConstraint("conversation_id", "tag", name="uq_review_tags_conversation_tag"),
    )
    op.create_index("ix_review_tags_tag", "review_tags", ["tag", "conversation_id"])
    op.create_table(
        "review_marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer,
                  sa.ForeignKey("conversation_messages.id", name="fk_review_marks_message_id_conversation_messages"),
                  nullable=False),
        sa.Column("conversation_id", sa.Integer,
                  sa.ForeignKey("conversations.id", name="fk_review_marks_conversation_id_conversations"),
                  nullable=False),
        sa.Column("correct_intent", sa.String(100), nullable=True),
        sa.Column("correct_entry_id", sa.String(100), nullable=True),
        sa.Column("correct_topic", sa.String(100), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        _staff("review_marks", "staff_id", False),
        _time("created_at", False), _time("updated_at", False),
        sa.UniqueConstraint("message_id", name="uq_review_marks_message_id"),
    )
    op.create_index("ix_review_marks_created_at", "review_marks", ["created_at"])
    op.create_table(
        "review_audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        _staff("review_audit_log", "staff_id", False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
        _time("at", False),
    )
    op.create_index("ix_review_audit_log_at", "review_audit_log", ["at"])
    op.create_table(
        "improvements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("source_message_id", sa.Integer,
                  sa.ForeignKey("conversation_messages.id",
                                name="fk_improvements_source_message_id_conversation_messages"),
                  nullable=True),
        sa.Column("source_mark_id", sa.Integer,
                  sa.ForeignKey("review_marks.id", name="fk_improvements_source_mark_id_review_marks"), nullable=True),
        sa.Column("source_group", sa.String(40), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        _staff("improvements", "created_by_staff_id", False),
        _time("created_at", False),
        _staff("improvements", "decided_by_staff_id"),
        _time("decided_at"),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.Column("applied_file", sa.String(300), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_improvements_kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_improvements_status"),
    )
    op.create_index("ix_improvements_status", "improvements", ["status", "id"])
    for name, table, columns in HUB_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(HUB_INDEXES):
        op.drop_index(name, table_name=table)
    if "analytics_search" in sa.inspect(op.get_bind()).get_table_names():  # absent in an early draft of 0007
        op.drop_table("analytics_search")
    for table in ("improvements", "review_audit_log", "review_marks", "review_tags", "analytics_conversations",
                  "analytics_unanswered", "analytics_daily_seats", "analytics_daily_keys", "analytics_daily",
                  "analytics_days"):
        op.drop_table(table)
