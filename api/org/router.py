"""/api/units: the units staff pick from in the pages (hand a petition to a service department, assign a
handling department, transfer one level up or down, register at a unit).

Read only and for staff roles: the tree's names, levels and kinds — no people, no petitions. Whether a unit
may receive a step is still decided by the petition services (a wrong kind or level answers 422).
"""
from __future__ import annotations

from typing import Annotated, List, Optional

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from api.auth.deps import require_roles
from api.database import SessionDep
from api.org.models import ROLES, StaffAccount, Unit

__all__ = ["router", "UnitRead"]

router = APIRouter(prefix="/api/units", tags=["units"])

Staff = Annotated[StaffAccount, Depends(require_roles(*ROLES))]


class UnitRead(BaseModel):
    id: int
    name: str
    level: str
    kind: str
    parent_id: Optional[int] = None


@router.get("", response_model=List[UnitRead], summary="单位列表（供转交、分办、上报下转时选择）")
def list_units(staff: Staff, session: SessionDep) -> List[UnitRead]:
    units = session.execute(select(Unit).order_by(Unit.id)).scalars().all()
    return [UnitRead(id=u.id, name=u.name, level=u.level, kind=u.kind, parent_id=u.parent_id) for u in units]
