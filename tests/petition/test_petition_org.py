"""Units and staff accounts: validated on creation."""
import pytest

from api.core.errors import Conflict, Invalid, NotFound
from api.org.service import create_staff, create_unit, get_staff


def test_units_form_a_tree_and_staff_belong_to_a_unit(session):
    city = create_unit(session=session, name="市税务局", level="city", kind="tax_unit")
    dept = create_unit(session=session, name="征管科", level="city", kind="handling_department", parent_id=city.id)
    staff = create_staff(session=session, username="li", display_name="李四", role="handler", unit_id=dept.id)
    assert dept.parent is city and get_staff(staff.id, session=session).unit is dept and staff.active


def test_invalid_units_and_staff_are_refused(session):
    with pytest.raises(Invalid, match="层级"):
        create_unit(session=session, name="x", level="county", kind="tax_unit")
    with pytest.raises(Invalid, match="类型"):
        create_unit(session=session, name="x", level="city", kind="bureau")
    district = create_unit(session=session, name="区局", level="district", kind="tax_unit")
    with pytest.raises(Invalid, match="层级低于"):
        create_unit(session=session, name="市局", level="city", kind="tax_unit", parent_id=district.id)
    with pytest.raises(Invalid, match="角色"):
        create_staff(session=session, username="a", display_name="A", role="boss", unit_id=district.id)
    with pytest.raises(NotFound):
        create_staff(session=session, username="a", display_name="A", role="staff", unit_id=999999)


def test_usernames_are_unique(session):
    unit = create_unit(session=session, name="纳税服务科", level="city", kind="service_department")
    create_staff(session=session, username="wang", display_name="王五", role="staff", unit_id=unit.id)
    with pytest.raises(Conflict, match="wang"):
        create_staff(session=session, username="wang", display_name="另一个王五", role="staff", unit_id=unit.id)
