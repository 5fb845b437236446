"""Which units' conversations a seat serves (属地, docs/hub.md "Units").

Conversations belong to the unit that serves the enterprise (api.org.service.serving_unit). A staff seat (税务干部)
serves its own unit only: a city seat does not take a district's conversations, so an enterprise is told honestly
when nobody of its own unit is online. An expert (税务专家) is scarce and sits higher up: it serves its own unit
and every unit under it (an expert of a city bureau takes the expert queue of each of the city's departments and
districts). No link table: moving the expert's account moves what it serves.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from api.org.models import StaffAccount
from api.org.service import subtree_ids

__all__ = ["served_units", "serves"]


def served_units(staff: StaffAccount, *, session: Session) -> set[int]:
    """The units whose waiting conversations the seat sees and takes."""
    if staff.role == "expert":
        return subtree_ids(staff.unit_id, session=session)
    return {staff.unit_id}


def serves(staff: StaffAccount, unit_id: int, *, session: Session) -> bool:
    return unit_id == staff.unit_id or (staff.role == "expert" and unit_id in served_units(staff, session=session))
