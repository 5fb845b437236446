"""The audit log of unmasked views (table ``review_audit_log``, created by migration 0007 for the dashboard,
now written by every feature through :func:`api.privacy.policy.audit`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.core.database import Base
from api.core.sqltime import UTCDateTime
from api.org.models import StaffAccount  # noqa: F401 - foreign key target

__all__ = ["AuditEntry"]


class AuditEntry(Base):
    """Every unmasked view or export: who, what (``action``, ``subject``, and in ``detail`` the purpose, the
    fields and the records shown), when. One row per request, never one per record shown."""
    __tablename__ = "review_audit_log"
    __table_args__ = (Index("ix_review_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_accounts.id", name="fk_review_audit_log_staff_id_staff_accounts"))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
