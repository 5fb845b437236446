"""/api/notifications: the current staff member's notifications (their own and their unit's).

A notification addressed to someone else (another person, another unit) answers 404, as if it did
not exist. A unit notification read by one member is read for the whole unit.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth.deps import CurrentStaff
from api.database import SessionDep
from api.inputs import Id
from api.notification import service

__all__ = ["router", "NotificationRead", "NotificationList"]

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationRead(BaseModel):
    id: int
    created_at: datetime
    kind: str
    petition_id: Id
    message: str
    recipient_staff_id: Optional[int]
    recipient_unit_id: Optional[int]
    read_at: Optional[datetime]

    class Config:
        orm_mode = True


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationRead]


@router.get("", response_model=NotificationList, summary="我的通知（含本单位的通知），最新在前，及未读数")
def list_notifications(
    staff: CurrentStaff, session: SessionDep,
    unread_only: bool = Query(False, description="只看未读"),
    limit: int = Query(50, ge=1, le=200),
    before_id: Optional[Id] = Query(None, description="翻页：只列 id 小于此值的通知"),
) -> NotificationList:
    items = service.list_for_staff(staff, session=session, unread_only=unread_only, limit=limit, before_id=before_id)
    return NotificationList(unread=service.count_unread(staff, session=session),
                            items=[NotificationRead.from_orm(n) for n in items])


@router.post("/{notification_id}/read", response_model=NotificationRead, summary="标记为已读")
def mark_read(notification_id: Id, staff: CurrentStaff, session: SessionDep) -> NotificationRead:
    notification = service.get_for_staff(notification_id, staff, session=session)  # 404 if not the caller's
    service.mark_read([notification.id], staff, session=session)
    session.commit()
    session.refresh(notification)
    return NotificationRead.from_orm(notification)
