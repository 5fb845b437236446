"""Which action may happen in which status, and the ledger entry every change leaves (with the notice
the enterprise gets of it, api/outbox).

Illegal transitions raise :class:`~api.core.errors.Conflict` with a reason a person can act on.
"""
from __future__ import annotations

from datetime import datetime
from typing import Union

from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, Invalid
from api.org.models import StaffAccount
from api.outbox.service import notice_for
from api.petition.constants import BOT, STATUS_LABELS, SYSTEM, Status
from api.petition.models import Petition, PetitionEvent

__all__ = ["Actor", "TRANSITIONS", "ACTION_LABELS", "actor_label", "ensure_allowed", "record"]

Actor = Union[StaffAccount, str]  # noqa: UP007
"""A staff account, or ``"bot"`` (the assistant) / ``"system"`` (scheduled work)."""

S = Status
TRANSITIONS: dict[str, tuple[frozenset[Status], Status | None]] = {
    # action: (statuses it may start from, status it leads to; None = unchanged)
    "hand_over": (frozenset({S.registered}), S.handed_over),
    "assign": (frozenset({S.handed_over}), S.assigned),
    "start": (frozenset({S.assigned}), S.in_progress),
    "transfer": (frozenset({S.assigned, S.in_progress}), S.assigned),
    "add_co_handler": (frozenset({S.assigned, S.in_progress}), None),
    "complete_task": (frozenset({S.assigned, S.in_progress}), None),
    "set_task_deadline": (frozenset({S.assigned, S.in_progress}), None),
    "request_extension": (frozenset({S.assigned, S.in_progress}), None),
    "decide_extension": (frozenset({S.assigned, S.in_progress}), None),
    "resolve": (frozenset({S.in_progress}), S.resolved),
    "feed_back": (frozenset({S.resolved}), S.fed_back),
    "return_visit": (frozenset({S.fed_back}), S.visited),
    "close": (frozenset({S.fed_back, S.visited}), S.closed),
}

ACTION_LABELS = {
    "register": "受理登记", "hand_over": "转交纳税服务部门", "assign": "转交办理部门", "start": "开始办理",
    "transfer": "上报或下转", "add_co_handler": "邀请协办部门", "complete_task": "提交协办意见",
    "set_task_deadline": "设定协办期限",
    "request_extension": "申请延期", "decide_extension": "审批延期",
    "resolve": "办结", "feed_back": "反馈办理结果", "return_visit": "回访", "close": "关闭",
    "approve_extension": "批准延期", "reject_extension": "驳回延期",
    "clock_due_soon": "时限即将届满", "clock_overdue": "已超过时限",
}
"""Every ledger action (``PetitionEvent.action``) in Chinese."""

_HINTS = {
    "resolve": "请先开始办理",
    "feed_back": "办结后才能反馈",
    "return_visit": "反馈办理结果后才能回访",
    "close": "反馈办理结果后才能关闭",
    "assign": "须先转交纳税服务部门",
    "complete_task": "只能在办理期间提交",
    "add_co_handler": "只能在办理期间邀请",
    "set_task_deadline": "只能在办理期间设定",
}


def actor_label(actor: Actor) -> str:
    """How the ledger names the actor; inactive accounts and unknown names are refused."""
    if isinstance(actor, StaffAccount):
        if not actor.active:
            raise Forbidden(f"账号“{actor.username}”已停用")
        return str(actor.id)
    if actor in (BOT, SYSTEM):
        return actor
    raise Invalid(f"未知的操作人：{actor!r}")


def ensure_allowed(petition: Petition, action: str) -> Status:
    """The status ``action`` leads to; Conflict if ``petition``'s status does not allow it."""
    sources, target = TRANSITIONS[action]
    current = Status(petition.status)
    if current not in sources:
        reason = f"诉求 {petition.ticket} 当前状态为“{STATUS_LABELS[current]}”，不能{ACTION_LABELS[action]}"
        hint = "诉求已关闭" if current is S.closed else _HINTS.get(action)
        raise Conflict(f"{reason}（{hint}）" if hint else reason, code="illegal_transition")
    return target or current


def record(petition: Petition, action: str, *, session: Session, actor: Actor, at: datetime,
           from_status: Status | None, to_status: Status | None, reason: str | None = None,
           data: dict | None = None) -> PetitionEvent:
    """Append one ledger entry; the petition must have been flushed (it needs an id)."""
    entry = PetitionEvent(petition_id=petition.id, at=at, actor=actor_label(actor), action=action,
                          from_status=from_status.value if from_status else None,
                          to_status=to_status.value if to_status else None, reason=reason, data=data)
    session.add(entry)
    notice_for(petition, entry, session=session, now=at)  # what the enterprise hears of it, in the same transaction
    return entry
