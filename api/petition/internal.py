"""/api/internal/petitions: the routes the Rasa action server calls (``ServiceCaller`` only).

* ``POST /api/internal/petitions`` registers a petition filed in the chat: channel 智能助手,
  actor ``bot``, accepted by the unit that serves the logged-in enterprise (属地, api.org.service.serving_unit:
  the enterprise of the bot grant, never a USCC typed in the chat); a visitor's, or one whose region no
  unit serves, by the intake unit — ``BOT_INTAKE_UNIT_ID`` if set, else the unit named ``BOT_INTAKE_UNIT_NAME``
  (在线导办服务中心), created on first use as a top-level service department. Staff of that unit (or an
  admin) hand the petitions over. The same ``idempotency_key``
  returns the first registration (200 instead of 201). A valid bot grant supplies the
  USCC when none was typed; an invalid one is ignored (filing needs no log-in). The enterprise is known from
  the bot grant (api.auth.grants) of the turn, never from a token the action server holds.
* ``POST /api/internal/petitions/status``: with a valid bot grant, that USCC's latest five
  petitions; without one, a ticket AND the phone it was filed with — a wrong phone answers
  exactly like an unknown ticket (404), so tickets cannot be probed. Wrong guesses are throttled
  (api.throttle, shared by every instance): ``STATUS_FAILURES_PER_TICKET`` per ticket and
  ``STATUS_FAILURES_PER_CONVERSATION`` per asking conversation (``sender_id``); past either, the
  lookup is refused with 429 before the phone is compared, even with the right phone.

``due_date`` is the handling deadline (Asia/Shanghai): the real one once assigned; before that the
date promised by the rules if every step is on time (1 working day to hand over + 5 to handle);
null when the clock does not run (long-term tracking, reconsideration, closed on the spot).
"""
from __future__ import annotations

import hmac
import logging
from datetime import date

from fastapi import APIRouter, Response
from sqlalchemy import select

from api import throttle
from api.auth.deps import ServiceCaller
from api.auth.grants import grant_identity
from api.core.database import SessionDep
from api.core.errors import Forbidden, NotFound, Unauthorized
from api.core.runtime import RedisDep, SettingsDep
from api.core.time import china_date, due_after
from api.org.service import intake_unit, serving_unit
from api.petition import service
from api.petition.constants import HANDLING_DAYS, HANDOVER_DAYS, STATUS_LABELS, Status
from api.petition.models import Petition
from api.petition.payloads import BotPetitionCreate, BotPetitionCreated, StatusAnswer, StatusItem, StatusQuery
from api.petition.schemas import PetitionCreate
from api.settings import Settings
from common.identifiers import normalize_phone

__all__ = ["router", "intake_unit", "promised_due", "summary", "LATEST"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/internal/petitions", tags=["internal"])

CHANNEL = "智能助手"
LATEST = 5
NOT_FOUND = "没有找到与该受理编号和联系电话相符的诉求，请核对后再试"
TOO_MANY_GUESSES = "该受理编号的查询失败次数过多，为保护您的信息，请{wait}后再试，或登录电子税务局后查询。"
TOO_MANY_IN_CHAT = "查询失败次数过多，为保护诉求人的信息，请{wait}后再试，或登录电子税务局后查询。"
_OPEN = (Status.registered, Status.handed_over, Status.assigned, Status.in_progress)


def promised_due(petition: Petition) -> date | None:
    if petition.handling_due is not None:
        return petition.handling_due
    if petition.long_term or petition.reconsideration or Status(petition.status) not in _OPEN[:2]:
        return None
    return due_after(petition.received_at, HANDOVER_DAYS + HANDLING_DAYS)


@router.post("", response_model=BotPetitionCreated, status_code=201, summary="智能助手登记诉求")
def register_from_chat(body: BotPetitionCreate, caller: ServiceCaller, session: SessionDep,
                       settings: SettingsDep, response: Response) -> BotPetitionCreated:
    uscc = logged_in = None
    if body.enterprise_grant:
        try:
            logged_in = grant_identity(body, settings).uscc  # type: ignore[union-attr]  # a grant is there: never None
        except Unauthorized:
            log.info("petition from %s filed with an invalid enterprise grant; registered without it", body.sender_id)
    uscc = body.uscc or logged_in
    key = body.idempotency_key
    repeated = key is not None and session.execute(
        select(Petition.id).where(Petition.idempotency_key == key)).first() is not None
    data = PetitionCreate(content=body.content, category=body.category, taxpayer_name=body.taxpayer_name, uscc=uscc,
                          contact_phone=body.contact_phone, channel=CHANNEL, idempotency_key=key,
                          sender_id=body.sender_id)
    unit = serving_unit(logged_in, session=session, settings=settings)
    petition = service.register(data, session=session, actor=caller, accepting_unit_id=unit.id)
    session.commit()
    if repeated:
        response.status_code = 200
    return BotPetitionCreated(ticket=petition.ticket, category=petition.category, received_at=petition.received_at,
                              due_date=promised_due(petition), status=petition.status)


@router.post("/status", response_model=StatusAnswer, summary="查询诉求办理进度（企业登录，或受理编号+联系电话）")
def petition_status(body: StatusQuery, caller: ServiceCaller, session: SessionDep,
                    settings: SettingsDep, client: RedisDep) -> StatusAnswer:
    ticket = body.ticket.upper() if body.ticket else None
    identity = grant_identity(body, settings)
    if identity is not None:
        query = select(Petition).where(Petition.uscc == identity.uscc)
        if ticket:
            query = query.where(Petition.ticket == ticket)
        found = session.execute(query.order_by(Petition.received_at.desc(), Petition.id.desc()).limit(LATEST)
                                ).scalars().all()
        if found or not (ticket and body.contact_phone):
            if ticket and not found:
                raise NotFound("您的企业名下没有该受理编号的诉求，请核对后再试", code="petition_not_found")
            return StatusAnswer(petitions=[_item(p) for p in found])
        # a ticket filed by someone else with this phone: fall through to ticket + phone
    if not (ticket and body.contact_phone):
        raise Forbidden("为保护您的信息，请登录后查询，或同时提供受理编号和登记时留的联系电话", code="login_required")
    guesses = _guesses(ticket, body.sender_id, settings)
    for name, subject, rate, detail in guesses:
        throttle.refuse_if_full(client, name, subject, rate, detail=detail, code="too_many_attempts")
    petition = session.execute(select(Petition).where(Petition.ticket == ticket)).scalar_one_or_none()
    phone = normalize_phone(body.contact_phone) or ""
    if petition is None or not hmac.compare_digest(petition.contact_phone.encode(), phone.encode()):
        for name, subject, rate, _ in guesses:
            throttle.record_failure(client, name, subject, rate)
        raise NotFound(NOT_FOUND, code="petition_not_found")
    return StatusAnswer(petitions=[_item(petition)])


def _guesses(ticket: str, sender_id: str | None, settings: Settings) -> list[tuple]:
    """The throttles a ticket + phone guess counts against: (name, subject, rate, refusal)."""
    out = [("status-ticket", ticket[:40], settings.status_failures_per_ticket, TOO_MANY_GUESSES)]
    if sender_id:
        out.append(("status-sender", sender_id, settings.status_failures_per_conversation, TOO_MANY_IN_CHAT))
    return out


def _item(petition: Petition) -> StatusItem:
    status = Status(petition.status)
    due = promised_due(petition)
    return StatusItem(ticket=petition.ticket, status=status.value, status_label=STATUS_LABELS[status],
                      due_date=due, text=summary(petition, due))


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def summary(petition: Petition, due: date | None) -> str:
    """One line in Chinese: which petition, and where it stands."""
    status = Status(petition.status)
    label = STATUS_LABELS[status]
    head = f"诉求{petition.ticket}（{petition.category}，{china_date(petition.received_at):%Y-%m-%d}受理）"
    if status in _OPEN:
        if petition.long_term:
            tail = f"{label}，属于政策建议或系统优化类诉求，已纳入长期跟踪"
        elif petition.reconsideration:
            tail = f"{label}，按行政复议程序办理"
        else:
            tail = f"{label}，预计{due:%Y-%m-%d}前办结" if due else label
    elif status is Status.resolved:
        tail = f"已办结，将于{petition.feedback_due:%Y-%m-%d}前反馈办理结果" if petition.feedback_due \
            else "已办结，即将反馈办理结果"
    else:
        tail = f"{label}，办理结果：{_clip(petition.resolution)}" if petition.resolution else label
    return f"{head}：{tail}。"
