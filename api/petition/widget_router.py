"""/api/widget/petitions: a logged-in enterprise's own petitions with their clocks, and its rating of how one
was handled (once the result was fed back; once). Visitors are told to log in; another enterprise's petition
answers as one that does not exist."""
from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from api.core.database import SessionDep
from api.core.errors import Conflict, Forbidden, NotFound
from api.core.time import aware_now, china_date, time_left
from api.hub.identity import Identity
from api.hub.widget_router import WidgetIdentity
from api.inputs import CleanStr, Id, bounded_int
from api.petition.constants import Status
from api.petition.internal import promised_due
from api.petition.models import Petition

__all__ = ["router", "RATABLE"]

router = APIRouter(prefix="/api/widget/petitions", tags=["widget"])

RATABLE = (Status.fed_back, Status.visited, Status.closed)
"""The enterprise rates the handling once it has heard the result."""
LIMIT = 50


class OwnPetition(BaseModel):
    id: int
    ticket: str
    category: str
    status: str
    content: str
    received_at: datetime
    due_date: date | None = None  # the handling deadline promised (moves with an approved extension)
    days_left: int | None = None  # working days to due_date while open; negative = late; None when done or untimed
    result: str | None = None  # the result, once fed back
    may_rate: bool
    rating: int | None = None
    rating_note: str | None = None


class OwnPetitions(BaseModel):
    petitions: list[OwnPetition]


class RatingRequest(BaseModel):
    satisfaction: bounded_int(1, 5, strict=True)
    note: CleanStr | None = None


def _enterprise(identity: Identity) -> str:
    if not identity.uscc:
        raise Forbidden("登录电子税务局后可查看本企业的诉求", code="login_required")
    return identity.uscc


def _own(petition: Petition, today: date) -> OwnPetition:
    status = Status(petition.status)
    due = promised_due(petition)
    heard = status in RATABLE
    return OwnPetition(id=petition.id, ticket=petition.ticket, category=petition.category, status=status.value,
                       content=petition.content, received_at=petition.received_at, due_date=due,
                       days_left=None if heard or petition.resolved_at else time_left(due, today),
                       result=petition.resolution if heard else None,
                       may_rate=heard and petition.enterprise_rating is None, rating=petition.enterprise_rating,
                       rating_note=petition.enterprise_rating_note)


@router.get("", response_model=OwnPetitions, summary="本企业的诉求及办理时限，最新在前")
def own_petitions(identity: WidgetIdentity, session: SessionDep) -> OwnPetitions:
    uscc = _enterprise(identity)
    rows = session.execute(select(Petition).where(Petition.uscc == uscc)
                           .order_by(Petition.received_at.desc(), Petition.id.desc()).limit(LIMIT)).scalars()
    today = china_date(aware_now())
    return OwnPetitions(petitions=[_own(p, today) for p in rows])


@router.post("/{petition_id}/rating", response_model=OwnPetition, summary="评价诉求的办理（收到办理结果后，限一次）")
def rate(petition_id: Id, body: RatingRequest, identity: WidgetIdentity, session: SessionDep) -> OwnPetition:
    uscc = _enterprise(identity)
    petition = session.execute(select(Petition).where(Petition.id == petition_id, Petition.uscc == uscc)
                               .with_for_update()).scalar_one_or_none()
    if petition is None:
        raise NotFound("没有找到这件诉求", code="petition_not_found")
    if Status(petition.status) not in RATABLE:
        raise Conflict("收到办理结果后才能评价", code="not_yet_ratable")
    if petition.enterprise_rating is not None:
        raise Conflict("这件诉求您已经评价过了，感谢您的反馈", code="already_rated")
    now = aware_now()
    petition.enterprise_rating, petition.enterprise_rated_at = body.satisfaction, now
    petition.enterprise_rating_note = (body.note or "").strip()[:500] or None
    session.commit()
    return _own(petition, china_date(now))
