"""Which steps a staff member may take on a petition now: the same rules the routes apply, asked in advance,
so a page offers exactly the buttons that will work (and never keeps its own copy of the rules).

A step is offered when its status allows it (``lifecycle.TRANSITIONS``), the caller's role and unit may take it
(``access.ensure_may``), and the step's own rule holds: resolve and feed back only by the lead department
(谁主办、谁反馈) once every co-department has completed its part, an extension only on a running handling clock with none pending, a decision on an extension only
by its approver of the same level (本级) and never by the one who asked. In joint handling a co-department is offered only
``complete_task`` (its own part, while open); the lead is offered ``add_co_handler`` (not for reconsideration
demands). An outside department's account is offered nothing else and registers nothing.
"""
from __future__ import annotations

from api.core.errors import Forbidden
from api.org.models import StaffAccount
from api.petition.access import ACTION_ROLES, ensure_may, is_outside
from api.petition.extensions import approver_roles, same_level
from api.petition.lifecycle import TRANSITIONS
from api.petition.models import Petition

__all__ = ["available_actions", "may_register"]


def may_register(staff: StaffAccount) -> bool:
    return staff.role in ACTION_ROLES["register"] and not is_outside(staff)


def available_actions(petition: Petition, staff: StaffAccount) -> list[str]:
    """The actions (keys of ``TRANSITIONS``; ``decide_extension`` for a pending request) ``staff`` may take."""
    pending = [x for x in petition.extensions if x.status == "pending"]
    rules = {
        "resolve": lambda: staff.unit_id == petition.handling_unit_id
        and all(h.lead or h.completed for h in petition.handlers),  # every co-department's part completed
        "feed_back": lambda: staff.unit_id == petition.handling_unit_id,
        "request_extension": lambda: petition.handling_due is not None and not pending,
        "decide_extension": lambda: staff.role in approver_roles(petition) and same_level(staff, petition)
        and any(x.requested_by != staff.id for x in pending),
        "complete_task": lambda: any(h.unit_id == staff.unit_id and not h.lead and not h.completed
                                     for h in petition.handlers),
        "add_co_handler": lambda: not petition.reconsideration,
        "set_task_deadline": lambda: petition.handling_due is not None
        and any(not h.lead and not h.completed for h in petition.handlers),
    }
    return [action for action, (sources, _) in TRANSITIONS.items()
            if petition.status in {s.value for s in sources} and _allowed(action, petition, staff)
            and rules.get(action, lambda: True)()]


def _allowed(action: str, petition: Petition, staff: StaffAccount) -> bool:
    try:
        ensure_may(action, petition, staff)
    except Forbidden:
        return False
    return True
