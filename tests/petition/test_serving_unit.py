"""属地: the unit that serves an enterprise (api.org.service.serving_unit) and the regions units serve."""
from __future__ import annotations

from uuid import uuid4

import pytest

from api.core.errors import Conflict, Invalid, NotFound
from api.org.service import covered_regions, create_unit, serving_unit, set_regions, unit_regions
from api.settings import Settings
from common.identifiers import make_uscc
from tests.api.regionkit import make_enterprise


@pytest.fixture
def tree(session):
    """A province bureau; a city service department serving 甲市; under it a district one serving 甲市乙区; an
    intake unit; and an enterprise maker. Region names are unique to the test."""
    m = uuid4().hex[:6]
    province = create_unit(session=session, name=f"{m}省税务局", level="province", kind="tax_unit")
    city = create_unit(session=session, name=f"{m}甲市纳税服务科", level="city", kind="service_department",
                       parent_id=province.id)
    district = create_unit(session=session, name=f"{m}乙区纳税服务股", level="district", kind="service_department",
                           parent_id=city.id)
    intake = create_unit(session=session, name=f"{m}在线导办服务中心", level="province", kind="service_department")
    set_regions(city.id, [f"测{m}省甲市"], session=session)
    set_regions(district.id, [f"测{m}省甲市乙区"], session=session)
    settings = Settings(bot_intake_unit_id=intake.id)

    def enterprise(region: str) -> str:
        return make_enterprise(session, region, "属地测试商贸有限公司").uscc

    return m, province, city, district, intake, settings, enterprise


def test_the_most_specific_unit_serving_the_region_gets_it(session, tree):
    m, province, city, district, intake, settings, enterprise = tree  # noqa: RUF059
    assert serving_unit(enterprise(f"测{m}省甲市乙区"), session=session, settings=settings).id == district.id
    # a district the city serves, with no district unit of its own: the city
    assert serving_unit(enterprise(f"测{m}省甲市丙区"), session=session, settings=settings).id == city.id
    # written with spaces, as an import may have it: the same region
    assert serving_unit(enterprise(f"测{m}省 甲市 乙区"), session=session, settings=settings).id == district.id


def test_a_visitor_an_unknown_enterprise_or_an_unserved_region_goes_to_the_intake_unit(session, tree):
    m, province, city, district, intake, settings, enterprise = tree  # noqa: RUF059
    assert serving_unit(None, session=session, settings=settings).id == intake.id
    assert serving_unit(make_uscc(424242), session=session, settings=settings).id == intake.id  # no profile
    assert serving_unit(enterprise(f"测{m}省丁市戊区"), session=session, settings=settings).id == intake.id


def test_the_same_region_at_two_levels_goes_to_the_lower_one(session, tree):
    m, province, city, district, intake, settings, enterprise = tree  # noqa: RUF059
    set_regions(province.id, [f"测{m}省甲市乙区"], session=session)
    assert serving_unit(enterprise(f"测{m}省甲市乙区"), session=session, settings=settings).id == district.id


def test_a_districts_regions_are_also_under_its_city_and_province(session, tree):
    m, province, city, district, *_ = tree
    assert unit_regions(city.id, session=session) == [f"测{m}省甲市"]
    assert covered_regions(city.id, session=session) == [f"测{m}省甲市", f"测{m}省甲市乙区"]
    assert covered_regions(province.id, session=session) == [f"测{m}省甲市", f"测{m}省甲市乙区"]
    assert covered_regions(district.id, session=session) == [f"测{m}省甲市乙区"]


def test_setting_regions_is_checked(session, tree):
    m, province, city, district, intake, settings, enterprise = tree  # noqa: RUF059
    with pytest.raises(Invalid, match="地区不能为空"):
        set_regions(city.id, [f"测{m}省甲市", "  "], session=session)
    with pytest.raises(NotFound, match="单位"):
        set_regions(10**9, [f"测{m}省甲市"], session=session)
    other = create_unit(session=session, name=f"{m}另一市纳税服务科", level="city", kind="service_department",
                        parent_id=province.id)
    with pytest.raises(Conflict, match=f"{m}甲市纳税服务科"):  # two units of one level cannot both serve it
        set_regions(other.id, [f"测{m}省甲市"], session=session)
    outside = create_unit(session=session, name=f"{m}市场监管局", level="city", kind="outside_department")
    with pytest.raises(Invalid, match="税务系统外部门"):
        set_regions(outside.id, [f"测{m}省己市"], session=session)
    # the list is replaced, repeats and spaces dropped; an empty list: the unit serves nothing of its own
    assert set_regions(city.id, [f"测{m}省 甲市", f"测{m}省甲市", f"测{m}省庚市"], session=session) == \
        sorted([f"测{m}省甲市", f"测{m}省庚市"])
    assert set_regions(city.id, [], session=session) == []
    assert serving_unit(enterprise(f"测{m}省甲市丙区"), session=session, settings=settings).id == intake.id
