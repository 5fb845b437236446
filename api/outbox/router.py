"""The enterprise's notices in the widget (/api/widget/notices) and, for staff, what a petition's
enterprise was told and what became of each SMS (/api/petitions/{id}/notices)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.auth.deps import CurrentStaff, require_roles
from api.core.database import SessionDep
from api.core.errors import Forbidden
from api.core.time import aware_now
from api.hub.identity import Identity
from api.hub.widget_router import WidgetIdentity
from api.inputs import Id
from api.outbox import service
from api.outbox.models import EnterpriseNotice
from api.petition.access import READ_ROLES, get_visible

__all__ = ["widget_router", "staff_router"]

widget_router = APIRouter(prefix="/api/widget/notices", tags=["widget"])
staff_router = APIRouter(prefix="/api/petitions", tags=["petitions"], dependencies=[Depends(require_roles(*READ_ROLES))])


class NoticeRead(BaseModel):
    id: int
    petition_id: int | None = None
    repair_id: int | None = None
    ticket: str | None = None
    kind: str
    text: str
    created_at: datetime
    read_at: datetime | None = None


class NoticeList(BaseModel):
    notices: list[NoticeRead]
    unread: int


class SmsRead(BaseModel):
    status: str
    attempts: int
    last_error: str | None = None
    updated_at: datetime


class StaffNoticeRead(NoticeRead):
    chat_delivered_at: datetime | None = None
    sms: SmsRead | None = None


def _wire(notice: EnterpriseNotice) -> dict[str, Any]:
    return {key: getattr(notice, key) for key in ("id", "petition_id", "repair_id", "ticket", "kind", "text", "created_at", "read_at")}


def _enterprise(identity: Identity) -> str:
    if not identity.uscc:
        raise Forbidden("登录电子税务局后可查看本企业诉求的办理消息", code="login_required")
    return identity.uscc


@widget_router.get("", response_model=NoticeList,
                   summary="本企业诉求的办理消息（告知、延期、结果、回访）和信用修复审核结果，最新在前")
def notices(identity: WidgetIdentity, session: SessionDep) -> NoticeList:
    items = service.list_for(_enterprise(identity), session=session)
    return NoticeList(notices=[NoticeRead(**_wire(n)) for n in items], unread=sum(1 for n in items if n.read_at is None))


@widget_router.post("/{notice_id}/read", response_model=NoticeRead, summary="标记办理消息为已读")
def read(notice_id: Id, identity: WidgetIdentity, session: SessionDep) -> NoticeRead:
    notice = service.mark_read(notice_id, _enterprise(identity), session=session, now=aware_now())
    session.commit()
    return NoticeRead(**_wire(notice))


@staff_router.get("/{petition_id}/notices", response_model=list[StaffNoticeRead],
                  summary="告知企业的消息及短信发送情况")
def petition_notices(petition_id: Id, staff: CurrentStaff, session: SessionDep) -> list[StaffNoticeRead]:
    get_visible(petition_id, staff, session=session)
    return [StaffNoticeRead(**_wire(notice), chat_delivered_at=notice.chat_delivered_at,
                            sms=SmsRead(status=sms.status, attempts=sms.attempts, last_error=sms.last_error,
                                        updated_at=sms.updated_at) if sms else None)
            for notice, sms in service.list_for_petition(petition_id, session=session)]
