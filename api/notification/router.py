"""/api/notifications: the current staff member's notifications (their own and their unit's).

A notification addressed to someone else (another person, another unit) answers 404, as if it did
not exist. A unit notification read by one member is read for the whole unit.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.auth.deps import CurrentStaff
from api.core.database import SessionDep
from api.inputs import Id
from api.notification import service

__all__ = ["router", "NotificationRead", "NotificationList", "NotificationSummary", "GroupRead"]

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationRead(BaseModel):
    id: int
    created_at: datetime
    kind: str
    petition_id: Id
    message: str
    recipient_staff_id: int | None = None
    recipient_unit_id: int | None = None
    read_at: datetime | None = None

    model_config = ConfigDict(from_attributes=True)


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationRead]


@router.get("", response_model=NotificationList, summary="我的通知（含本单位的通知），最新在前，及未读数")
def list_notifications(
    staff: CurrentStaff, session: SessionDep,
    unread_only: bool = Query(False, description="只看未读"),
    limit: int = Query(50, ge=1, le=200),
    before_id: Id | None = Query(None, description="翻页：只列 id 小于此值的通知"),
) -> NotificationList:
    items = service.list_for_staff(staff, session=session, unread_only=unread_only, limit=limit, before_id=before_id)
    return NotificationList(unread=service.count_unread(staff, session=session),
                            items=[NotificationRead.model_validate(n) for n in items])


class SummaryItem(BaseModel):
    id: int
    petition_id: int
    ticket: str
    message: str
    created_at: datetime


class NotificationGroup(BaseModel):
    kind: str
    label: str
    count: int  # unread notifications of the kind
    petitions: int  # the petitions they are about
    text: str  # "12 件诉求即将到期"
    latest_at: datetime | None = None
    items: list[SummaryItem]  # the newest ones
    more: int  # unread of the kind beyond items


class NotificationSummary(BaseModel):
    unread: int
    groups: list[NotificationGroup]


class GroupReadRequest(BaseModel):
    up_to_id: Id | None = None


class GroupRead(BaseModel):
    kind: str
    marked: int
    unread: int


@router.get("/summary", response_model=NotificationSummary,
            summary="未读通知按类别汇总（如“12 件诉求即将到期”），最紧急的在前，每类附最新的若干条")
def summary(staff: CurrentStaff, session: SessionDep,
            per_group: int = Query(20, ge=0, le=100, description="每类列出的最新通知条数")) -> NotificationSummary:
    return NotificationSummary.model_validate({"unread": service.count_unread(staff, session=session),
                                               "groups": service.unread_groups(staff, session=session,
                                                                               per_group=per_group)})


@router.post("/groups/{kind}/read", response_model=GroupRead, summary="将一类未读通知全部标记为已读")
def mark_group_read(kind: Literal["due_soon", "overdue", "escalated"], staff: CurrentStaff, session: SessionDep,
                    body: GroupReadRequest | None = None) -> GroupRead:
    marked = service.mark_group_read(kind, staff, session=session, up_to_id=body.up_to_id if body else None)
    session.commit()
    return GroupRead(kind=kind, marked=marked, unread=service.count_unread(staff, session=session))


@router.post("/{notification_id}/read", response_model=NotificationRead, summary="标记为已读")
def mark_read(notification_id: Id, staff: CurrentStaff, session: SessionDep) -> NotificationRead:
    notification = service.get_for_staff(notification_id, staff, session=session)  # 404 if not the caller's
    service.mark_read([notification.id], staff, session=session)
    session.commit()
    session.refresh(notification)
    return NotificationRead.model_validate(notification)
