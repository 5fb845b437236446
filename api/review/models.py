"""Tables of conversation review (migration 0007): tags on conversations and marks on wrong bot turns."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from api.database import Base
from api.hub.models import Conversation, Message  # noqa: F401 - foreign key targets
from api.org.models import StaffAccount  # noqa: F401 - foreign key target
from api.petition.timing import UTCDateTime

__all__ = ["ReviewTag", "ReviewMark"]


class ReviewTag(Base):
    __tablename__ = "review_tags"
    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_review_tags_conversation_tag"),
        Index("ix_review_tags_tag", "tag", "conversation_id"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", name="fk_review_tags_conversation_id_conversations"),
                             nullable=False)
    tag = Column(String(20), nullable=False)
    created_by_staff_id = Column(Integer, ForeignKey("staff_accounts.id",
                                                     name="fk_review_tags_created_by_staff_id_staff_accounts"),
                                 nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)


class ReviewMark(Base):
    """A bot turn marked wrong, with what it should have been."""
    __tablename__ = "review_marks"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_review_marks_message_id"),
        Index("ix_review_marks_created_at", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("conversation_messages.id", name="fk_review_marks_message_id_conversation_messages"),
                        nullable=False)
    conversation_id = Column(Integer, ForeignKey("conversations.id", name="fk_review_marks_conversation_id_conversations"),
                             nullable=False)
    correct_intent = Column(String(100), nullable=True)
    correct_entry_id = Column(String(100), nullable=True)
    correct_topic = Column(String(100), nullable=True)
    note = Column(Text, nullable=True)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id", name="fk_review_marks_staff_id_staff_accounts"),
                      nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)
