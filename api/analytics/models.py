"""Tables of the dashboard's analytics (migration 0007): daily pre-aggregates, per-conversation facts and
search documents. Review tags and marks are :mod:`api.review.models`, improvements
:mod:`api.improvement.models`; the audit log of unmasked views (``review_audit_log``, created by migration 0007)
is :class:`api.privacy.models.AuditEntry`.

The pre-aggregated tables are rebuilt a day at a time by :mod:`api.analytics.aggregate` (delete +
insert), so they hold nothing that cannot be recomputed from the hub's tables. Keys: ``day`` is an
Asia/Shanghai date; ``channel`` is the identity kind (``enterprise``: a logged-in enterprise,
``visitor``: an anonymous widget user); ``unit_id`` the unit that serves the conversation.

Indexes this package needs on the hub's tables are declared here too (as petition/indexes.py does
for petitions), so the models and migration 0007 agree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.hub.models import Conversation, Message
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets

__all__ = ["CHANNELS", "CHANNEL_LABELS", "OUTCOMES", "OUTCOME_LABELS", "DIMENSIONS",
           "AnalyticsDayRun", "DailyFigures", "DailyKey", "DailySeat", "UnansweredGroup", "ConversationFact",
           "ConversationSearch", "HUB_INDEXES"]

CHANNELS = ("enterprise", "visitor")
CHANNEL_LABELS = {"enterprise": "登录企业", "visitor": "访客"}
OUTCOMES = ("petition", "handed_off", "fell_back", "clarified", "answered", "other")  # precedence order
OUTCOME_LABELS = {"petition": "转诉求", "handed_off": "转人工", "fell_back": "未能回答", "clarified": "澄清追问",
                  "answered": "已回答", "other": "其他"}
DIMENSIONS = ("intent", "topic", "entry", "handoff_reason", "fallback_reason", "rating")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _count() -> MappedColumn[int]:
    return mapped_column(Integer, default=0, server_default="0")


def _seconds() -> MappedColumn[float]:
    return mapped_column(Float, default=0.0, server_default="0")


def _unit_fk(table: str) -> ForeignKey:
    return ForeignKey("units.id", name=f"fk_{table}_unit_id_units")


class AnalyticsDayRun(Base):
    """When each day was last aggregated (the dashboard's ``as_of``)."""
    __tablename__ = "analytics_days"
    __table_args__ = (UniqueConstraint("day", name="uq_analytics_days_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    aggregated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")


class DailyFigures(Base):
    """One row per (day, channel, unit): conversation counts by the conversation's creation day, turn counts
    by the message's day (see docs/dashboard-api.md for the definitions)."""
    __tablename__ = "analytics_daily"
    __table_args__ = (
        UniqueConstraint("day", "channel", "unit_id", name="uq_analytics_daily_key"),
        CheckConstraint(_in("channel", CHANNELS), name="ck_analytics_daily_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(_unit_fk("analytics_daily"))
    conversations: Mapped[int] = _count()
    engaged: Mapped[int] = _count()
    contained: Mapped[int] = _count()
    handed_off: Mapped[int] = _count()
    petitions: Mapped[int] = _count()
    messages: Mapped[int] = _count()
    user_messages: Mapped[int] = _count()
    bot_turns: Mapped[int] = _count()
    answered: Mapped[int] = _count()
    clarified: Mapped[int] = _count()
    fell_back: Mapped[int] = _count()
    handoff_turns: Mapped[int] = _count()
    feedback_useful: Mapped[int] = _count()
    feedback_useless: Mapped[int] = _count()
    seat_conversations: Mapped[int] = _count()
    wait_seconds_sum: Mapped[float] = _seconds()
    wait_count: Mapped[int] = _count()
    first_response_seconds_sum: Mapped[float] = _seconds()
    first_response_count: Mapped[int] = _count()
    handling_seconds_sum: Mapped[float] = _seconds()
    handling_count: Mapped[int] = _count()
    rating_sum: Mapped[int] = _count()
    rating_count: Mapped[int] = _count()
    rating_satisfied: Mapped[int] = _count()


class DailyKey(Base):
    """Counts per (day, channel, unit, dimension, key): intents (turns, unanswered), topics (answers, clarify
    offers as ``unanswered``, feedback), entries (answers, feedback), handoff reasons (conversations),
    fallback reasons (turns), ratings 1–5 (conversations)."""
    __tablename__ = "analytics_daily_keys"
    __table_args__ = (
        UniqueConstraint("day", "channel", "unit_id", "dimension", "key", name="uq_analytics_daily_keys_key"),
        CheckConstraint(_in("dimension", DIMENSIONS), name="ck_analytics_daily_keys_dimension"),
        Index("ix_analytics_daily_keys_dimension_day", "dimension", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(_unit_fk("analytics_daily_keys"))
    dimension: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))
    total: Mapped[int] = _count()
    unanswered: Mapped[int] = _count()
    useful: Mapped[int] = _count()
    useless: Mapped[int] = _count()


class DailySeat(Base):
    """Seat figures per (day, channel, unit, staff) of the conversations created that day; the seat is the one
    that last held the conversation (or, handed back, the first one that answered)."""
    __tablename__ = "analytics_daily_seats"
    __table_args__ = (
        UniqueConstraint("day", "channel", "unit_id", "staff_id", name="uq_analytics_daily_seats_key"),
        Index("ix_analytics_daily_seats_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(_unit_fk("analytics_daily_seats"))
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_analytics_daily_seats_staff_id_staff_accounts"))
    conversations: Mapped[int] = _count()
    wait_seconds_sum: Mapped[float] = _seconds()
    wait_count: Mapped[int] = _count()
    first_response_seconds_sum: Mapped[float] = _seconds()
    first_response_count: Mapped[int] = _count()
    handling_seconds_sum: Mapped[float] = _seconds()
    handling_count: Mapped[int] = _count()
    rating_sum: Mapped[int] = _count()
    rating_count: Mapped[int] = _count()
    rating_satisfied: Mapped[int] = _count()


class UnansweredGroup(Base):
    """Unanswered bot turns (fallback, clarify) of a day with the same term set of the user's question."""
    __tablename__ = "analytics_unanswered"
    __table_args__ = (
        UniqueConstraint("day", "channel", "unit_id", "terms", name="uq_analytics_unanswered_key"),
        Index("ix_analytics_unanswered_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(_unit_fk("analytics_unanswered"))
    terms: Mapped[str] = mapped_column(String(300))  # the sorted analyzer terms joined by spaces; "" when none
    count: Mapped[int] = _count()
    fallbacks: Mapped[int] = _count()
    clarifies: Mapped[int] = _count()
    entry_id: Mapped[str | None] = mapped_column(String(100))  # the entry the retriever ranked first most often
    # newest first, ≤ 5: {message_id, user_message_id, conversation_id, text, kind, names}
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class ConversationFact(Base):
    """One row per conversation: what the review list filters on and the outcome behind the daily numbers."""
    __tablename__ = "analytics_conversations"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="ck_analytics_conversations_outcome"),
        UniqueConstraint("conversation_id", name="uq_analytics_conversations_conversation_id"),
        Index("ix_analytics_conversations_day", "day", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", name="fk_analytics_conversations_conversation_id_conversations"))
    day: Mapped[date] = mapped_column()
    channel: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(12))
    engaged: Mapped[bool] = mapped_column(default=False, server_default=false())
    contained: Mapped[bool] = mapped_column(default=False, server_default=false())
    user_messages: Mapped[int] = _count()
    bot_turns: Mapped[int] = _count()
    answered: Mapped[int] = _count()
    clarified: Mapped[int] = _count()
    fell_back: Mapped[int] = _count()
    intents: Mapped[str] = mapped_column(String(500), default=" ", server_default=" ")  # " a b " for LIKE '% a %'
    topics: Mapped[str] = mapped_column(String(500), default=" ", server_default=" ")
    rating: Mapped[int | None] = mapped_column()
    staff_id: Mapped[int | None] = mapped_column()
    first_question: Mapped[str | None] = mapped_column(String(200))


class ConversationSearch(Base):
    """PostgreSQL only: a conversation's text as positioned character bigrams (api.review.search), GIN-indexed.
    Apart from the facts so that their rows stay narrow for the review's other filters. Empty on SQLite, where
    the text filter reads the messages."""
    __tablename__ = "analytics_search"
    __table_args__ = (
        UniqueConstraint("conversation_id", name="uq_analytics_search_conversation_id"),
        Index("ix_analytics_search_day", "day"),
        Index("ix_analytics_search_document", "document", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", name="fk_analytics_search_conversation_id_conversations"))
    day: Mapped[date] = mapped_column()
    document: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


# -- indexes on the hub's tables that the aggregation, the sweep and the review need --------------
HUB_INDEXES = (
    Index("ix_conversation_messages_kind_created_at", Message.kind, Message.created_at),  # unanswered turns of a day
    Index("ix_conversation_messages_feedback_at", Message.feedback_at),  # days whose feedback changed
    Index("ix_conversations_created_at", Conversation.created_at),  # a day's conversations
    Index("ix_conversations_last_message_at", Conversation.last_message_at),  # days whose conversations changed
    Index("ix_conversations_rated_at", Conversation.rated_at),  # days whose ratings changed
)
