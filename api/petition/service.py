"""Petition life cycle (registration itself is in :mod:`api.petition.intake`, re-exported here).
Every function takes ``session=`` and never commits; each change appends a ledger entry.
``now`` (aware) defaults to the current time.

register → hand_over → assign → start → resolve → feed_back → [return_visit] → close,
with transfer (上报/下转) while handling and extensions in :mod:`api.petition.extensions`.

Joint handling (联合办理, 税总函〔2019〕40号 四(二)2): the first department assigned leads (主办); each other
department (协办, a tax department or an outside department such as 市场监管, 社保, 人民银行) has its own
task on its ``PetitionHandler`` row and completes it with its answer (``complete_task``). Every department
must finish its part (各部门…办结), so the lead resolves only when every co-department's part is completed;
the lead alone starts, transfers, asks for an extension, invites another co-department, resolves and feeds
back (谁主办、谁反馈). An outside department never leads.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, Invalid, NotFound
from api.core.time import aware_now, due_after
from api.org.models import LEVEL_LABELS, LEVELS, StaffAccount, Unit
from api.org.service import bureau_of, get_unit
from api.petition.constants import FEEDBACK_DAYS, HANDLING_DAYS, LEGAL_RELIEF, LONG_TERM_CATEGORIES, Status
from api.petition.intake import register
from api.petition.lifecycle import Actor, actor_label, ensure_allowed, record
from api.petition.models import Petition, PetitionExtension, PetitionHandler
from api.petition.timing import clock_data

__all__ = ["register", "get_petition", "get_by_ticket", "hand_over", "assign", "start", "transfer", "resolve",
           "feed_back", "return_visit", "close", "add_co_handler", "complete_task", "set_task_deadline",
           "handling_due_for", "refresh_task_dues", "HANDLING_KINDS", "CO_HANDLING_KINDS", "OUTSIDE"]

HANDLING_KINDS = ("handling_department", "service_department", "legal_unit")
"""Units that may lead the handling of a petition (纳税服务类 demands are handled by the service department)."""
OUTSIDE = "outside_department"
CO_HANDLING_KINDS = (*HANDLING_KINDS, OUTSIDE)
"""Units that may co-handle (协办): the tax departments and outside departments (seed 001's 共治)."""


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
    """转交本级纳税服务部门汇总: a service department of the accepting unit's own bureau (本级), or of a bureau above
    it when its own has none (a 税务所 hands over to its district's); never one of another city or district. A unit
    outside any bureau (the chat's intake unit) hands over to the service department of the bureau it chooses."""
    now, old, new = _begin(petition, "hand_over", actor, now)
    unit = get_unit(service_unit_id, session=session)
    if unit.kind != "service_department":
        raise Invalid(f"“{unit.name}”不是纳税服务部门")
    own = bureau_of(get_unit(petition.accepting_unit_id, session=session))
    if own is not None and bureau_of(unit) not in _bureaus_from(own):
        raise Invalid(f"受理登记后应转交本级纳税服务部门：“{unit.name}”不属于{own.name}或其上级税务机关，"
                      f"请选择{own.name}的纳税服务部门", code="not_same_level")
    petition.service_unit_id, petition.handed_over_at = unit.id, now
    return _finish(petition, "hand_over", old, new, session=session, actor=actor, now=now,
                   data={"service_unit_id": unit.id})


def assign(petition: Petition, *, session: Session, actor: Actor, unit_ids: list[int] | None = None,
           long_term: bool = False, reason: str | None = None, reconsideration: bool | None = None,
           task_days: dict[int, int] | None = None, now: datetime | None = None) -> Petition:
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
    for unit_id, days in (task_days or {}).items():
        task = next((h for h in petition.handlers if h.unit_id == unit_id and not h.lead), None)
        if task is None:
            raise Invalid("只能为协办部门设定协办期限")
        task.due_days = _task_days(petition, days)
    refresh_task_dues(petition)
    data = {"unit_ids": [u.id for u in units], "joint": petition.joint, "long_term": long_term,
            "reconsideration": petition.reconsideration}
    if task_days:
        data["task_dues"] = _task_dues(petition)
    return _finish(petition, "assign", old, new, session=session, actor=actor, now=now, reason=reason,
                   data=clock_data(petition, "handling_due", petition.long_term or petition.reconsideration, **data))


def start(petition: Petition, *, session: Session, actor: Actor, now: datetime | None = None) -> Petition:
    """开始办理."""
    now, old, new = _begin(petition, "start", actor, now)
    _refuse_co_department(petition, actor, "开始办理")
    petition.started_at = now
    return _finish(petition, "start", old, new, session=session, actor=actor, now=now)


def transfer(petition: Petition, *, session: Session, actor: Actor, to_unit_id: int, reason: str,
             now: datetime | None = None) -> Petition:
    """分级办理: beyond this level's remit, the lead department reports it one level up or passes it one level
    down. The receiving department becomes the lead and gets its own 5 working days; earlier extensions do
    not carry over. In joint handling the co-departments keep their tasks (and any part already completed)."""
    now, old, new = _begin(petition, "transfer", actor, now)
    _refuse_co_department(petition, actor, "上报或下转")
    if not (reason or "").strip():
        raise Invalid("上报或下转须说明原因")
    current = get_unit(petition.handling_unit_id, session=session)
    target = get_unit(to_unit_id, session=session)
    if target.kind not in HANDLING_KINDS:
        raise Invalid(f"“{target.name}”不是办理部门")
    if target.id in {h.unit_id for h in petition.handlers}:
        raise Invalid(f"“{target.name}”已在办理该诉求，请选择其他部门")
    step = LEVELS.index(target.level) - LEVELS.index(current.level)
    if step not in (-1, 1):
        raise Invalid(f"只能上报上一级或转交下一级办理部门（“{current.name}”为{LEVEL_LABELS[current.level]}，"
                      f"“{target.name}”为{LEVEL_LABELS[target.level]}）")
    _ensure_in_chain(current, target, up=step < 0)
    _cancel_pending_extensions(petition, now, "诉求已上报或下转", session=session)
    petition.extended_days, petition.started_at = 0, None
    _replace_lead(petition, target, now, session=session)
    petition.handling_due = handling_due_for(petition)
    refresh_task_dues(petition)
    data = {"from_unit_id": current.id, "to_unit_id": target.id, "direction": "up" if step < 0 else "down"}
    return _finish(petition, "transfer", old, new, session=session, actor=actor, now=now, reason=reason,
                   data=clock_data(petition, "handling_due", petition.long_term or petition.reconsideration, **data))


def resolve(petition: Petition, *, session: Session, actor: Actor, resolution: str,
            now: datetime | None = None) -> Petition:
    """办结 by the lead department once every co-department has completed its part; the resolution is the
    lead's own part. Feedback is due 1 working day later."""
    now, old, new = _begin(petition, "resolve", actor, now)
    lead_staff = _ensure_lead(petition, actor, "办结")
    if not (resolution or "").strip():
        raise Invalid("办结须填写办理结果")
    open_parts = [h.unit.name for h in petition.handlers if not h.lead and not h.completed]
    if open_parts:
        raise Conflict(f"联合办理的协办部门尚未完成办理：{'、'.join(open_parts)}。各部门均完成后，主办部门才能办结",
                       code="tasks_open")
    _cancel_pending_extensions(petition, now, "诉求已办结", session=session)
    petition.resolution, petition.resolved_at = resolution.strip(), now
    for lead in (h for h in petition.handlers if h.lead):
        lead.answer, lead.completed_at, lead.completed_by = petition.resolution, now, lead_staff.id
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


# -- joint handling ------------------------------------------------------------------------

def add_co_handler(petition: Petition, *, session: Session, actor: Actor, unit_id: int, reason: str,
                   days: int | None = None, now: datetime | None = None) -> PetitionHandler:
    """The lead department asks another department — a tax department or an outside one (市场监管, 社保,
    人民银行…) — to co-handle the petition: it gets its own task and the petition becomes joint handling
    (an extension then needs the director). Reconsideration demands stay with the legal unit alone.
    The task is due with the petition's handling deadline, or ``days`` working days from now if earlier."""
    now, old, new = _begin(petition, "add_co_handler", actor, now)
    _ensure_lead(petition, actor, "邀请协办部门")
    if not (reason or "").strip():
        raise Invalid("邀请协办部门须说明原因（诉求涉及该部门的哪些事项）")
    if petition.reconsideration:
        raise Invalid("行政复议诉求由法制部门按行政复议程序办理，不能邀请协办部门")
    unit = get_unit(unit_id, session=session)
    if unit.kind not in CO_HANDLING_KINDS:
        raise Invalid(f"“{unit.name}”不是办理部门，不能协办")
    if unit.id in {h.unit_id for h in petition.handlers}:
        raise Conflict(f"“{unit.name}”已在办理该诉求", code="already_handling")
    _ensure_local_co_department(petition, unit, session=session)
    task = PetitionHandler(unit_id=unit.id, lead=False, assigned_at=now)
    task.due_days = None if days is None else _task_days(petition, days, now)
    task.due = task_due_for(task, petition)
    petition.handlers.append(task)
    petition.joint = True
    _finish(petition, "add_co_handler", old, new, session=session, actor=actor, now=now, reason=reason.strip(),
            data={"unit_id": unit.id, "unit_name": unit.name, "outside": unit.kind == OUTSIDE,
                  "task_due": _iso(task.due)})
    return task


def set_task_deadline(petition: Petition, *, session: Session, actor: Actor, unit_id: int, days: int | None,
                      reason: str | None = None, now: datetime | None = None) -> PetitionHandler:
    """The lead department sets a co-department's deadline: ``days`` working days from when the department was
    asked (not later than the petition's handling deadline); ``None`` returns it to the handling deadline."""
    now, old, new = _begin(petition, "set_task_deadline", actor, now)
    _ensure_lead(petition, actor, "设定协办期限")
    task = next((h for h in petition.handlers if h.unit_id == unit_id), None)
    if task is None:
        raise NotFound(f"该诉求没有部门 {unit_id} 的协办任务")
    if task.lead:
        raise Invalid("主办部门的期限就是诉求的办理期限，请通过延期申请调整", code="lead_task")
    if task.completed:
        raise Conflict(f"“{task.unit.name}”已完成办理，无需再设定期限", code="task_completed")
    before = task.due
    task.due_days = None if days is None else _task_days(petition, days, task.assigned_at)
    task.due = task_due_for(task, petition)
    _finish(petition, "set_task_deadline", old, new, session=session, actor=actor, now=now,
            reason=(reason or "").strip() or None,
            data={"unit_id": task.unit_id, "unit_name": task.unit.name, "days": task.due_days,
                  "task_due_before": _iso(before), "task_due": _iso(task.due)})
    return task


def complete_task(petition: Petition, *, session: Session, actor: Actor, unit_id: int, answer: str,
                  now: datetime | None = None) -> PetitionHandler:
    """A co-department completes its own part with its answer (办理意见); only its own people may."""
    now, old, new = _begin(petition, "complete_task", actor, now)
    task = next((h for h in petition.handlers if h.unit_id == unit_id), None)
    if task is None:
        raise NotFound(f"该诉求没有部门 {unit_id} 的协办任务")
    if not isinstance(actor, StaffAccount) or actor.unit_id != unit_id:
        raise Forbidden("只有该协办部门的工作人员可以提交本部门的办理意见", code="not_task_unit")
    if task.lead:
        raise Conflict("主办部门的办理结果在办结时填写，无需单独提交", code="lead_task")
    if task.completed:
        raise Conflict(f"“{task.unit.name}”已于{task.completed_at:%Y-%m-%d %H:%M}（UTC）完成办理，不能重复提交",
                       code="task_completed")
    if not (answer or "").strip():
        raise Invalid("请填写本部门的办理意见")
    task.answer, task.completed_at, task.completed_by = answer.strip(), now, actor.id
    _finish(petition, "complete_task", old, new, session=session, actor=actor, now=now, reason=task.answer,
            data={"unit_id": task.unit_id, "unit_name": task.unit.name})
    return task


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
    if units[0].kind == OUTSIDE:
        raise Invalid(f"“{units[0].name}”是税务系统外部门，只能协办，不能作为主办部门（谁主办、谁反馈）")
    for i, unit in enumerate(units):
        if unit.kind not in (CO_HANDLING_KINDS if i else HANDLING_KINDS):
            raise Invalid(f"“{unit.name}”不是办理部门")
    _ensure_under_service(petition, units, session=session)
    return units


def _ensure_under_service(petition: Petition, units: list[Unit], *, session: Session) -> None:
    """属地管理、分级负责: the service department passes a petition to the tax departments of its own bureau or of
    the bureaus under it, never to another city's or district's (that is for their own service department, or a
    transfer by the handling department). Outside departments (市场监管, 社保…) are asked wherever they are; a
    service department outside any bureau (the chat's intake unit) passes it where it chooses."""
    service_bureau = bureau_of(get_unit(petition.service_unit_id, session=session))
    if service_bureau is None:
        return
    for unit in units:
        if unit.kind != OUTSIDE and service_bureau not in _bureaus_from(bureau_of(unit)):
            raise Invalid(f"“{unit.name}”不属于{service_bureau.name}或其下级税务机关，不能由本级纳税服务部门转交办理",
                          code="not_same_level")


def _ensure_local_co_department(petition: Petition, unit: Unit, *, session: Session) -> None:
    """A tax co-department is of the bureau the petition is handled in or one under it: the service department's
    bureau, or the lead's when a transfer took it elsewhere (协办 across cities goes through their bureaus, not
    straight to one of their departments). Outside departments are asked wherever they are."""
    if unit.kind == OUTSIDE:
        return
    found = (bureau_of(get_unit(u, session=session)) for u in (petition.service_unit_id, petition.handling_unit_id) if u)
    homes = {bureau for bureau in found if bureau is not None}
    if homes and not homes.intersection(_bureaus_from(bureau_of(unit))):
        names = "或".join(sorted(h.name for h in homes))
        raise Invalid(f"“{unit.name}”不属于{names}或其下级税务机关，不能邀请协办", code="not_same_level")


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


def _replace_lead(petition: Petition, target: Unit, now: datetime, *, session: Session) -> None:
    """The lead's row goes to ``target``; co-departments' rows (their tasks) stay."""
    co = [h for h in petition.handlers if not h.lead]
    if not co:
        _set_handlers(petition, [target], now, session=session)
        return
    for lead in [h for h in petition.handlers if h.lead]:
        petition.handlers.remove(lead)
    session.flush()
    petition.handlers.insert(0, PetitionHandler(unit_id=target.id, lead=True, assigned_at=now))
    petition.handling_unit_id, petition.assigned_at = target.id, now


def _bureaus_from(bureau: Unit | None) -> list[Unit]:
    """``bureau`` and every bureau above it, nearest first (none for None)."""
    out: list[Unit] = []
    found: Unit | None = bureau
    while found is not None and found not in out:
        out.append(found)
        found = bureau_of(found.parent)
    return out


def _ensure_in_chain(current: Unit, target: Unit, *, up: bool) -> None:
    """分级办理 goes to the 上级主管部门 or a 下级主管部门: the target's bureau is the one directly above the current
    department's bureau (up), or directly under it (down) — not a bureau of another city or province."""
    here, there = bureau_of(current), bureau_of(target)
    above, below = (there, here) if up else (here, there)
    if above is None or below is None or bureau_of(below.parent) is not above:
        raise Invalid(f"只能上报本机关的上级税务机关或转交本机关的下级税务机关办理（“{target.name}”属于"
                      f"{there.name if there else '其他单位'}，不是{here.name if here else current.name}的上级或下级）")


def task_due_for(task: PetitionHandler, petition: Petition):
    """A task's deadline: the petition's handling deadline, or the lead's earlier one (``due_days`` working days
    after the department was asked); None while the petition is untimed."""
    if petition.handling_due is None:
        return None
    if task.lead or not task.due_days:
        return petition.handling_due
    own = due_after(task.assigned_at, task.due_days)
    return petition.handling_due if own is None else min(own, petition.handling_due)


def refresh_task_dues(petition: Petition) -> None:
    """Every task's deadline after the handling deadline changed (assignment, extension, transfer)."""
    for task in petition.handlers:
        task.due = task_due_for(task, petition)


def _task_days(petition: Petition, days, since: datetime | None = None) -> int:
    """``days`` checked: a positive number of working days ending no later than the handling deadline."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise Invalid("协办期限须为正整数（工作日）")
    if petition.handling_due is None:
        raise Invalid("该诉求不计办理时限（长期跟踪或行政复议），不能设定协办期限")
    own = due_after(since or petition.assigned_at or aware_now(), days)
    if own is None:  # logged by the calendar; a deadline is never guessed
        raise Invalid("工作日历尚未包含这段时间的安排，暂不能按工作日设定协办期限")
    if own > petition.handling_due:
        raise Invalid(f"协办期限不能晚于诉求的办理期限（{petition.handling_due:%Y-%m-%d}），请减少天数")
    return days


def _task_dues(petition: Petition) -> dict[str, str | None]:
    return {str(h.unit_id): _iso(h.due) for h in petition.handlers if not h.lead}


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def handling_due_for(petition: Petition):
    """5 working days (plus granted extensions) after the department received it; None when untimed."""
    if petition.long_term or petition.reconsideration or petition.assigned_at is None:  # not yet assigned: neither
        return None
    return due_after(petition.assigned_at, HANDLING_DAYS + petition.extended_days)


def _ensure_lead(petition: Petition, actor: Actor, what: str) -> StaffAccount:
    if not isinstance(actor, StaffAccount) or actor.unit_id != petition.handling_unit_id:
        raise Forbidden(f"只有主办部门的工作人员可以{what}（谁主办、谁反馈）")
    return actor


def _refuse_co_department(petition: Petition, actor: Actor, what: str) -> None:
    """A co-department (协办) may not move the whole petition; the lead does."""
    if isinstance(actor, StaffAccount) and actor.unit_id != petition.handling_unit_id and \
            actor.unit_id in {h.unit_id for h in petition.handlers}:
        raise Forbidden(f"联合办理时只有主办部门可以{what}，协办部门请提交本部门的办理意见", code="not_lead_unit")


def _cancel_pending_extensions(petition: Petition, now: datetime, note: str, *, session: Session) -> None:
    session.execute(update(PetitionExtension)
                    .where(PetitionExtension.petition_id == petition.id, PetitionExtension.status == "pending")
                    .values(status="cancelled", approved_at=now, decision_note=note)
                    .execution_options(synchronize_session="fetch"))
