"""The life of a reminder: created (quiet periods respected), delivered (weekly cap), read, answered,
closed; the enterprise's answers and credit-repair applications.

Functions take ``session=`` and never commit. A reminder is unique per (enterprise, rule, key); a rule
does not remind the same enterprise again within its ``quiet_days``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from api.core.database import rowcount
from api.core.errors import Conflict, NotFound
from api.core.time import china_date
from api.enterprise.models import CreditDeduction, CreditRecord
from api.reminder.models import ANSWERS, Reminder, RepairApplication
from common.workdays import CalendarUnknownYear, add_working_days

__all__ = ["TERMINAL", "ANSWER_LABELS", "INTENT_ANSWERS", "answer_for_intent", "recent_subjects", "reminder_row",
           "deliverable", "mark_delivered", "mark_read", "find_for_answer", "record_answer", "apply_repair",
           "list_for", "REPAIR_DAYS", "buttons_for", "picture_reminders", "pending_counts"]

REPAIR_DAYS = 5
TERMINAL = {"claimed", "not_applicable", "corrected", "explained", "apply"}
"""Answers that settle a reminder (it is closed); 怎么享受/怎么修复 and 需要帮助 keep it open."""
ANSWER_LABELS = {"how": "怎么办理", "claimed": "已享受", "not_applicable": "不适用", "corrected": "已自查更正",
                 "explained": "有合理原因", "help": "需要帮助", "apply": "申请修复"}
INTENT_ANSWERS: dict[str, dict[str, str | None]] = {
    # intent → answer by reminder type (None: this answer does not fit that type)
    "reminder_how": {"policy": "how", "risk": "help", "credit": "how"},
    "reminder_claimed": {"policy": "claimed", "risk": "corrected", "credit": "corrected"},
    "reminder_not_applicable": {"policy": "not_applicable", "risk": "explained", "credit": None},
    "risk_corrected": {"policy": "claimed", "risk": "corrected", "credit": "corrected"},
    "risk_explain": {"policy": "not_applicable", "risk": "explained", "credit": None},
    "apply_credit_repair": {"policy": None, "risk": None, "credit": "apply"},
    "request_human": {"policy": None, "risk": "help", "credit": None},
}
_BUTTONS = {
    "policy": (("怎么享受", "reminder_how"), ("已享受", "reminder_claimed"), ("不适用", "reminder_not_applicable")),
    "risk": (("已自查更正", "risk_corrected"), ("有合理原因", "risk_explain"), ("需要帮助", "request_human")),
    "credit": (("怎么修复", "reminder_how"), ("申请修复", "apply_credit_repair"), ("已纠正", "risk_corrected")),
}


def buttons_for(reminder: Reminder) -> list[dict]:
    """Quick replies carrying the reminder's id, so the answer reaches the right reminder through Rasa."""
    return [{"title": title, "payload": f'/{intent}{{"reminder_id":"{reminder.id}"}}'}
            for title, intent in _BUTTONS[reminder.type]]


def answer_for_intent(intent: str | None, reminder_type: str) -> str | None:
    return (INTENT_ANSWERS.get(intent or "") or {}).get(reminder_type)


def recent_subjects(enterprise_ids: list[int], rule_id: str, since: datetime, *,
                    session: Session) -> tuple[set[tuple[int, str]], set[int]]:
    """For a batch: the (enterprise, key) pairs already reminded of this rule, and the enterprises reminded of
    it since ``since`` (the quiet period)."""
    rows = session.execute(select(Reminder.enterprise_id, Reminder.key, Reminder.created_at)
                           .where(Reminder.rule_id == rule_id, Reminder.enterprise_id.in_(enterprise_ids))).all()
    return {(e, k) for e, k, _ in rows}, {e for e, _, created in rows if created >= since}


def reminder_row(*, enterprise_id: int, uscc: str, rule, outcome, message: str, now: datetime,
                 campaign_id: int | None = None) -> dict:
    """The values of a new reminder, for a bulk insert."""
    return {"enterprise_id": enterprise_id, "uscc": uscc, "rule_id": rule.id, "type": rule.type, "topic": rule.topic,
            "key": outcome.key[:200], "title": rule.title[:200], "message": message,
            "reasons": list(outcome.reasons), "values": _plain(outcome.values), "campaign_id": campaign_id,
            "status": "created", "created_at": now}


def _plain(values: dict) -> dict:
    """JSON-safe copies of an outcome's values (dates and Decimals as text)."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, (list, tuple, set, frozenset)):
            out[key] = [v if isinstance(v, (int, float, str, bool)) or v is None else str(v) for v in value]
        else:
            out[key] = value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
    return out


def deliverable(uscc: str, *, session: Session, now: datetime, weekly_cap: int, limit: int = 5) -> list[Reminder]:
    """Created reminders of the enterprise that may be delivered now — risks, then credit, then policies, oldest
    first — within the weekly cap."""
    delivered_this_week = session.execute(select(func.count(Reminder.id)).where(
        Reminder.uscc == uscc, Reminder.delivered_at >= now - timedelta(days=7))).scalar_one()
    room = max(0, min(limit, weekly_cap - delivered_this_week))
    if not room:
        return []
    urgency = case((Reminder.type == "risk", 0), (Reminder.type == "credit", 1), else_=2)  # what costs most if missed
    return list(session.execute(select(Reminder).where(Reminder.uscc == uscc, Reminder.status == "created")
                                .order_by(urgency, Reminder.created_at, Reminder.id).limit(room)).scalars())


def mark_delivered(reminder: Reminder, message_id: int | None, *, session: Session, now: datetime) -> bool:
    """Created → delivered, once: False if another connection delivered it first."""
    done = rowcount(session.execute(update(Reminder).where(Reminder.id == reminder.id, Reminder.status == "created")
                                    .values(status="delivered", delivered_at=now, message_id=message_id)
                                    .execution_options(synchronize_session=False)))
    return bool(done)


def _own(reminder_id: int, uscc: str, session: Session) -> Reminder:
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.uscc != uscc:
        raise NotFound(f"提醒 {reminder_id} 不存在", code="no_reminder")
    return reminder


def mark_read(reminder_id: int, uscc: str, *, session: Session, now: datetime) -> Reminder:
    reminder = _own(reminder_id, uscc, session)
    if reminder.read_at is None:
        reminder.read_at = now
        reminder.delivered_at = reminder.delivered_at or now
        if reminder.status in ("created", "delivered"):
            reminder.status = "read"
    return reminder


def find_for_answer(uscc: str, intent: str | None, reminder_id: int | None, *, session: Session) -> Reminder:
    """The reminder an answer is about: the one named, or the latest open one that this answer fits."""
    if reminder_id is not None:
        return _own(reminder_id, uscc, session)
    fits = [t for t, answers in ANSWERS.items() if answer_for_intent(intent, t)]
    found = session.execute(select(Reminder).where(Reminder.uscc == uscc, Reminder.type.in_(fits),
                                                   Reminder.status.in_(("delivered", "read", "answered")))
                            .order_by(Reminder.delivered_at.desc(), Reminder.id.desc()).limit(1)).scalar_one_or_none()
    if found is None:
        raise NotFound("没有找到需要您回复的提醒", code="no_reminder")
    return found


def record_answer(reminder: Reminder, answer: str, explanation: str | None, *, session: Session,
                  now: datetime) -> Reminder:
    if answer not in ANSWERS[reminder.type]:
        raise Conflict("该提醒不支持这个回复", code="answer_does_not_fit")
    if reminder.status in ("closed", "expired"):
        raise Conflict("该提醒已处理完毕，无需再回复", code="reminder_closed")
    reminder.read_at = reminder.read_at or now
    reminder.delivered_at = reminder.delivered_at or now
    reminder.answer, reminder.answered_at = answer, now
    if explanation:
        reminder.explanation = explanation[:2000]
    if answer in TERMINAL:
        reminder.status, reminder.closed_at = "closed", now
    else:
        reminder.status = "answered"
    return reminder


def apply_repair(reminder: Reminder, *, session: Session, now: datetime, unit_id: int) -> list[RepairApplication]:
    """申请修复 for each repairable deduction the reminder is about, to be decided by ``unit_id`` (the unit
    serving the enterprise's chat); an application already made is returned as it is (one per deduction)."""
    deduction_ids = [int(d) for d in ((reminder.values or {}).get("deduction_ids") or [])
                     if str(d).isdigit()] or ([int((reminder.values or {})["deduction_id"])]
                                              if str((reminder.values or {}).get("deduction_id", "")).isdigit() else [])
    if not deduction_ids:
        raise Conflict("该提醒没有可申请修复的扣分记录", code="nothing_to_repair")
    deduction_ids = _ready_for_repair(reminder.enterprise_id, deduction_ids, session=session)
    existing = {a.deduction_id: a for a in session.execute(select(RepairApplication).where(
        RepairApplication.enterprise_id == reminder.enterprise_id,
        RepairApplication.deduction_id.in_(deduction_ids))).scalars()}
    try:
        due = add_working_days(china_date(now), REPAIR_DAYS)
    except CalendarUnknownYear:  # logged by the calendar: the clock is shown as unknown, never guessed
        due = None
    out = []
    for deduction_id in deduction_ids:
        application = existing.get(deduction_id)
        if application is None:
            application = RepairApplication(enterprise_id=reminder.enterprise_id, reminder_id=reminder.id,
                                            deduction_id=deduction_id, reason=reminder.title, status="received",
                                            received_at=now, due_date=due, unit_id=unit_id)
            session.add(application)
        out.append(application)
    session.flush()
    return out


def _ready_for_repair(enterprise_id: int, deduction_ids: list[int], *, session: Session) -> list[int]:
    """The deductions that may be repaired now: the enterprise's own, repairable, and already corrected (纠正失信行为
    is the condition of 信用修复). Conflict, saying what to do first, when none is ready — never an application the
    bureau would have to refuse."""
    rows = session.execute(select(CreditDeduction).join(CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id)
                           .where(CreditRecord.enterprise_id == enterprise_id, CreditDeduction.id.in_(deduction_ids))
                           .order_by(CreditDeduction.id)).scalars().all()
    ready = [d.id for d in rows if d.repairable and d.corrected_on is not None]
    if ready:
        return ready
    uncorrected = [d.reason for d in rows if d.repairable and d.corrected_on is None]
    if uncorrected:
        raise Conflict(f"请先纠正失信行为：{'；'.join(uncorrected)}（如补办申报、缴清税款和滞纳金）。"
                       "纠正后数据同步到系统（通常1个工作日），再申请信用修复即可。", code="correct_first")
    raise Conflict("该扣分项不属于可申请修复的范围，如有疑问可转人工咨询。", code="not_repairable")


def pending_counts(session: Session, enterprise_ids: list[int]) -> dict[int, int]:
    """Stored reminders waiting for each enterprise (not yet read nor settled); the demo list adds what the rules
    will create on opening (api.reminder.delivery.pending_counts)."""
    rows = session.execute(select(Reminder.enterprise_id, func.count(Reminder.id))
                           .where(Reminder.enterprise_id.in_(enterprise_ids),
                                  Reminder.status.in_(("created", "delivered")))
                           .group_by(Reminder.enterprise_id)).tuples().all()
    return dict(rows)


def picture_reminders(uscc: str, session: Session) -> list[dict]:
    """The enterprise's open reminders for a seat's picture of it."""
    return [{"id": r.id, "type": r.type, "title": r.title, "status": r.status,
             "answer": ANSWER_LABELS.get(r.answer or ""), "created_at": r.created_at.isoformat()}
            for r in list_for(uscc, session=session, limit=20)]


OPEN_STATUSES = ("created", "delivered", "read")  # not yet answered, closed or expired


def open_for(uscc: str, *, session: Session, limit: int = 5) -> list[Reminder]:
    """What the enterprise still has to answer, risks first, newest first."""
    rank = {"risk": 0, "credit": 1, "policy": 2}
    rows = session.execute(select(Reminder).where(Reminder.uscc == uscc, Reminder.status.in_(OPEN_STATUSES))
                           .order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(50)).scalars()
    return sorted(rows, key=lambda r: rank.get(r.type, 3))[:limit]


def list_for(uscc: str, *, session: Session, limit: int = 50) -> list[Reminder]:
    """The enterprise's 消息 list: every reminder but the expired, newest first."""
    return list(session.execute(select(Reminder).where(and_(Reminder.uscc == uscc, Reminder.status != "expired"))
                                .order_by(Reminder.created_at.desc(), Reminder.id.desc()).limit(limit)).scalars())
