"""Improvements to the bot (migration 0007, applied state 0011): a draft, its approval, and when the retrain job
(:mod:`api.improvement.scheduled`) wrote it to the bot's files and which model learnt it. The database is the
system of record; the knowledge and NLU files are written from it by that one job."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text

from api.database import Base
from api.org.models import StaffAccount  # noqa: F401 - foreign key target
from api.petition.timing import UTCDateTime
from api.review.models import ReviewMark  # noqa: F401 - foreign key target

__all__ = ["IMPROVEMENT_KINDS", "IMPROVEMENT_KIND_LABELS", "IMPROVEMENT_STATUSES", "IMPROVEMENT_STATUS_LABELS",
           "Improvement"]

IMPROVEMENT_KINDS = ("nlu_example", "question_variant", "new_entry")
IMPROVEMENT_STATUSES = ("draft", "approved", "rejected")
IMPROVEMENT_KIND_LABELS = {"nlu_example": "意图例句", "question_variant": "知识问法", "new_entry": "新知识条目"}
IMPROVEMENT_STATUS_LABELS = {"draft": "待审核", "approved": "已通过", "rejected": "已驳回"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Improvement(Base):
    """A proposed change to the training data or the knowledge base: draft → approved | rejected. Approving only
    changes the row; the retrain job writes an approved one to its file (``applied_file``), trains, loads the model
    and stamps ``applied_at`` and ``applied_model``. One the files no longer accept keeps ``apply_error`` and is not
    tried again."""
    __tablename__ = "improvements"
    __table_args__ = (
        CheckConstraint(_in("kind", IMPROVEMENT_KINDS), name="ck_improvements_kind"),
        CheckConstraint(_in("status", IMPROVEMENT_STATUSES), name="ck_improvements_status"),
        Index("ix_improvements_status", "status", "id"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    status = Column(String(10), nullable=False)
    payload = Column(JSON, nullable=False)
    source_message_id = Column(Integer, ForeignKey("conversation_messages.id",
                                                   name="fk_improvements_source_message_id_conversation_messages"),
                               nullable=True)
    source_mark_id = Column(Integer, ForeignKey("review_marks.id", name="fk_improvements_source_mark_id_review_marks"),
                            nullable=True)
    source_group = Column(String(40), nullable=True)
    note = Column(Text, nullable=True)
    created_by_staff_id = Column(Integer, ForeignKey("staff_accounts.id",
                                                     name="fk_improvements_created_by_staff_id_staff_accounts"),
                                 nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    decided_by_staff_id = Column(Integer, ForeignKey("staff_accounts.id",
                                                     name="fk_improvements_decided_by_staff_id_staff_accounts"),
                                 nullable=True)
    decided_at = Column(UTCDateTime(), nullable=True)
    decision_note = Column(Text, nullable=True)
    applied_file = Column(String(300), nullable=True)  # written there by the retrain job
    applied_at = Column(UTCDateTime(), nullable=True)  # when the model that learnt it was loaded
    applied_model = Column(String(100), nullable=True)  # that model's name (models/<name>.tar.gz as trained)
    apply_error = Column(Text, nullable=True)  # why the job could not write it (the files changed meanwhile)
