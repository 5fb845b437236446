"""Units form a tree (province > city > district > station) and serve regions (属地); staff accounts belong to one
unit."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.core.database import Base

__all__ = ["LEVELS", "LEVEL_LABELS", "UNIT_KINDS", "UNIT_KIND_LABELS", "ROLES", "Unit", "UnitRegion", "StaffAccount"]

LEVELS = ("province", "city", "district", "station")
"""Administrative levels, highest first; "up a level" is one step to the left."""
LEVEL_LABELS = {"province": "省级", "city": "市级", "district": "区县级", "station": "税务所（分局）"}

UNIT_KINDS = ("tax_unit", "service_department", "handling_department", "legal_unit", "outside_department")
"""tax_unit: a bureau; service_department: 纳税服务部门; handling_department: 主办部门;
legal_unit: 法制部门 (administrative reconsideration); outside_department: outside the tax system."""
UNIT_KIND_LABELS = {"tax_unit": "税务机关", "service_department": "纳税服务部门", "handling_department": "业务办理部门",
                    "legal_unit": "法制部门", "outside_department": "税务系统外部门"}

ROLES = ("staff", "handler", "supervisor", "director", "operator", "admin", "expert")
"""supervisor = 分管局领导 (approves single-department extensions); director = 主要领导 (joint ones)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(_in("level", LEVELS), name="ck_units_level"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="ck_units_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_units_parent_id_units"), index=True)

    parent: Mapped[Unit | None] = relationship("Unit", remote_side=[id])  # noqa: A003

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name} {self.level}/{self.kind}>"


class UnitRegion(Base):
    """A region a unit serves (属地), written as ``enterprises.region`` is: 四川省成都市武侯区, or a leading part of it
    (四川省成都市 serves every district of the city). The units that serve an enterprise: api.org.service.serving_unit."""

    __tablename__ = "unit_regions"
    __table_args__ = (UniqueConstraint("unit_id", "region", name="uq_unit_regions_unit_id_region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", name="fk_unit_regions_unit_id_units"), index=True)
    region: Mapped[str] = mapped_column(String(100), index=True)


class StaffAccount(Base):
    __tablename__ = "staff_accounts"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="ck_staff_accounts_role"),
        UniqueConstraint("username", name="uq_staff_accounts_username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # set and checked by the auth package
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", name="fk_staff_accounts_unit_id_units"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # seat skills (knowledge/skills.yml), comma-separated; empty: all
    skills: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship("Unit")

    def __repr__(self) -> str:
        return f"<StaffAccount {self.id} {self.username} {self.role}>"
