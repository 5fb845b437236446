"""Create and load units and staff accounts; the regions units serve and the unit that serves an enterprise (属地).
Functions take the session as a keyword and never commit.

属地, the rule (docs/petitions.md): a unit serves the regions listed for it (``unit_regions``), each written as
``enterprises.region`` is or as a leading part of it (四川省成都市 covers 四川省成都市武侯区). A region served by a unit is
also under every unit above it (``covered_regions``). A logged-in enterprise's petitions and conversations go to the
most specific unit serving its region (``serving_unit``): the longest matching region, then the lowest level
(district before city before province), then the oldest unit. A visitor, an enterprise without a profile, or a region
no unit serves: the intake unit (``intake_unit``).
"""
from __future__ import annotations

import logging

from sqlalchemy import delete, func, literal, select
from sqlalchemy.orm import Session

from api.core.database import get_or_404
from api.core.errors import Conflict, Invalid
from api.enterprise.models import Enterprise
from api.org.models import LEVEL_LABELS, LEVELS, ROLES, UNIT_KINDS, StaffAccount, Unit, UnitRegion
from api.settings import Settings

__all__ = ["create_unit", "create_staff", "get_unit", "get_staff", "intake_unit", "LEGACY_INTAKE_NAME",
           "normalize_region", "set_regions", "unit_regions", "covered_regions", "subtree_ids", "unit_serving_region",
           "serving_unit", "bureau_of", "REGION_MAX"]

log = logging.getLogger(__name__)

LEGACY_INTAKE_NAME = "智能助手"  # the intake unit's default name before it was 在线导办服务中心
REGION_MAX = 100  # as enterprises.region
REGIONS_MAX = 500


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


def get_unit(unit_id: int | None, *, session: Session) -> Unit:
    return get_or_404(session, Unit, unit_id, "单位")


def get_staff(staff_id: int, *, session: Session) -> StaffAccount:
    return get_or_404(session, StaffAccount, staff_id, "工作人员")


def intake_unit(*, session: Session, settings: Settings) -> Unit:
    """The unit that accepts what comes in through the chat from visitors, and from enterprises whose region no unit
    serves: ``BOT_INTAKE_UNIT_ID`` if set, else the unit named ``BOT_INTAKE_UNIT_NAME`` (在线导办服务中心; a unit still
    named 智能助手 from earlier versions is renamed, so no seat appears to belong to the bot), created on first use as
    a top-level service department."""
    if settings.bot_intake_unit_id is not None:
        return get_unit(settings.bot_intake_unit_id, session=session)
    name = settings.bot_intake_unit_name
    unit = session.execute(select(Unit).where(Unit.name == name).order_by(Unit.id)).scalars().first()
    if unit is None and name != LEGACY_INTAKE_NAME:
        # Earlier versions named this unit after the bot, so its seats looked like the bot: renamed when met.
        unit = session.execute(select(Unit).where(Unit.name == LEGACY_INTAKE_NAME, Unit.parent_id.is_(None),
                                                  Unit.kind == "service_department").order_by(Unit.id)).scalars().first()
        if unit is not None:
            unit.name = name
            log.info("the chat's intake unit %s is renamed from %s to %s", unit.id, LEGACY_INTAKE_NAME, name)
    # Two first requests racing may both create one; the lowest id is used from then on.
    return unit or create_unit(session=session, name=name, level="province", kind="service_department")


def normalize_region(text: str | None) -> str:
    """A region as compared: without any white space (四川省 成都市 → 四川省成都市)."""
    return "".join((text or "").split())


def unit_regions(unit_id: int, *, session: Session) -> list[str]:
    """The regions listed for the unit itself, sorted (by code point: the same on every database)."""
    return sorted(session.execute(select(UnitRegion.region).where(UnitRegion.unit_id == unit_id)).scalars())


def set_regions(unit_id: int, regions: list[str], *, session: Session) -> list[str]:
    """Replace the regions the unit serves (an empty list: it serves none of its own). 404 for an unknown unit;
    422 for an empty or too long region or a unit outside the tax system; 409 when another unit of the same level
    already serves exactly that region (which of the two would serve it could not be told)."""
    unit = get_unit(unit_id, session=session)
    if unit.kind == "outside_department":
        raise Invalid(f"“{unit.name}”是税务系统外部门，不按属地受理诉求和会话", code="outside_department")
    if len(regions) > REGIONS_MAX:
        raise Invalid(f"一个单位最多设置{REGIONS_MAX}个地区", code="too_many_regions")
    wanted: list[str] = []
    for raw in regions:
        region = normalize_region(raw)
        if not region:
            raise Invalid("地区不能为空，请填写如“四川省成都市武侯区”的地区名称", code="empty_region")
        if len(region) > REGION_MAX:
            raise Invalid(f"地区名称不能超过{REGION_MAX}个字", code="region_too_long")
        if region not in wanted:
            wanted.append(region)
    if wanted:
        taken = session.execute(select(UnitRegion.region, Unit.name).join(Unit, Unit.id == UnitRegion.unit_id)
                                .where(UnitRegion.region.in_(wanted), Unit.level == unit.level, Unit.id != unit.id)
                                .order_by(UnitRegion.region)).first()
        if taken is not None:
            raise Conflict(f"“{taken.region}”已由同为{LEVEL_LABELS[unit.level]}的“{taken.name}”负责，"
                           f"请先从该单位移除", code="region_taken")
    session.execute(delete(UnitRegion).where(UnitRegion.unit_id == unit.id))
    session.add_all([UnitRegion(unit_id=unit.id, region=region) for region in wanted])
    session.flush()
    return sorted(wanted)


def bureau_of(unit: Unit | None) -> Unit | None:
    """The bureau (税务机关, kind ``tax_unit``) a unit belongs to: itself or its nearest such ancestor."""
    seen = set()
    while unit is not None and unit.kind != "tax_unit" and unit.id not in seen:
        seen.add(unit.id)
        unit = unit.parent
    return unit


def subtree_ids(unit_id: int, *, session: Session) -> set[int]:
    """The unit and every unit under it."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.execute(select(Unit.id, Unit.parent_id)).all():
        children.setdefault(parent, []).append(uid)
    found, todo = set(), [unit_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def covered_regions(unit_id: int, *, session: Session) -> list[str]:
    """The regions under the unit: its own and those of every unit below it (a district's are its city's too)."""
    ids = subtree_ids(unit_id, session=session)
    return sorted(set(session.execute(select(UnitRegion.region).where(UnitRegion.unit_id.in_(ids))).scalars()))


def unit_serving_region(region: str | None, *, session: Session) -> Unit | None:
    """The most specific unit whose regions include ``region``; None when no unit serves it."""
    region = normalize_region(region)
    if not region:
        return None
    # a listed region includes the enterprise's when it is the enterprise's region or a leading part of it
    rows = session.execute(select(UnitRegion.region, Unit).join(Unit, Unit.id == UnitRegion.unit_id)
                           .where(func.substr(literal(region), 1, func.length(UnitRegion.region))
                                  == UnitRegion.region)).all()
    if not rows:
        return None
    best: Unit = max(rows, key=lambda row: (len(row[0]), LEVELS.index(row[1].level), -row[1].id))[1]
    return best


def serving_unit(uscc: str | None, *, session: Session, settings: Settings) -> Unit:
    """属地: the unit a petition or conversation of this enterprise goes to — the most specific unit serving the
    region of its profile; the intake unit for a visitor (``uscc`` None), an enterprise without a profile, or a
    region no unit serves."""
    unit = None
    if uscc:
        region = session.execute(select(Enterprise.region).where(Enterprise.uscc == uscc)).scalar_one_or_none()
        unit = unit_serving_region(region, session=session)
    return unit or intake_unit(session=session, settings=settings)
