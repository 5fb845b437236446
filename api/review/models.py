"""Tables of conversation review (migration 0007): tags on conversations and marks on wrong bot turns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.hub.models import Conversation, Message  # noqa: F401 - foreign key targets
from api.org.models import StaffAccount  # noqa: F401 - foreign key target

__all__ = ["ReviewTag", "ReviewMark"]


class ReviewTag(Base):
    __tablename__ = "review_tags"
    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_review_tags_conversation_tag"),
        Index("ix_review_tags_tag", "tag", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", name="fk_review_tags_conversation_id_conversations"))
    tag: Mapped[str] = mapped_column(String(20))
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id",
                                                     name="fk_review_tags_created_by_staff_id_staff_accounts"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReviewMark(Base):
    """A bot turn marked wrong, with what it should have been."""
    __tablename__ = "review_marks"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_review_marks_message_id"),
        Index("ix_review_marks_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("conversation_messages.id", name="fk_review_marks_message_id_conversation_messages"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", name="fk_review_marks_conversation_id_conversations"))
    correct_intent: Mapped[str | None] = mapped_column(String(100))
    correct_entry_id: Mapped[str | None] = mapped_column(String(100))
    correct_topic: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", name="fk_review_marks_staff_id_staff_accounts"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
