"""/api/petitions: the staff console's petition routes.

Every route checks the caller's role AND unit (see :mod:`api.petition.access`): a petition the
caller may not see answers 404 as if it did not exist; a visible petition the caller's role or
unit may not act on answers 403. Illegal transitions answer 409 with the reason, invalid payloads
422 with a Chinese reason. Each route owns its transaction: it calls the service, then commits.
Every petition answered goes through :mod:`api.privacy.policy`: masked for operators (and admins without
``unmasked=true``), unmasked and audited for the unit that holds it.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.deps import require_roles
from api.core.database import SessionDep
from api.core.errors import Conflict, NotFound
from api.core.time import aware_now
from api.inputs import MAX_PAGE, Id
from api.org.models import StaffAccount
from api.petition import extensions, queries, service
from api.petition.access import ACTION_ROLES, READ_ROLES, ensure_may, ensure_role, get_visible, visible_clause
from api.petition.available import available_actions, may_register
from api.petition.constants import BOT, SYSTEM
from api.petition.filter_params import petition_filters
from api.petition.models import Petition, PetitionExtension, PetitionHandler
from api.petition.payloads import (
    Assign,
    Close,
    CoHandlerAdd,
    ExtensionDecision,
    ExtensionReject,
    ExtensionRequest,
    FeedBack,
    HandlerRead,
    HandOver,
    PendingExtension,
    PetitionDetail,
    PetitionPage,
    Resolve,
    ReturnVisit,
    TaskComplete,
    TaskDeadline,
    Transfer,
)
from api.petition.queries import PetitionFilters
from api.petition.schemas import ClockRead, PetitionCreate, PetitionEventRead, PetitionExtensionRead, PetitionRead
from api.privacy.policy import PETITION_FIELDS, Decision, Unmasked, audit_view, petition_view
from common.workdays import china_today

__all__ = ["router"]

router = APIRouter(prefix="/api/petitions", tags=["petitions"])

Reader = Annotated[StaffAccount, Depends(require_roles(*READ_ROLES))]
Approver = Annotated[StaffAccount, Depends(require_roles(*ACTION_ROLES["decide_extension"]))]
ACTOR_LABELS = {BOT: "智能助手", SYSTEM: "系统"}
"""How the ledger's actors that are not staff accounts are named in the detail."""


@dataclass
class Acting:
    staff: StaffAccount
    petition: Petition
    action: str


def acting(action: str) -> Callable[..., Acting]:
    """Dependency: the caller may take ``action`` (role), sees the petition (else 404, row locked)
    and its unit may act on it (else 403)."""
    allowed = require_roles(*ACTION_ROLES[action])

    def load(petition_id: Id, staff: Annotated[StaffAccount, Depends(allowed)], session: SessionDep) -> Acting:
        petition = get_visible(petition_id, staff, session=session, for_update=True)
        ensure_may(action, petition, staff)
        return Acting(staff, petition, action)

    return load


def _shown(session: Session, staff: StaffAccount, petition: Petition, action: str,
           decision: Decision | None = None) -> PetitionRead:
    """The petition as ``staff`` may read it (api.privacy.policy), the unmasked view audited in the session."""
    decision = decision or petition_view(staff)
    audit_view(staff, decision, action, f"petition:{petition.id}", session=session, now=aware_now(),
               fields=PETITION_FIELDS, shown=[petition.ticket])
    return PetitionRead.from_petition(petition, china_today(), decision.masker)


def _committed(session: Session, act: Acting) -> PetitionRead:
    """After a step: the answer (its audit row in the same transaction), then the commit."""
    read = _shown(session, act.staff, act.petition, f"petition_{act.action}")
    session.commit()
    return read


# -- register, list, detail --------------------------------------------------------------------

@router.post("", response_model=PetitionRead, status_code=201, summary="受理登记（受理单位为登记人所在单位）")
def register(body: PetitionCreate, staff: Annotated[StaffAccount, Depends(require_roles(*ACTION_ROLES["register"]))],
             session: SessionDep) -> PetitionRead:
    ensure_role("register", staff)  # an outside department's account registers nothing
    petition = service.register(body, session=session, actor=staff)
    if petition.accepting_staff_id != staff.id and not _sees(staff, petition.id, session):
        raise Conflict("该幂等键已被另一件诉求使用，请更换", code="idempotency_key_taken")
    read = _shown(session, staff, petition, "petition_register")
    session.commit()
    return read


def _sees(staff: StaffAccount, petition_id: Id, session: Session) -> bool:
    return session.execute(select(Petition.id).where(Petition.id == petition_id, visible_clause(staff))).first() \
        is not None


@router.get("", response_model=PetitionPage, summary="诉求台账（按受理时间倒序，仅含权限范围内的诉求）")
def list_petitions(
    staff: Reader, session: SessionDep,
    filters: Annotated[PetitionFilters, Depends(petition_filters)],
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(20, ge=1, le=100),
    unmasked: Unmasked = False,
) -> PetitionPage:
    decision = petition_view(staff, unmasked)
    today = china_today()
    rows, total = queries.list_petitions(replace(filters, extra=(visible_clause(staff),)), session=session,
                                         today=today, page=page, size=page_size)
    # One audit row for the page, naming the petitions shown.
    audit_view(staff, decision, "list_petitions", "petitions", session=session, now=aware_now(),
               fields=PETITION_FIELDS, shown=[p.ticket for p in rows], page=page)
    items = [PetitionRead.from_petition(p, today, decision.masker) for p in rows]
    session.commit()
    return PetitionPage(total=total, page=page, page_size=page_size, items=items, may_register=may_register(staff))


@router.get("/extensions/pending", response_model=list[PendingExtension],
            summary="待我审批的延期申请（分管局领导审批单一部门办理，主要领导审批联合办理）")
def pending_extensions(staff: Approver, session: SessionDep, unmasked: Unmasked = False) -> list[PendingExtension]:
    decision = petition_view(staff, unmasked)
    rows = extensions.awaiting_decision_of(staff, session=session)
    names = _actor_names(session, [str(x.requested_by) for x, _ in rows])
    today = china_today()
    audit_view(staff, decision, "list_pending_extensions", "petitions:extensions", session=session, now=aware_now(),
               fields=PETITION_FIELDS, shown=[p.ticket for _, p in rows])
    answer = [PendingExtension(extension=PetitionExtensionRead.model_validate(x),
                               petition=PetitionRead.from_petition(p, today, decision.masker),
                               requested_by_name=names.get(str(x.requested_by), "—")) for x, p in rows]
    session.commit()
    return answer


@router.get("/{petition_id}", response_model=PetitionDetail, summary="诉求详情，含台账记录与延期申请")
def detail(petition_id: Id, staff: Reader, session: SessionDep, unmasked: Unmasked = False) -> PetitionDetail:
    petition = get_visible(petition_id, staff, session=session)
    decision = petition_view(staff, unmasked)
    masker, names = decision.masker, [petition.taxpayer_name]
    answer = PetitionDetail(
        petition=_shown(session, staff, petition, "view_petition", decision),
        handlers=[_task(h, masker, names) for h in petition.handlers],
        # the ledger's free text (reasons, the feedback message) may quote the petitioner's phone or name
        events=[PetitionEventRead.model_validate(e).model_copy(update={"reason": masker.text(e.reason, names),
                                                           "data": masker.value(e.data, names)})
                for e in petition.events],
        extensions=[PetitionExtensionRead.model_validate(x) for x in petition.extensions],
        actor_names=_actor_names(session, [e.actor for e in petition.events]
                                 + [str(i) for x in petition.extensions for i in (x.requested_by, x.approved_by) if i]),
        actions=available_actions(petition, staff))
    session.commit()
    return answer


def _task(handler: PetitionHandler, masker, names: list[str]) -> HandlerRead:
    return HandlerRead(unit_id=handler.unit_id, unit_name=handler.unit.name, unit_kind=handler.unit.kind,
                       lead=handler.lead, assigned_at=handler.assigned_at, completed=handler.completed,
                       answer=masker.text(handler.answer, names), completed_at=handler.completed_at,
                       completed_by=handler.completed_by, due=handler.due, due_days=handler.due_days,
                       clock=ClockRead(**handler.clock(china_today())))


def _actor_names(session: Session, actors: list[str]) -> dict[str, str]:
    """The ledger's actors by name: staff ids → display names, the bot and the system by what they are."""
    ids = {int(a) for a in actors if a.isdigit()}
    names = dict(ACTOR_LABELS)
    if ids:
        rows = session.execute(select(StaffAccount.id, StaffAccount.display_name).where(StaffAccount.id.in_(ids)))
        names.update({str(i): name for i, name in rows})
    return {a: names[a] for a in set(actors) if a in names}


# -- transitions ---------------------------------------------------------------------------------

@router.post("/{petition_id}/hand-over", response_model=PetitionRead, summary="转交纳税服务部门")
def hand_over(body: HandOver, act: Annotated[Acting, Depends(acting("hand_over"))], session: SessionDep):
    service.hand_over(act.petition, session=session, actor=act.staff, service_unit_id=body.service_unit_id)
    return _committed(session, act)


@router.post("/{petition_id}/assign", response_model=PetitionRead, summary="转交办理部门（首个为主办部门）")
def assign(body: Assign, act: Annotated[Acting, Depends(acting("assign"))], session: SessionDep):
    service.assign(act.petition, session=session, actor=act.staff, unit_ids=body.unit_ids,
                   long_term=body.long_term, reason=body.reason, reconsideration=body.reconsideration,
                   task_days={t.unit_id: t.days for t in body.task_days})
    return _committed(session, act)


@router.post("/{petition_id}/start", response_model=PetitionRead, summary="开始办理")
def start(act: Annotated[Acting, Depends(acting("start"))], session: SessionDep):
    service.start(act.petition, session=session, actor=act.staff)
    return _committed(session, act)


@router.post("/{petition_id}/transfer", response_model=PetitionRead, summary="上报上一级或下转下一级")
def transfer(body: Transfer, act: Annotated[Acting, Depends(acting("transfer"))], session: SessionDep):
    service.transfer(act.petition, session=session, actor=act.staff, to_unit_id=body.to_unit_id, reason=body.reason)
    return _committed(session, act)


@router.post("/{petition_id}/co-handlers", response_model=PetitionRead, summary="邀请协办部门（主办部门，须说明原因）")
def add_co_handler(body: CoHandlerAdd, act: Annotated[Acting, Depends(acting("add_co_handler"))],
                   session: SessionDep):
    service.add_co_handler(act.petition, session=session, actor=act.staff, unit_id=body.unit_id, reason=body.reason,
                           days=body.days)
    return _committed(session, act)


@router.post("/{petition_id}/tasks/{unit_id}/deadline", response_model=HandlerRead,
             summary="主办部门设定协办部门的期限（工作日，不晚于办理期限；不填则随办理期限）")
def set_task_deadline(unit_id: Id, body: TaskDeadline, act: Annotated[Acting, Depends(acting("set_task_deadline"))],
                      session: SessionDep) -> HandlerRead:
    task = service.set_task_deadline(act.petition, session=session, actor=act.staff, unit_id=unit_id,
                                     days=body.days, reason=body.reason)
    return _task_answer(session, act, task)


@router.post("/{petition_id}/tasks/{unit_id}/complete", response_model=HandlerRead,
             summary="协办部门完成本部门的办理（提交办理意见）")
def complete_task(unit_id: Id, body: TaskComplete, act: Annotated[Acting, Depends(acting("complete_task"))],
                  session: SessionDep) -> HandlerRead:
    task = service.complete_task(act.petition, session=session, actor=act.staff, unit_id=unit_id, answer=body.answer)
    return _task_answer(session, act, task)


def _task_answer(session: Session, act: Acting, task: PetitionHandler) -> HandlerRead:
    """A task after a step on it, masked for the caller (the view audited), then the commit."""
    decision = petition_view(act.staff)
    audit_view(act.staff, decision, f"petition_{act.action}", f"petition:{act.petition.id}", session=session,
               now=aware_now(), fields=PETITION_FIELDS, shown=[act.petition.ticket])
    read = _task(task, decision.masker, [act.petition.taxpayer_name])
    session.commit()
    return read


@router.post("/{petition_id}/resolve", response_model=PetitionRead, summary="办结")
def resolve(body: Resolve, act: Annotated[Acting, Depends(acting("resolve"))], session: SessionDep):
    service.resolve(act.petition, session=session, actor=act.staff, resolution=body.resolution)
    return _committed(session, act)


@router.post("/{petition_id}/feedback", response_model=PetitionRead, summary="反馈办理结果（谁主办、谁反馈）")
def feedback(act: Annotated[Acting, Depends(acting("feed_back"))], session: SessionDep,
             body: FeedBack | None = None):
    service.feed_back(act.petition, session=session, actor=act.staff, message=body.message if body else None)
    return _committed(session, act)


@router.post("/{petition_id}/return-visit", response_model=PetitionRead, summary="回访并记录满意度")
def return_visit(body: ReturnVisit, act: Annotated[Acting, Depends(acting("return_visit"))], session: SessionDep):
    service.return_visit(act.petition, session=session, actor=act.staff, satisfaction=body.satisfaction,
                         note=body.note)
    return _committed(session, act)


@router.post("/{petition_id}/close", response_model=PetitionRead, summary="关闭（对账销号）")
def close(act: Annotated[Acting, Depends(acting("close"))], session: SessionDep, body: Close | None = None):
    service.close(act.petition, session=session, actor=act.staff, reason=body.reason if body else None)
    return _committed(session, act)


# -- extensions ----------------------------------------------------------------------------------

@router.post("/{petition_id}/extensions", response_model=PetitionExtensionRead, status_code=201,
             summary="申请延期（须说明原因）")
def request_extension(body: ExtensionRequest, act: Annotated[Acting, Depends(acting("request_extension"))],
                      session: SessionDep):
    extension = extensions.request_extension(act.petition, session=session, actor=act.staff, days=body.days,
                                             reason=body.reason)
    session.commit()
    return PetitionExtensionRead.model_validate(extension)


def _deciding(ext_id: Id, staff: StaffAccount, session: Session) -> PetitionExtension:
    extension = extensions.get_extension(ext_id, session=session)
    try:
        get_visible(extension.petition_id, staff, session=session, for_update=True)
    except NotFound:
        raise NotFound(f"延期申请 {ext_id} 不存在或不在您的权限范围内") from None
    return extension


@router.post("/extensions/{ext_id}/approve", response_model=PetitionExtensionRead, summary="批准延期")
def approve_extension(ext_id: Id, staff: Approver, session: SessionDep, body: ExtensionDecision | None = None):
    extension = extensions.approve_extension(_deciding(ext_id, staff, session), session=session, actor=staff,
                                             note=body.note if body else None)
    session.commit()
    return PetitionExtensionRead.model_validate(extension)


@router.post("/extensions/{ext_id}/reject", response_model=PetitionExtensionRead, summary="不批准延期（须说明理由）")
def reject_extension(ext_id: Id, body: ExtensionReject, staff: Approver, session: SessionDep):
    extension = extensions.reject_extension(_deciding(ext_id, staff, session), session=session, actor=staff,
                                            note=body.note)
    session.commit()
    return PetitionExtensionRead.model_validate(extension)
