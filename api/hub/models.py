"""Conversations, their messages and uploaded files: the transcript of every mode is stored here."""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Text, UniqueConstraint, false)

from api.core.database import Base
from api.org.models import StaffAccount, Unit  # noqa: F401 - foreign key targets
from api.core.sqltime import UTCDateTime

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

    id = Column(Integer, primary_key=True)
    identity = Column(String(80), nullable=False)  # "e:<USCC>" for a logged-in enterprise, "v:<id>" for a visitor
    rasa_sender = Column(String(64), nullable=False)  # Rasa's sender id: one tracker per conversation
    uscc = Column(String(18), nullable=True)
    enterprise_name = Column(String(200), nullable=True)
    unit_id = Column(Integer, ForeignKey("units.id", name="fk_conversations_unit_id_units"), nullable=False)
    mode = Column(String(10), nullable=False)
    tier = Column(String(10), nullable=True)
    skill = Column(String(40), nullable=True)
    reason = Column(String(40), nullable=True)  # why it went to a person: user_request, bot_failed, escalated, ...
    assigned_staff_id = Column(Integer, ForeignKey("staff_accounts.id", name="fk_conversations_assigned_staff_id_staff_accounts"),
                               nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    last_message_at = Column(UTCDateTime(), nullable=False)
    queued_at = Column(UTCDateTime(), nullable=True)
    assigned_at = Column(UTCDateTime(), nullable=True)
    first_response_at = Column(UTCDateTime(), nullable=True)  # a person's first answer
    closed_at = Column(UTCDateTime(), nullable=True)
    had_human = Column(Boolean, nullable=False, default=False, server_default=false())
    summary = Column(Text, nullable=True)
    rating = Column(Integer, nullable=True)
    rating_comment = Column(Text, nullable=True)
    rated_at = Column(UTCDateTime(), nullable=True)
    petition_ticket = Column(String(40), nullable=True)
    seat_read_id = Column(Integer, nullable=False, default=0, server_default="0")  # last message the seat has read

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.mode} {self.identity}>"


class Attachment(Base):
    __tablename__ = "conversation_attachments"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", name="fk_conversation_attachments_conversation_id_conversations"),
                             nullable=False, index=True)
    filename = Column(String(200), nullable=False)
    content_type = Column(String(60), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    data = Column(LargeBinary, nullable=False)  # in the database: every instance can serve it
    created_at = Column(UTCDateTime(), nullable=False)


class Message(Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        CheckConstraint(_in("sender", SENDERS), name="ck_conversation_messages_sender"),
        CheckConstraint(_in("mode", MODES), name="ck_conversation_messages_mode"),
        UniqueConstraint("conversation_id", "client_id", name="uq_conversation_messages_client_id"),
        Index("ix_conversation_messages_conversation_id", "conversation_id", "id"),
        Index("ix_conversation_messages_created_at", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", name="fk_conversation_messages_conversation_id_conversations"),
                             nullable=False)
    client_id = Column(String(64), nullable=True)
    sender = Column(String(10), nullable=False)
    sender_staff_id = Column(Integer, ForeignKey("staff_accounts.id", name="fk_conversation_messages_sender_staff_id_staff_accounts"),
                             nullable=True)
    sender_name = Column(String(100), nullable=False)
    mode = Column(String(10), nullable=False)  # the conversation's mode when the message was sent
    text = Column(Text, nullable=False, default="")
    buttons = Column(JSON, nullable=True)
    custom = Column(JSON, nullable=True)  # the bot's reply envelope, or a card a seat sent
    kind = Column(String(30), nullable=True)  # custom.kind, for filtering without reading JSON
    intent = Column(String(100), nullable=True)
    confidence = Column(Float, nullable=True)
    attachment_id = Column(Integer, ForeignKey("conversation_attachments.id",
                                               name="fk_conversation_messages_attachment_id_conversation_attachments"),
                           nullable=True)
    internal = Column(Boolean, nullable=False, default=False, server_default=false())  # seats only (notes)
    feedback = Column(String(10), nullable=True)  # useful / useless, on bot answers
    feedback_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.sender} conv={self.conversation_id}>"
