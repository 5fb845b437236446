"""Improvements to the bot (migration 0007, applied state 0011): a draft, its approval, and when the retrain job
(:mod:`api.improvement.scheduled`) wrote it to the bot's files and which model learnt it. The database is the
system of record; the knowledge and NLU files are written from it by that one job."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.org.models import StaffAccount  # noqa: F401 - foreign key target
from api.review.models import ReviewMark  # noqa: F401 - foreign key target

__all__ = ["IMPROVEMENT_KINDS", "IMPROVEMENT_KIND_LABELS", "IMPROVEMENT_STATUSES", "IMPROVEMENT_STATUS_LABELS",
           "Improvement"]

IMPROVEMENT_KINDS = ("nlu_example", "question_variant", "new_entry")
IMPROVEMENT_STATUSES = ("draft", "approved", "rejected")
IMPROVEMENT_KIND_LABELS = {"nlu_example": "意图例句", "question_variant": "知识问法", "new_entry": "新知识条目"}
IMPROVEMENT_STATUS_LABELS = {"draft": "待审核", "approved": "已通过", "rejected": "已驳回"}


def _in(column: str, values: Iterable[str]) -> str:
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

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_messages.id",
                                                   name="fk_improvements_source_message_id_conversation_messages"))
    source_mark_id: Mapped[int | None] = mapped_column(ForeignKey("review_marks.id", name="fk_improvements_source_mark_id_review_marks"))
    source_group: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id",
                                                     name="fk_improvements_created_by_staff_id_staff_accounts"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id",
                                                     name="fk_improvements_decided_by_staff_id_staff_accounts"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    applied_file: Mapped[str | None] = mapped_column(String(300))  # written there by the retrain job
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the model that learnt it was loaded
    applied_model: Mapped[str | None] = mapped_column(String(100))  # that model's name (models/<name>.tar.gz as trained)
    apply_error: Mapped[str | None] = mapped_column(Text)  # why the job could not write it (the files changed meanwhile)
