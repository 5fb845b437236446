"""Create and load units and staff accounts. Functions take the session as a keyword and never commit."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.database import get_or_404
from api.core.errors import Conflict, Invalid
from api.org.models import LEVELS, ROLES, UNIT_KINDS, StaffAccount, Unit

__all__ = ["create_unit", "create_staff", "get_unit", "get_staff"]


def create_unit(*, session: Session, name: str, level: str, kind: str, parent_id: int | None = None) -> Unit:
    name = (name or "").strip()
    if not name:
        raise Invalid("单位名称不能为空")
    if level not in LEVELS:
        raise Invalid(f"单位层级只能是：{'、'.join(LEVELS)}")
    if kind not in UNIT_KINDS:
        raise Invalid(f"单位类型只能是：{'、'.join(UNIT_KINDS)}")
    if parent_id is not None:
        parent = get_unit(parent_id, session=session)
        if LEVELS.index(parent.level) > LEVELS.index(level):
            raise Invalid(f"上级单位“{parent.name}”的层级低于本单位")
    unit = Unit(name=name, level=level, kind=kind, parent_id=parent_id)
    session.add(unit)
    session.flush()
    return unit


def create_staff(*, session: Session, username: str, display_name: str, role: str, unit_id: int,
                 password_hash: str | None = None, active: bool = True) -> StaffAccount:
    username = (username or "").strip()
    if not username or not (display_name or "").strip():
        raise Invalid("用户名和姓名不能为空")
    if role not in ROLES:
        raise Invalid(f"角色只能是：{'、'.join(ROLES)}")
    get_unit(unit_id, session=session)
    if session.execute(select(StaffAccount.id).where(StaffAccount.username == username)).first():
        raise Conflict(f"用户名“{username}”已被使用")
    staff = StaffAccount(username=username, display_name=display_name.strip(), role=role, unit_id=unit_id,
                         password_hash=password_hash, active=active)
    session.add(staff)
    session.flush()
    return staff


def get_unit(unit_id: int, *, session: Session) -> Unit:
    return get_or_404(session, Unit, unit_id, "单位")


def get_staff(staff_id: int, *, session: Session) -> StaffAccount:
    return get_or_404(session, StaffAccount, staff_id, "工作人员")
