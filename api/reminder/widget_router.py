"""/api/widget/reminders: the logged-in enterprise's 消息 list and read marks (visitor token + enterprise token)."""
from __future__ import annotations

from fastapi import APIRouter

from api.core.database import SessionDep
from api.core.errors import Forbidden
from api.core.time import aware_now
from api.hub.identity import Identity
from api.hub.widget_router import WidgetIdentity
from api.inputs import Id
from api.reminder import service
from api.reminder.schemas import OwnReminders, ReminderOut, reminder_wire

__all__ = ["router"]

router = APIRouter(prefix="/api/widget/reminders", tags=["widget"])


def _enterprise(identity: Identity) -> str:
    if not identity.uscc:
        raise Forbidden("登录电子税务局后可查看本企业的消息提醒", code="login_required")
    return identity.uscc


@router.get("", response_model=OwnReminders, summary="本企业的消息提醒，最新在前")
def reminders(identity: WidgetIdentity, session: SessionDep) -> dict:
    items = service.list_for(_enterprise(identity), session=session)
    return {"reminders": [reminder_wire(r) for r in items],
            "unread": sum(1 for r in items if r.read_at is None)}


@router.post("/{reminder_id}/read", response_model=ReminderOut, summary="标记提醒为已读")
def read(reminder_id: Id, identity: WidgetIdentity, session: SessionDep) -> dict:
    reminder = service.mark_read(reminder_id, _enterprise(identity), session=session, now=aware_now())
    session.commit()
    return reminder_wire(reminder)
