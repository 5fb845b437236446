"""Conversations, their messages and uploaded files: the transcript of every mode is stored here."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets

__all__ = ["MODES", "TIERS", "SENDERS", "MODE_LABELS", "TIER_LABELS", "SENDER_LABELS", "HANDOFF_STATUS_LABELS",
           "Conversation", "Message", "Attachment"]

MODES = ("bot", "queued", "human", "closed")
TIERS = ("staff", "expert")
SENDERS = ("user", "bot", "staff", "expert", "system")
MODE_LABELS = {"bot": "智能助手服务中", "queued": "排队等待人工", "human": "人工服务中", "closed": "已结束"}
TIER_LABELS = {"staff": "税务干部", "expert": "税务专家"}
SENDER_LABELS = {"user": "企业", "bot": "智能助手", "staff": "税务干部", "expert": "税务专家", "system": "系统消息"}
HANDOFF_STATUS_LABELS = {"queued": "排队中", "assigned": "已接入", "offline": "暂无坐席在线"}
"""The ``status`` of a ``handoff`` reply (DESIGN.md, reply envelope)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="ck_conversations_mode"),
        CheckConstraint(f"tier IS NULL OR {_in('tier', TIERS)}", name="ck_conversations_tier"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_conversations_rating"),
        UniqueConstraint("rasa_sender", name="uq_conversations_rasa_sender"),
        Index("ix_conversations_identity", "identity", "id"),
        Index("ix_conversations_queue", "unit_id", "mode", "tier", "queued_at"),
        Index("ix_conversations_assigned", "assigned_staff_id", "mode"),
        Index("ix_conversations_uscc", "uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identity: Mapped[str] = mapped_column(String(80))  # "e:<USCC>" for a logged-in enterprise, "v:<id>" for a visitor
    rasa_sender: Mapped[str] = mapped_column(String(64))  # Rasa's sender id: one tracker per conversation
    uscc: Mapped[str | None] = mapped_column(String(18))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", name="fk_conversations_unit_id_units"))
    mode: Mapped[str] = mapped_column(String(10))
    tier: Mapped[str | None] = mapped_column(String(10))
    skill: Mapped[str | None] = mapped_column(String(40))
    # why it went to a person: user_request, bot_failed, escalated, ...
    reason: Mapped[str | None] = mapped_column(String(40))
    assigned_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_conversations_assigned_staff_id_staff_accounts"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime())
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a person's first answer
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    had_human: Mapped[bool] = mapped_column(default=False, server_default=false())
    summary: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    petition_ticket: Mapped[str | None] = mapped_column(String(40))
    seat_read_id: Mapped[int] = mapped_column(default=0, server_default="0")  # last message the seat has read

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.mode} {self.identity}>"


class Attachment(Base):
    __tablename__ = "conversation_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", name="fk_conversation_attachments_conversation_id_conversations"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column()  # in the database: every instance can serve it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        CheckConstraint(_in("sender", SENDERS), name="ck_conversation_messages_sender"),
        CheckConstraint(_in("mode", MODES), name="ck_conversation_messages_mode"),
        UniqueConstraint("conversation_id", "client_id", name="uq_conversation_messages_client_id"),
        Index("ix_conversation_messages_conversation_id", "conversation_id", "id"),
        Index("ix_conversation_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", name="fk_conversation_messages_conversation_id_conversations"))
    client_id: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(10))
    sender_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_conversation_messages_sender_staff_id_staff_accounts"))
    sender_name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(10))  # the conversation's mode when the message was sent
    text: Mapped[str] = mapped_column(Text, default="")
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the bot's reply envelope, or a card a seat sent
    kind: Mapped[str | None] = mapped_column(String(30))  # custom.kind, for filtering without reading JSON
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column()
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation_attachments.id", name="fk_conversation_messages_attachment_id_conversation_attachments"))
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())  # seats only (notes)
    feedback: Mapped[str | None] = mapped_column(String(10))  # useful / useless, on bot answers
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.sender} conv={self.conversation_id}>"
