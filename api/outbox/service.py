"""Which ledger entries the enterprise is told of, in what words, and the notice rows they leave.

`notice_for(petition, entry)` is called by the ledger itself (api.petition.lifecycle.record) in the same
transaction as the change, so a step and its notice exist together or not at all; a mobile contact number
also gets an SMS row in the outbox, which the scheduled sender drains.

`notice_for_repair(application)` tells the decision on a credit-repair application the same way: a notice
(chat and 消息) and an SMS to the enterprise's mobile number on record — the mobile contact number it left
on its latest petition (the enterprise profile carries no contact number); none on record: no SMS row, and
the staff's answer says so.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.database import rowcount
from api.core.errors import NotFound
from api.org.models import Unit
from api.outbox.models import EnterpriseNotice, SmsMessage
from api.petition.models import Petition, PetitionEvent, PetitionExtension
from api.reminder.models import RepairApplication

__all__ = ["notice_for", "notice_for_repair", "enterprise_mobile", "list_for", "list_for_petition", "mark_read", "claim_for_chat", "MOBILE"]

MOBILE = re.compile(r"^1[3-9]\d{9}$")
"""SMS goes to mainland mobile numbers only; a landline contact is told in the chat and by the staff's call."""


def _units(session: Session, ids: Sequence[int | None]) -> str:  # None (a missing id): not found
    names = session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(ids)))).tuples().all()
    by_id = dict(names)
    return "、".join(by_id[i] for i in ids if i in by_id) or "办理部门"


def _due(petition: Petition) -> str:
    if petition.long_term:
        return "该诉求将作为长期跟踪事项持续办理，办理进展会及时告知您"
    if petition.handling_due is None:
        return "办理进展会及时告知您"
    return f"将于{petition.handling_due:%Y年%m月%d日}前办结"


def _said(reason: str | None) -> str:
    """A reason as quoted in a notice: without its own full stop (the sentence adds one)."""
    return (reason or "").strip().rstrip("。")


def _text(petition: Petition, entry: PetitionEvent, session: Session) -> tuple[str, str] | None:
    """(kind, text) of what the enterprise hears of this step, or None for steps it need not hear of."""
    head, data = f"您的诉求（受理编号 {petition.ticket}）", entry.data or {}
    if entry.action == "assign":  # 因涉及其他部门不能当场办理或答复的，应将转交情况告知小微企业
        why = f"，说明：{_said(entry.reason)}" if _said(entry.reason) else ""
        return "assigned", (f"{head}已转交{_units(session, data.get('unit_ids') or [])}办理：该诉求涉及其职责，"
                            f"不能当场答复{why}。{_due(petition)}。")
    if entry.action == "transfer":
        where = "上报" if data.get("direction") == "up" else "转交"
        return ("transferred", f"{head}需由{_units(session, [data.get('to_unit_id')])}办理，已{where}，"  # noqa: ISC004
                               f"原因：{_said(entry.reason)}。{_due(petition)}。")
    if entry.action == "add_co_handler":  # 因涉及其他部门…应将转交情况告知小微企业
        return ("assigned", f"{head}涉及{_units(session, [data.get('unit_id')])}的职责，已请其协同办理，"  # noqa: ISC004
                            f"原因：{_said(entry.reason)}。{_due(petition)}。")
    if entry.action == "approve_extension":
        extension = session.get(PetitionExtension, data.get("extension_id"))
        reason = extension.reason if extension is not None else entry.reason
        return "extended", f"{head}需要延期办理，原因：{_said(reason)}。{_due(petition)}。"
    if entry.action == "feed_back":
        return "result", f"{head}已办结，办理结果：{data.get('message') or petition.resolution}"
    if entry.action == "return_visit":
        return "visited", f"感谢您接受{head}的回访，您的评价已记录。如还有问题，欢迎随时在这里咨询。"
    return None


def _mobile(phone: str | None) -> str | None:
    phone = (phone or "").replace(" ", "").replace("-", "")
    return phone if MOBILE.match(phone) else None


def _queue_sms(notice: EnterpriseNotice, phone: str, *, session: Session, now: datetime) -> SmsMessage:
    session.flush()  # the SMS names its notice
    sms = SmsMessage(notice_id=notice.id, phone=phone, text=notice.text, status="pending", next_attempt_at=now,
                     created_at=now, updated_at=now)
    session.add(sms)
    return sms


def enterprise_mobile(uscc: str, *, session: Session) -> str | None:
    """The mobile number the enterprise last left us: the newest of its petitions with a mobile contact."""
    phones = session.execute(select(Petition.contact_phone).where(Petition.uscc == uscc)
                             .order_by(Petition.received_at.desc(), Petition.id.desc()).limit(20)).scalars()
    return next((m for m in map(_mobile, phones) if m), None)


def notice_for(petition: Petition, entry: PetitionEvent, *, session: Session, now: datetime) -> EnterpriseNotice | None:
    """The notice (and SMS) this ledger entry calls for; None when the enterprise need not hear of it."""
    told = _text(petition, entry, session)
    if told is None:
        return None
    if entry.id is None:
        session.flush()  # type: ignore[unreachable]  # the notice names its ledger entry (typed int: once flushed)
    kind, text = told
    notice = EnterpriseNotice(petition_id=petition.id, event_id=entry.id, uscc=petition.uscc, kind=kind,
                              ticket=petition.ticket, text=text, created_at=now)
    session.add(notice)
    phone = _mobile(petition.contact_phone)
    if phone:
        _queue_sms(notice, phone, session=session, now=now)
    return notice


def notice_for_repair(application: RepairApplication, *, uscc: str, session: Session,
                      now: datetime) -> tuple[EnterpriseNotice, SmsMessage | None]:
    """The enterprise hears the decision on its credit-repair application, with the reason: in its chat and
    消息, and by SMS when a mobile number is on record (:func:`enterprise_mobile`)."""
    note = (application.decision_note or "").strip().rstrip("。")
    if application.status == "approved":
        kind = "repair_approved"
        text = (f"您申请修复的纳税信用扣分项（{application.reason}）已审核通过"
                + (f"，审核意见：{note}" if note else "") + "。修复结果将在纳税信用信息中更新。")
    else:
        kind = "repair_rejected"
        text = f"您申请修复的纳税信用扣分项（{application.reason}）未通过审核，原因：{note}。"
    notice = EnterpriseNotice(repair_id=application.id, uscc=uscc, kind=kind, text=text, created_at=now)
    session.add(notice)
    phone = enterprise_mobile(uscc, session=session)
    return notice, (_queue_sms(notice, phone, session=session, now=now) if phone else None)


def list_for(uscc: str, *, session: Session, limit: int = 50) -> list[EnterpriseNotice]:
    query = select(EnterpriseNotice).where(EnterpriseNotice.uscc == uscc).order_by(EnterpriseNotice.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def list_for_petition(petition_id: int, *, session: Session) -> list[tuple[EnterpriseNotice, SmsMessage | None]]:
    query = (select(EnterpriseNotice, SmsMessage).outerjoin(SmsMessage, SmsMessage.notice_id == EnterpriseNotice.id)
             .where(EnterpriseNotice.petition_id == petition_id).order_by(EnterpriseNotice.id))
    return [(notice, sms) for notice, sms in session.execute(query)]


def mark_read(notice_id: int, uscc: str, *, session: Session, now: datetime) -> EnterpriseNotice:
    notice = session.get(EnterpriseNotice, notice_id)
    if notice is None or notice.uscc != uscc:
        raise NotFound("该消息不存在")
    if notice.read_at is None:
        notice.read_at = now
    return notice


def claim_for_chat(uscc: str, *, session: Session, now: datetime, limit: int = 20) -> list[EnterpriseNotice]:
    """The notices not yet in this enterprise's chat, each claimed by a conditional update so that one tab or
    instance alone posts it."""
    waiting = session.execute(select(EnterpriseNotice).where(
        EnterpriseNotice.uscc == uscc, EnterpriseNotice.chat_delivered_at.is_(None),
        EnterpriseNotice.created_at >= now - timedelta(days=90)).order_by(EnterpriseNotice.id).limit(limit)).scalars()
    claimed = []
    for notice in list(waiting):
        won = rowcount(session.execute(update(EnterpriseNotice).where(
            EnterpriseNotice.id == notice.id, EnterpriseNotice.chat_delivered_at.is_(None)
        ).values(chat_delivered_at=now).execution_options(synchronize_session=False)))
        if won:
            notice.chat_delivered_at = now
            claimed.append(notice)
    return claimed
