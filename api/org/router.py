"""/api/units: the units staff pick from in the pages (hand a petition to a service department, assign a
handling department, transfer one level up or down, register at a unit), and the regions each serves (属地).

For staff roles: the tree's names, levels and kinds and the regions — no people, no petitions. Whether a unit
may receive a step is still decided by the petition services (a wrong kind or level answers 422). Only an
admin sets a unit's regions (``PUT /api/units/{id}/regions``: the whole list, replaced; unknown unit 404, an
empty region 422, a region another unit of the same level serves 409). The rule: api.org.service.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import require_roles
from api.core.database import SessionDep
from api.inputs import CleanStr, Id
from api.org.models import ROLES, StaffAccount, Unit
from api.org.service import covered_regions, get_unit, set_regions, unit_regions

__all__ = ["router", "UnitRead", "UnitRegions", "RegionsUpdate"]

router = APIRouter(prefix="/api/units", tags=["units"])

Staff = Annotated[StaffAccount, Depends(require_roles(*ROLES))]
Admin = Annotated[StaffAccount, Depends(require_roles("admin"))]


class UnitRead(BaseModel):
    id: int
    name: str
    level: str
    kind: str
    parent_id: int | None = None


@router.get("", response_model=list[UnitRead], summary="单位列表（供转交、分办、上报下转时选择）")
def list_units(staff: Staff, session: SessionDep) -> list[UnitRead]:
    units = session.execute(select(Unit).order_by(Unit.id)).scalars().all()
    return [UnitRead(id=u.id, name=u.name, level=u.level, kind=u.kind, parent_id=u.parent_id) for u in units]


class UnitRegions(BaseModel):
    unit_id: int
    unit_name: str
    regions: list[str]  # listed for the unit itself
    covered: list[str]  # its own and those of every unit under it


class RegionsUpdate(BaseModel):
    regions: list[CleanStr]  # e.g. ["四川省成都市武侯区"]; a leading part (四川省成都市) covers every district under it


def _regions(unit_id: int, session: Session) -> UnitRegions:
    unit = get_unit(unit_id, session=session)
    return UnitRegions(unit_id=unit.id, unit_name=unit.name, regions=unit_regions(unit.id, session=session),
                       covered=covered_regions(unit.id, session=session))


@router.get("/{unit_id}/regions", response_model=UnitRegions, summary="单位负责的属地（本单位及下级单位）")
def read_regions(unit_id: Id, staff: Staff, session: SessionDep) -> UnitRegions:
    return _regions(unit_id, session)


@router.put("/{unit_id}/regions", response_model=UnitRegions, summary="设置单位负责的属地（系统管理员）")
def write_regions(unit_id: Id, body: RegionsUpdate, admin: Admin, session: SessionDep) -> UnitRegions:
    set_regions(unit_id, body.regions, session=session)
    session.commit()
    return _regions(unit_id, session)
