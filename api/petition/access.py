"""Who may see and act on which petition: role AND unit, answered in SQL so lists filter by it.

Visibility (every read and every action starts here):

==============================  ===========================================================
role                            sees
operator, admin                 every petition
supervisor, director            petitions whose accepting unit, service department or a
                                handling department lies in their unit tree (unit + descendants)
staff                           the same as supervisors, plus the petitions they registered
handler                         petitions currently assigned to their unit (lead or joint)
any role in an outside          only the petitions their department co-handles; the only
department (市场监管, 社保…)      step they take is completing their own part (complete_task)
expert, enterprise              no petition route at all (403)
==============================  ===========================================================

Joint handling: the steps that move the whole petition (start, transfer, request an extension, invite a
co-department, set a co-department's deadline, resolve, feed back) belong to the lead department (主办) alone; a co-department (协办)
completes its own part and may not close or visit the petition either.

A petition outside one's visibility answers **404**, exactly like a petition that does not
exist, so its existence is not disclosed. A visible petition on which the caller's role or unit
may not take an action answers **403** with the reason. Business rules of the step itself (its
status → 409, lead department, approver role) stay in ``service`` and ``extensions``.
"""
from __future__ import annotations

from sqlalchemy import exists, literal, or_, select, true
from sqlalchemy.orm import Session, object_session

from api.auth.deps import ROLE_LABELS
from api.core.errors import Forbidden, NotFound
from api.org.models import StaffAccount, Unit
from api.petition.models import Petition, PetitionHandler

__all__ = ["READ_ROLES", "ACTION_ROLES", "GLOBAL_ROLES", "OUTSIDE_ACTIONS", "is_outside", "visible_clause",
           "get_visible", "ensure_role", "ensure_may"]

GLOBAL_ROLES = ("operator", "admin")
READ_ROLES = ("staff", "handler", "supervisor", "director", "operator", "admin")
_HANDLING = ("staff", "handler", "admin")  # the handling department's people (纳税服务类: the service department)
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "register": ("staff", "supervisor", "director", "admin"),
    "hand_over": ("staff", "supervisor", "director", "admin"),
    "assign": ("staff", "supervisor", "director", "admin"),
    "start": _HANDLING,
    "transfer": _HANDLING,
    "resolve": _HANDLING,
    "feed_back": _HANDLING,
    "request_extension": _HANDLING,
    "return_visit": ("staff", "supervisor", "director", "admin"),
    "close": ("staff", "supervisor", "director", "admin"),
    "decide_extension": ("supervisor", "director"),
    "add_co_handler": _HANDLING,
    "complete_task": _HANDLING,
    "set_task_deadline": _HANDLING,
}
_IN_HANDLING_UNIT = {"start", "transfer", "resolve", "feed_back", "request_extension", "add_co_handler",
                     "complete_task", "set_task_deadline"}
_LEAD_ONLY = _IN_HANDLING_UNIT - {"complete_task"}
_NOT_BY_CO_DEPARTMENT = {"return_visit", "close"}
OUTSIDE_ACTIONS = {"complete_task"}
"""All an outside department's account may do to a petition."""


def is_outside(staff: StaffAccount) -> bool:
    """Whether ``staff`` belongs to a department outside the tax system."""
    return staff.unit is not None and staff.unit.kind == "outside_department"


def unit_tree(unit_id: int):
    """SELECT of the ids of ``unit_id`` and all units below it (recursive CTE, PostgreSQL and SQLite)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_tree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def _handled_by(units):
    return exists().where(PetitionHandler.petition_id == Petition.id, PetitionHandler.unit_id.in_(units))


def _tree_ids(unit_id: int, session: Session | None):
    """The unit tree as a list of ids read now (the planner then knows how few they are and reads the handlers'
    (unit_id, petition_id) index; with the recursive CTE it guesses hundreds and scans the table), or the CTE
    itself when there is no session to read it with."""
    if session is None:
        return unit_tree(unit_id)
    return list(session.execute(unit_tree(unit_id)).scalars())


def visible_clause(staff: StaffAccount, session: Session | None = None):
    """A WHERE clause true for the petitions ``staff`` may see. ``session`` (default: the one ``staff`` was loaded
    in) reads the caller's unit tree first."""
    if staff.role in GLOBAL_ROLES and not is_outside(staff):
        return true()
    if staff.role == "handler" or is_outside(staff):
        return _handled_by(select(literal(staff.unit_id)))
    if staff.role in ("staff", "supervisor", "director"):
        tree = _tree_ids(staff.unit_id, session or object_session(staff))
        clause = or_(Petition.accepting_unit_id.in_(tree), Petition.service_unit_id.in_(tree), _handled_by(tree))
        return or_(clause, Petition.accepting_staff_id == staff.id) if staff.role == "staff" else clause
    return Petition.id.is_(None)  # experts and any future role: nothing


def get_visible(petition_id: int, staff: StaffAccount, *, session: Session, for_update: bool = False) -> Petition:
    """The petition if ``staff`` may see it; 404 otherwise (whether or not it exists)."""
    seen = session.execute(select(Petition.id).where(Petition.id == petition_id, visible_clause(staff))).first()
    if seen is None:
        raise NotFound(f"诉求 {petition_id} 不存在或不在您的权限范围内")
    query = select(Petition).where(Petition.id == petition_id)
    return session.execute(query.with_for_update() if for_update else query).scalar_one()


def ensure_role(action: str, staff: StaffAccount) -> None:
    """403 unless ``staff``'s role may take ``action`` at all (``ACTION_ROLES``); also for routes outside
    this package that take a petition step (a seat registering a conversation as a petition)."""
    if staff.role not in ACTION_ROLES[action]:
        allowed = "、".join(ROLE_LABELS[r] for r in ACTION_ROLES[action])
        raise Forbidden(f"您的角色（{ROLE_LABELS[staff.role]}）无权进行此操作，需要：{allowed}", code="role_forbidden")
    if action not in OUTSIDE_ACTIONS and is_outside(staff):
        raise Forbidden("税务系统外部门只能提交本部门承担的协办意见", code="outside_department")


def ensure_may(action: str, petition: Petition, staff: StaffAccount) -> None:
    """403 unless ``staff``'s role and unit allow ``action`` on a petition it can already see."""
    ensure_role(action, staff)
    if staff.role == "admin":
        return
    handling = {h.unit_id for h in petition.handlers}
    if action in _IN_HANDLING_UNIT and staff.unit_id not in handling:
        raise Forbidden("只有承办该诉求的办理部门可以进行此操作", code="not_handling_unit")
    if action in _LEAD_ONLY and staff.unit_id != petition.handling_unit_id:
        raise Forbidden("联合办理时只有主办部门可以进行此操作（协办部门请提交本部门的办理意见）", code="not_lead_unit")
    co_department = staff.unit_id in handling and staff.unit_id != petition.handling_unit_id
    if action in _NOT_BY_CO_DEPARTMENT and co_department and staff.unit_id not in (
            petition.service_unit_id, petition.accepting_unit_id):
        raise Forbidden("协办部门不能回访或关闭诉求，由主办部门反馈、纳税服务部门回访和关闭", code="not_lead_unit")
    if action == "assign" and staff.role == "staff" and staff.unit_id != petition.service_unit_id:
        raise Forbidden("只有收到该诉求的纳税服务部门可以转交办理部门", code="not_service_unit")
