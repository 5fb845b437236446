"""属地 for the API and hub tests: the test bureau's city service department serves 甲市, a new district service
department under the district bureau serves 甲市乙区 and has a seat; enterprises in 乙区 (the district's) and 丙区
(the city's). Region names are unique to the test, so no other test's enterprise is routed by them."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from uuid import uuid4

from api.enterprise.models import Enterprise
from api.org.models import StaffAccount, Unit
from api.org.service import create_staff, create_unit, set_regions
from common.identifiers import make_uscc

__all__ = ["Area", "build_area", "make_enterprise"]

_rng = random.Random()


@dataclass
class Area:
    marker: str
    district_service: Unit  # 乙区纳税服务股, district level, serves 甲市乙区
    district_seat: StaffAccount  # a staff seat of it
    district_enterprise: Enterprise  # in 甲市乙区
    city_enterprise: Enterprise  # in 甲市丙区: no district unit serves it, the city's service department does

    def region(self, rest: str) -> str:
        return f"测{self.marker}省{rest}"


def make_enterprise(db, region: str, name: str) -> Enterprise:
    now = datetime.now(timezone.utc)
    enterprise = Enterprise(uscc=make_uscc(_rng.randrange(10**9)), name=name, taxpayer_type="small_scale",
                            kind="company", industry_code="F51", industry="批发业", region=region,
                            restricted_industry=False, employees=5, total_assets=Decimal("500000"),
                            annual_sales=Decimal("600000"), taxable_income=Decimal("50000"), rd_expense=Decimal("0"),
                            new_hires_key_groups=0, registration_date=date(2020, 6, 1), demo=False, sources={},
                            created_at=now, updated_at=now)
    db.add(enterprise)
    db.flush()
    return enterprise


def build_area(db, world) -> Area:
    marker = uuid4().hex[:6]
    district_service = create_unit(session=db, name=world.prefix + "乙区纳税服务股", level="district",
                                   kind="service_department", parent_id=world.district_dept.parent_id)
    set_regions(world.service_dept.id, [f"测{marker}省甲市"], session=db)
    set_regions(district_service.id, [f"测{marker}省甲市乙区"], session=db)
    seat = create_staff(session=db, username=world.prefix + "district-seat", display_name="区坐席", role="staff",
                        unit_id=district_service.id, password_hash=None)
    area = Area(marker=marker, district_service=district_service, district_seat=seat,
                district_enterprise=make_enterprise(db, f"测{marker}省甲市乙区", "乙区属地商贸有限公司"),
                city_enterprise=make_enterprise(db, f"测{marker}省甲市丙区", "丙区属地餐饮有限公司"))
    db.commit()
    return area
