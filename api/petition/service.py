"""Petition life cycle (registration itself is in :mod:`api.petition.intake`, re-exported here).
Every function takes ``session=`` and never commits; each change appends a ledger entry.
``now`` (aware) defaults to the current time.

register → hand_over → assign → start → resolve → feed_back → [return_visit] → close,
with transfer (上报/下转) while handling and extensions in :mod:`api.petition.extensions`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.errors import Forbidden, Invalid, NotFound
from api.org.models import LEVELS, StaffAccount, Unit
from api.org.service import get_unit
from api.petition.constants import FEEDBACK_DAYS, HANDLING_DAYS, LEGAL_RELIEF, LONG_TERM_CATEGORIES, Status
from api.petition.intake import register
from api.petition.lifecycle import Actor, actor_label, ensure_allowed, record
from api.petition.models import Petition, PetitionExtension, PetitionHandler
from api.petition.timing import aware_now, clock_data, due_after

__all__ = ["register", "get_petition", "get_by_ticket", "hand_over", "assign", "start", "transfer", "resolve",
           "feed_back", "return_visit", "close", "handling_due_for", "HANDLING_KINDS"]

HANDLING_KINDS = ("handling_department", "service_department", "legal_unit")
"""Units that may handle a petition (纳税服务类 demands are handled by the service department itself)."""


# -- loading -------------------------------------------------------------------------------

def get_petition(petition_id: int, *, session: Session, for_update: bool = False) -> Petition:
    """``for_update`` locks the row (PostgreSQL) so two people cannot move one petition at once."""
    query = select(Petition).where(Petition.id == petition_id)
    petition = session.execute(query.with_for_update() if for_update else query).scalar_one_or_none()
    if petition is None:
        raise NotFound(f"诉求 {petition_id} 不存在")
    return petition


def get_by_ticket(ticket: str, *, session: Session) -> Petition:
    petition = session.execute(select(Petition).where(Petition.ticket == ticket)).scalar_one_or_none()
    if petition is None:
        raise NotFound(f"诉求编号 {ticket} 不存在")
    return petition


# -- life cycle ----------------------------------------------------------------------------

def hand_over(petition: Petition, *, session: Session, actor: Actor, service_unit_id: int,
              now: datetime | None = None) -> Petition:
    """转交本级纳税服务部门汇总."""
    now, old, new = _begin(petition, "hand_over", actor, now)
    unit = get_unit(service_unit_id, session=session)
    if unit.kind != "service_department":
        raise Invalid(f"“{unit.name}”不是纳税服务部门")
    petition.service_unit_id, petition.handed_over_at = unit.id, now
    return _finish(petition, "hand_over", old, new, session=session, actor=actor, now=now,
                   data={"service_unit_id": unit.id})


def assign(petition: Petition, *, session: Session, actor: Actor, unit_ids: list[int] | None = None,
           long_term: bool = False, reason: str | None = None, reconsideration: bool | None = None,
           now: datetime | None = None) -> Petition:
    """转交办理部门: the first unit leads (主办); several units = joint handling (联合办理).
    Handling is due 5 working days after the department received it, except for long-term
    suggestions (tracked, never breached) and reconsideration demands, which go to the legal
    unit and follow the reconsideration procedure. With no ``unit_ids`` a reconsideration demand
    is routed to the legal unit of the service department's bureau."""
    now, old, new = _begin(petition, "assign", actor, now)
    if reconsideration is not None:
        if reconsideration and petition.category != LEGAL_RELIEF:
            raise Invalid(f"行政复议诉求应归入“{LEGAL_RELIEF}”")
        petition.reconsideration = reconsideration
    units = _handling_units(petition, unit_ids or [], session=session)
    if long_term:
        if petition.category not in LONG_TERM_CATEGORIES or petition.reconsideration:
            raise Invalid(f"只有{'、'.join(LONG_TERM_CATEGORIES)}的政策建议、系统优化诉求可以长期跟踪")
        if not (reason or "").strip():
            raise Invalid("长期跟踪须说明原因")
    petition.long_term = long_term
    _set_handlers(petition, units, now, session=session)
    petition.handling_due = handling_due_for(petition)
    data = {"unit_ids": [u.id for u in units], "joint": petition.joint, "long_term": long_term,
            "reconsideration": petition.reconsideration}
    return _finish(petition, "assign", old, new, session=session, actor=actor, now=now, reason=reason,
                   data=clock_data(petition, "handling_due", petition.long_term or petition.reconsideration, **data))


def start(petition: Petition, *, session: Session, actor: Actor, now: datetime | None = None) -> Petition:
    """开始办理."""
    now, old, new = _begin(petition, "start", actor, now)
    petition.started_at = now
    return _finish(petition, "start", old, new, session=session, actor=actor, now=now)


def transfer(petition: Petition, *, session: Session, actor: Actor, to_unit_id: int, reason: str,
             now: datetime | None = None) -> Petition:
    """分级办理: beyond this level's remit, report it one level up or pass it one level down.
    The receiving department gets its own 5 working days; earlier extensions do not carry over."""
    now, old, new = _begin(petition, "transfer", actor, now)
    if not (reason or "").strip():
        raise Invalid("上报或下转须说明原因")
    current = get_unit(petition.handling_unit_id, session=session)
    target = get_unit(to_unit_id, session=session)
    if target.kind not in HANDLING_KINDS:
        raise Invalid(f"“{target.name}”不是办理部门")
    step = LEVELS.index(target.level) - LEVELS.index(current.level)
    if step not in (-1, 1):
        raise Invalid(f"只能上报上一级或转交下一级办理部门（“{current.name}”为{current.level}级，"
                      f"“{target.name}”为{target.level}级）")
    _cancel_pending_extensions(petition, now, "诉求已上报或下转", session=session)
    petition.extended_days, petition.started_at = 0, None
    _set_handlers(petition, [target], now, session=session)
    petition.handling_due = handling_due_for(petition)
    data = {"from_unit_id": current.id, "to_unit_id": target.id, "direction": "up" if step < 0 else "down"}
    return _finish(petition, "transfer", old, new, session=session, actor=actor, now=now, reason=reason,
                   data=clock_data(petition, "handling_due", petition.long_term or petition.reconsideration, **data))


def resolve(petition: Petition, *, session: Session, actor: Actor, resolution: str,
            now: datetime | None = None) -> Petition:
    """办结 by the lead department; feedback is due 1 working day later."""
    now, old, new = _begin(petition, "resolve", actor, now)
    _ensure_lead(petition, actor, "办结")
    if not (resolution or "").strip():
        raise Invalid("办结须填写办理结果")
    _cancel_pending_extensions(petition, now, "诉求已办结", session=session)
    petition.resolution, petition.resolved_at = resolution.strip(), now
    petition.feedback_due = due_after(now, FEEDBACK_DAYS)
    return _finish(petition, "resolve", old, new, session=session, actor=actor, now=now,
                   data=clock_data(petition, "feedback_due", False))


def feed_back(petition: Petition, *, session: Session, actor: Actor, message: str | None = None,
              now: datetime | None = None) -> Petition:
    """反馈: 谁主办、谁反馈 — the lead department tells the enterprise (and the service department)."""
    now, old, new = _begin(petition, "feed_back", actor, now)
    _ensure_lead(petition, actor, "反馈办理结果")
    petition.fed_back_at = now
    return _finish(petition, "feed_back", old, new, session=session, actor=actor, now=now,
                   data={"message": message or petition.resolution})


def return_visit(petition: Petition, *, session: Session, actor: Actor, satisfaction: int,
                 note: str | None = None, now: datetime | None = None) -> Petition:
    """回访, recording satisfaction 1 (very unsatisfied) to 5 (very satisfied)."""
    now, old, new = _begin(petition, "return_visit", actor, now)
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise Invalid("满意度须为1到5的整数")
    petition.satisfaction, petition.visited_at = satisfaction, now
    return _finish(petition, "return_visit", old, new, session=session, actor=actor, now=now, reason=note,
                   data={"satisfaction": satisfaction})


def close(petition: Petition, *, session: Session, actor: Actor, reason: str | None = None,
          now: datetime | None = None) -> Petition:
    """对账销号: close after feedback (with or without a return visit)."""
    now, old, new = _begin(petition, "close", actor, now)
    petition.closed_at = now
    return _finish(petition, "close", old, new, session=session, actor=actor, now=now, reason=reason)


# -- helpers -------------------------------------------------------------------------------

def _begin(petition: Petition, action: str, actor: Actor, now: datetime | None):
    now = aware_now(now)
    actor_label(actor)
    old = Status(petition.status)
    return now, old, ensure_allowed(petition, action)


def _finish(petition: Petition, action: str, old: Status, new: Status, *, session: Session, actor: Actor,
            now: datetime, reason: str | None = None, data: dict | None = None) -> Petition:
    petition.status = new.value
    record(petition, action, session=session, actor=actor, at=now, from_status=old, to_status=new,
           reason=reason, data=data)
    session.flush()
    return petition


def _handling_units(petition: Petition, unit_ids: list[int], *, session: Session) -> list[Unit]:
    if len(set(unit_ids)) != len(unit_ids):
        raise Invalid("办理部门重复")
    units = [get_unit(unit_id, session=session) for unit_id in unit_ids]
    if petition.reconsideration:
        if not units:
            units = [_legal_unit_for(petition, session=session)]
        if len(units) != 1 or units[0].kind != "legal_unit":
            raise Invalid("行政复议诉求须转交法制部门，按行政复议程序办理")
    if not units:
        raise Invalid("至少指定一个办理部门")
    for unit in units:
        if unit.kind not in HANDLING_KINDS:
            raise Invalid(f"“{unit.name}”不是办理部门")
    return units


def _legal_unit_for(petition: Petition, *, session: Session) -> Unit:
    service = get_unit(petition.service_unit_id, session=session)
    query = select(Unit).where(Unit.kind == "legal_unit", Unit.parent_id == service.parent_id).order_by(Unit.id)
    unit = session.execute(query).scalars().first()
    if unit is None:
        raise Invalid("本级未设置法制部门，请指定办理行政复议的单位")
    return unit


def _set_handlers(petition: Petition, units: list[Unit], now: datetime, *, session: Session) -> None:
    petition.handlers.clear()
    session.flush()  # delete before insert: a unit may be assigned again
    petition.handlers.extend(PetitionHandler(unit_id=u.id, lead=i == 0, assigned_at=now) for i, u in enumerate(units))
    petition.handling_unit_id, petition.joint, petition.assigned_at = units[0].id, len(units) > 1, now


def handling_due_for(petition: Petition):
    """5 working days (plus granted extensions) after the department received it; None when untimed."""
    if petition.long_term or petition.reconsideration:
        return None
    return due_after(petition.assigned_at, HANDLING_DAYS + petition.extended_days)


def _ensure_lead(petition: Petition, actor: Actor, what: str) -> None:
    if not isinstance(actor, StaffAccount) or actor.unit_id != petition.handling_unit_id:
        raise Forbidden(f"只有主办部门的工作人员可以{what}（谁主办、谁反馈）")


def _cancel_pending_extensions(petition: Petition, now: datetime, note: str, *, session: Session) -> None:
    session.execute(update(PetitionExtension)
                    .where(PetitionExtension.petition_id == petition.id, PetitionExtension.status == "pending")
                    .values(status="cancelled", approved_at=now, decision_note=note)
                    .execution_options(synchronize_session="fetch"))
