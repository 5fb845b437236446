"""延期: extending the handling time of a petition.

A handling department asks with a reason; a supervisor (分管局领导) decides for a single
department, a director (本级税务机关主要领导) for joint handling. Handling may not exceed
10 working days in all — the notice sets that ceiling for single-department handling; it is
applied to joint handling too. One request may be pending at a time, and only before the
deadline has passed. In joint handling only the lead department asks (a co-department may not);
the approver role is the one the petition needs when it is decided, so a request made before a
co-department was invited goes to the director. The approver must be a leader of the same level (本级):
of the bureau the lead handling department belongs to (its nearest ``tax_unit``, the department itself
when it is one) — a leader of another bureau, above or beside it, gets 403 ``not_same_level``. Nobody
decides their own request, whatever their role, and no account of an outside department decides any.
Functions take ``session=`` and never commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.database import get_or_404
from api.core.errors import Conflict, Forbidden, Invalid
from api.core.time import aware_now, china_date
from api.org.models import StaffAccount
from api.org.service import bureau_of
from api.petition.access import is_outside, visible_clause
from api.petition.constants import HANDLING_DAYS, MAX_HANDLING_DAYS, Status
from api.petition.lifecycle import actor_label, ensure_allowed, record
from api.petition.models import Petition, PetitionExtension
from api.petition.service import handling_due_for, refresh_task_dues

__all__ = ["request_extension", "approve_extension", "reject_extension", "get_extension", "approver_roles",
           "bureau_of", "same_level", "awaiting_decision_of", "MAX_PENDING"]

MAX_PENDING = 200
"""At most this many pending requests are looked at for one approver's list."""


def approver_roles(petition: Petition) -> tuple[str, ...]:
    """Roles that may decide an extension of ``petition``."""
    return ("director",) if petition.joint else ("supervisor", "director")


def same_level(staff: StaffAccount, petition: Petition) -> bool:
    """Whether ``staff`` leads the bureau that handles ``petition`` (本级): the lead department's bureau."""
    handling = bureau_of(petition.handling_unit)
    return handling is not None and bureau_of(staff.unit) is handling


def awaiting_decision_of(staff: StaffAccount, *, session: Session,
                         limit: int = MAX_PENDING) -> list[tuple[PetitionExtension, Petition]]:
    """The pending requests ``staff`` may decide (oldest first, at most ``limit`` looked at): their role is the one
    the petition needs, they are of its level, and the request is not their own."""
    rows = session.execute(select(PetitionExtension, Petition)
                           .join(Petition, Petition.id == PetitionExtension.petition_id)
                           .where(PetitionExtension.status == "pending", visible_clause(staff))
                           .order_by(PetitionExtension.requested_at, PetitionExtension.id).limit(limit)).tuples().all()
    return [(x, p) for x, p in rows
            if staff.role in approver_roles(p) and x.requested_by != staff.id and same_level(staff, p)]


def request_extension(petition: Petition, *, session: Session, actor: StaffAccount, days: int, reason: str,
                      now: datetime | None = None) -> PetitionExtension:
    now = aware_now(now)
    status = _staff_and_status(petition, actor)
    if actor.unit_id != petition.handling_unit_id and actor.unit_id in {h.unit_id for h in petition.handlers}:
        raise Forbidden("联合办理的延期由主办部门申请，协办部门不能申请", code="not_lead_unit")
    if not (reason or "").strip():
        raise Invalid("申请延期必须说明原因")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise Invalid("延长天数须为正整数（工作日）")
    if petition.handling_due is None:
        raise Conflict("该诉求不计办理时限（长期跟踪、行政复议或日历未知），无需申请延期")
    if _pending(petition, session=session) is not None:
        raise Conflict("已有待审批的延期申请，请等待审批结果")
    _within_ceiling(petition, days)
    if china_date(now) > petition.handling_due:
        raise Conflict(f"已超过办理期限（{petition.handling_due:%Y-%m-%d}），不能再申请延期")
    extension = PetitionExtension(petition_id=petition.id, days=days, reason=reason.strip(), requested_by=actor.id,
                                  requested_at=now, status="pending")
    session.add(extension)
    session.flush()
    record(petition, "request_extension", session=session, actor=actor, at=now, from_status=status,
           to_status=status, reason=extension.reason, data={"extension_id": extension.id, "days": days})
    session.flush()
    return extension


def approve_extension(extension: PetitionExtension, *, session: Session, actor: StaffAccount,
                      note: str | None = None, now: datetime | None = None) -> PetitionExtension:
    """Grant the days: the handling deadline moves to 5 + all granted days after receipt."""
    now, petition, status = _decide(extension, actor, session=session, now=now)
    _within_ceiling(petition, extension.days)
    extension.status, extension.approved_by, extension.approved_at = "approved", actor.id, now
    extension.decision_note = note
    petition.extended_days += extension.days
    old_due = petition.handling_due
    petition.handling_due = handling_due_for(petition)
    refresh_task_dues(petition)
    record(petition, "approve_extension", session=session, actor=actor, at=now, from_status=status,
           to_status=status, reason=note, data={"extension_id": extension.id, "days": extension.days,
                                                "handling_due_before": old_due.isoformat() if old_due else None,
                                                "handling_due": _iso(petition.handling_due),
                                                "extended_days": petition.extended_days})
    session.flush()
    return extension


def reject_extension(extension: PetitionExtension, *, session: Session, actor: StaffAccount, note: str,
                     now: datetime | None = None) -> PetitionExtension:
    if not (note or "").strip():
        raise Invalid("不批准延期须说明理由")
    now, petition, status = _decide(extension, actor, session=session, now=now)
    extension.status, extension.approved_by, extension.approved_at = "rejected", actor.id, now
    extension.decision_note = note.strip()
    record(petition, "reject_extension", session=session, actor=actor, at=now, from_status=status,
           to_status=status, reason=extension.decision_note, data={"extension_id": extension.id})
    session.flush()
    return extension


def get_extension(extension_id: int, *, session: Session) -> PetitionExtension:
    return get_or_404(session, PetitionExtension, extension_id, "延期申请")


def _staff_and_status(petition: Petition, actor: StaffAccount, action: str = "request_extension") -> Status:
    if not isinstance(actor, StaffAccount):
        raise Forbidden("延期只能由工作人员申请和审批")
    actor_label(actor)
    return ensure_allowed(petition, action)


def _decide(extension: PetitionExtension, actor: StaffAccount, *, session: Session, now: datetime | None):
    now = aware_now(now)
    petition = session.get_one(Petition, extension.petition_id)
    status = _staff_and_status(petition, actor, "decide_extension")
    if extension.status != "pending":
        raise Conflict(f"该延期申请已处理（{extension.status}），不能再审批")
    roles = approver_roles(petition)
    if is_outside(actor):
        raise Forbidden("税务系统外部门不能审批延期", code="outside_department")
    if actor.role not in roles:
        who = "本级税务机关主要领导（director）" if petition.joint else "分管局领导（supervisor）或主要领导（director）"
        raise Forbidden(f"{'联合办理' if petition.joint else '单一部门办理'}的延期须由{who}审批")
    if actor.id == extension.requested_by:
        raise Forbidden("不能审批自己提出的延期申请")
    if not same_level(actor, petition):
        bureau = bureau_of(petition.handling_unit)
        raise Forbidden(f"延期须由本级税务机关（{bureau.name if bureau else '办理部门所属税务机关'}）的领导审批，"
                        "您不是该税务机关的领导", code="not_same_level")
    return now, petition, status


def _pending(petition: Petition, *, session: Session) -> PetitionExtension | None:
    query = select(PetitionExtension).where(PetitionExtension.petition_id == petition.id,
                                            PetitionExtension.status == "pending")
    return session.execute(query).scalars().first()


def _within_ceiling(petition: Petition, days: int) -> None:
    total = HANDLING_DAYS + petition.extended_days + days
    if total > MAX_HANDLING_DAYS:
        room = MAX_HANDLING_DAYS - HANDLING_DAYS - petition.extended_days
        raise Conflict(f"办理时限合计不得超过{MAX_HANDLING_DAYS}个工作日：已延长{petition.extended_days}个工作日，"
                       f"最多还可延长{room}个工作日", code="extension_limit")


def _iso(day) -> str | None:
    return day.isoformat() if day else None
