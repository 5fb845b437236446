"""受理登记: validate the intake, number it, register it once per idempotency key.

Takes ``session=`` and never commits. Rules with a reason a person can act on (USCC check
digit, contact phone, category, channel, receipt time) raise ``Invalid``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.errors import Invalid
from api.core.time import aware_now, china_date, due_after
from api.org.models import StaffAccount
from api.org.service import get_unit
from api.petition import tickets
from api.petition.constants import CATEGORIES, CHANNELS, HANDOVER_DAYS, LEGAL_RELIEF, Status
from api.petition.lifecycle import Actor, actor_label, record
from api.petition.models import Petition
from api.petition.schemas import PetitionCreate
from api.petition.timing import clock_data
from common.identifiers import is_service_number, is_valid_uscc, normalize_phone, normalize_uscc

__all__ = ["register", "CLOCK_SKEW"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far a stated receipt time may lie ahead of the server's clock."""


def register(data: PetitionCreate, *, session: Session, actor: Actor, accepting_unit_id: int | None = None,
             now: datetime | None = None) -> Petition:
    """受理登记. A repeated ``idempotency_key`` returns the petition registered first, unchanged.
    Answered on the spot → resolved, fed back and closed at once; otherwise the service department
    must receive it within 1 working day (``handover_due``)."""
    now = aware_now(now)
    actor_label(actor)
    fields = _validated(data, now)
    if accepting_unit_id is None:
        if not isinstance(actor, StaffAccount):
            raise Invalid("智能助手受理的诉求须指定受理单位")
        accepting_unit_id = actor.unit_id
    get_unit(accepting_unit_id, session=session)

    key = data.idempotency_key
    if key and (existing := _by_key(key, session=session)):
        return existing
    day = china_date(fields["received_at"])
    tickets.lock_day(day, session=session)  # concurrent registrations of this day queue here
    if key and (existing := _by_key(key, session=session)):  # registered while we waited
        return existing
    number = tickets.take_number(day, session=session)

    petition = Petition(ticket=tickets.format_ticket(day, number), status=Status.registered.value,
                        accepting_unit_id=accepting_unit_id, idempotency_key=key, sender_id=data.sender_id,
                        accepting_staff_id=actor.id if isinstance(actor, StaffAccount) else None,
                        reconsideration=data.reconsideration, extended_days=0, joint=False, long_term=False,
                        **fields)
    if not data.answered_on_the_spot:
        petition.handover_due = due_after(petition.received_at, HANDOVER_DAYS)
    session.add(petition)
    session.flush()
    record(petition, "register", session=session, actor=actor, at=now, from_status=None,
           to_status=Status.registered, data=clock_data(petition, "handover_due", data.answered_on_the_spot,
                                                          channel=petition.channel, category=petition.category))
    if data.answered_on_the_spot:
        petition.resolution = data.answer
        petition.resolved_at = petition.fed_back_at = petition.closed_at = now
        petition.status = Status.closed.value
        record(petition, "close", session=session, actor=actor, at=now, from_status=Status.registered,
               to_status=Status.closed, reason="当场办理或答复", data={"answer": data.answer})
    session.flush()
    return petition


def _validated(data: PetitionCreate, now: datetime) -> dict:
    if data.category not in CATEGORIES:
        raise Invalid(f"诉求类别“{data.category}”不存在，可选：{'、'.join(CATEGORIES)}")
    if data.channel not in CHANNELS:
        raise Invalid(f"受理渠道“{data.channel}”不存在，可选：{'、'.join(CHANNELS)}")
    uscc = normalize_uscc(data.uscc) if data.uscc else None
    if uscc and not is_valid_uscc(uscc):
        raise Invalid(f"统一社会信用代码“{data.uscc}”无效：应为18位且校验位正确，请核对后重新输入")
    phone = normalize_phone(data.contact_phone)
    if phone is None:
        if is_service_number(data.contact_phone):
            raise Invalid(f"“{data.contact_phone}”是服务热线，不是联系电话，请留下您本人的手机或座机号码")
        raise Invalid(f"联系电话“{data.contact_phone}”无效，请填写11位手机号或带区号的座机号码")
    if data.answered_on_the_spot and not data.answer:
        raise Invalid("当场答复的诉求须填写答复内容")
    if data.reconsideration and data.category != LEGAL_RELIEF:
        raise Invalid(f"行政复议诉求应归入“{LEGAL_RELIEF}”")
    received_at = data.received_at or now
    if received_at.tzinfo is None:
        raise Invalid("受理时间须带时区")
    if received_at > now + CLOCK_SKEW:
        raise Invalid("受理时间不能晚于当前时间")
    return {"taxpayer_name": data.taxpayer_name, "uscc": uscc, "contact_phone": phone, "content": data.content,
            "category": data.category, "channel": data.channel, "received_at": received_at}


def _by_key(key: str, *, session: Session) -> Petition | None:
    return session.execute(select(Petition).where(Petition.idempotency_key == key)).scalar_one_or_none()
