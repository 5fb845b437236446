"""Conversation rules: opening, posting, queueing, claiming, escalating, transferring, closing, rating.

Functions take ``session=`` and never commit; the route or the socket handler owns the transaction
and publishes the events (api.hub.events) after the commit. Times are aware UTC.
"""
from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, Invalid, NotFound
from api.hub.identity import Identity
from api.hub.models import Attachment, Conversation, Message
from api.hub.routing import TIER_ROLES
from api.hub.schemas import seat_label, seat_name
from api.hub.units import serves
from api.org.models import StaffAccount
from api.org.service import serving_unit
from api.settings import Settings
from common.workdays import CHINA_TZ
from knowledge.skills import GENERAL, skill_of

__all__ = ["BOT_NAME", "SYSTEM_NAME", "REASONS", "open_conversation", "latest_conversation", "new_sender",
           "current_conversation", "route", "conversation_for_sender", "find_by_client_id", "post", "post_turn", "touch", "history",
           "transcript", "skill_for", "request_person", "assign_to", "claim", "ensure_holder", "escalate", "transfer",
           "handback", "close", "requeue", "SEAT_LOST", "rate", "give_feedback", "unread_count", "mark_read",
           "open_loads", "handle_seconds", "seat_conversation", "transcript_text", "record_understanding"]

BOT_NAME = "智能助手"
SYSTEM_NAME = "系统消息"
REASONS = {"user_request": "用户要求转人工", "bot_failed": "智能助手未能解答", "bot_failed_twice": "智能助手两次未能解答",
           "escalated": "干部升级至专家", "reminder_help": "企业就提醒事项需要帮助",
           "topic": "需人工办理的事项", "seat_lost": "坐席连接中断"}


def _seat_label(staff: StaffAccount) -> str:
    return seat_label(staff.role, staff.display_name)


def open_conversation(identity_key: str, *, session: Session) -> Conversation | None:
    """The identity's conversation that is not closed, if any."""
    return session.execute(select(Conversation).where(Conversation.identity == identity_key,
                                                      Conversation.mode != "closed")
                           .order_by(Conversation.id.desc()).limit(1)).scalar_one_or_none()


def latest_conversation(identity_key: str, *, session: Session) -> Conversation | None:
    return session.execute(select(Conversation).where(Conversation.identity == identity_key)
                           .order_by(Conversation.id.desc()).limit(1)).scalar_one_or_none()


def new_sender() -> str:
    """A Rasa sender id for a conversation not yet opened (one tracker per conversation)."""
    return secrets.token_hex(16)


def current_conversation(identity: Identity, *, session: Session, settings: Settings, now: datetime,
                         sender: str | None = None) -> Conversation:
    """The open conversation, or a new one in bot mode (after a closed one, the next message starts anew) under
    the Rasa sender id ``sender`` (from :func:`new_sender`: the hub may have sent the message to Rasa already).
    A new conversation belongs to the unit that serves the enterprise (属地; a visitor's to the intake unit); a visitor who logs in meanwhile moves it to
    the enterprise's unit while the bot still has it."""
    conversation = open_conversation(identity.key, session=session)
    if conversation is None:
        conversation = Conversation(identity=identity.key, rasa_sender=sender or new_sender(),
                                    uscc=identity.uscc, enterprise_name=identity.name,
                                    unit_id=serving_unit(identity.uscc, session=session, settings=settings).id,
                                    mode="bot", created_at=now, last_message_at=now, had_human=False, seat_read_id=0)
        session.add(conversation)
        session.flush()
    elif identity.uscc and conversation.uscc is None:
        conversation.uscc, conversation.enterprise_name = identity.uscc, identity.name
        route(conversation, session=session, settings=settings)
    return conversation


def route(conversation: Conversation, *, session: Session, settings: Settings) -> None:
    """While the bot has it, the conversation belongs to the unit serving its enterprise now (regions may have
    changed since it began); once queued or with a person it stays where it is."""
    if conversation.mode == "bot":
        conversation.unit_id = serving_unit(conversation.uscc, session=session, settings=settings).id


def conversation_for_sender(rasa_sender: str, *, session: Session) -> Conversation | None:
    return session.execute(select(Conversation).where(Conversation.rasa_sender == rasa_sender)).scalar_one_or_none()


def find_by_client_id(identity_key: str, client_id: str, *, session: Session) -> Message | None:
    """A message this identity already sent with ``client_id`` (a resend after a dropped connection)."""
    return session.execute(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                           .where(Conversation.identity == identity_key, Message.client_id == client_id)
                           .limit(1)).scalar_one_or_none()


def _message_values(conversation_id: int, *, sender: str, text: str, now: datetime, mode: str,
                    enterprise_name: str | None = None, client_id: str | None = None,
                    staff: StaffAccount | None = None, buttons: list | None = None, custom: dict | None = None,
                    intent: str | None = None, confidence: float | None = None, attachment: Attachment | None = None,
                    internal: bool = False) -> dict[str, Any]:
    """The columns of a new message (what :func:`post` and :func:`post_turn` store)."""
    name = {"user": enterprise_name or "访客", "bot": BOT_NAME, "system": SYSTEM_NAME}.get(sender)
    return {"conversation_id": conversation_id, "client_id": client_id, "sender": sender,
            "sender_staff_id": staff.id if staff else None,
            "sender_name": seat_name(staff.display_name) if staff else name,
            "mode": mode, "text": text or "", "buttons": buttons or None, "custom": custom,
            "kind": (custom or {}).get("kind") if isinstance(custom, dict) else None, "intent": intent,
            "confidence": confidence, "attachment_id": attachment.id if attachment else None, "internal": internal,
            "created_at": now}


def post(conversation: Conversation, *, session: Session, sender: str, text: str, now: datetime,
         client_id: str | None = None, staff: StaffAccount | None = None, buttons: list | None = None,
         custom: dict | None = None, intent: str | None = None, confidence: float | None = None,
         attachment: Attachment | None = None, internal: bool = False, mode: str | None = None) -> Message:
    message = Message(**_message_values(conversation.id, sender=sender, text=text, now=now,
                                        mode=mode or conversation.mode, enterprise_name=conversation.enterprise_name,
                                        client_id=client_id, staff=staff, buttons=buttons, custom=custom,
                                        intent=intent, confidence=confidence, attachment=attachment,
                                        internal=internal))
    session.add(message)
    conversation.last_message_at = now
    if staff is not None and not internal and conversation.first_response_at is None:
        conversation.first_response_at = now
    session.flush()
    return message


def post_turn(conversation_id: int, drafts: list[dict[str, Any]], *, session: Session, now: datetime) -> list[Message]:
    """The bot's (or the system's) messages of one turn in one INSERT, without the ORM's unit of work: the hub's hot
    path (api.hub.widget), where the enterprise waits for the commit. ``drafts`` are :func:`post`'s keywords (but
    ``staff``, ``attachment``), each with its ``mode``. The conversation's ``last_message_at`` is moved on afterwards
    with :func:`touch`. Returns the stored messages, not in the session."""
    if not drafts:
        return []
    messages = Message.__table__
    values = [_message_values(conversation_id, now=now, **draft) for draft in drafts]
    ids = session.execute(insert(messages).returning(messages.c.id, sort_by_parameter_order=True),
                          values).scalars().all()
    return [Message(**v, id=i) for v, i in zip(values, ids, strict=True)]


def touch(conversation_id: int, *, session: Session, now: datetime) -> Conversation:
    """Move the conversation's ``last_message_at`` on to ``now`` after :func:`post_turn`, in one UPDATE that reads back
    what its events need: a copy of the conversation with its identity, unit, seat, name and mode, not in the
    session."""
    conversations = Conversation.__table__
    row = session.execute(update(conversations).where(conversations.c.id == conversation_id)
                          .values(last_message_at=now)
                          .returning(conversations.c.identity, conversations.c.unit_id,
                                     conversations.c.assigned_staff_id, conversations.c.enterprise_name,
                                     conversations.c.mode)).one()
    return Conversation(id=conversation_id, identity=row.identity, unit_id=row.unit_id,
                        assigned_staff_id=row.assigned_staff_id, enterprise_name=row.enterprise_name, mode=row.mode,
                        last_message_at=now)


def _with_attachments(messages: Sequence[Message], session: Session) -> list[tuple[Message, Attachment | None]]:
    ids = {m.attachment_id for m in messages if m.attachment_id}
    files = {a.id: a for a in session.execute(select(Attachment).where(Attachment.id.in_(ids))).scalars()} if ids else {}
    return [(m, files.get(m.attachment_id) if m.attachment_id else None) for m in messages]


def history(identity_key: str, *, session: Session, after: int | None = None,
            limit: int = 100) -> list[tuple[Message, Attachment | None]]:
    """The identity's messages across its conversations, oldest first, without seats' internal notes:
    those after ``after``, or the last ``limit``."""
    query = (select(Message).join(Conversation, Conversation.id == Message.conversation_id)
             .where(Conversation.identity == identity_key, Message.internal.is_(False)))
    if after is not None:
        rows = session.execute(query.where(Message.id > after).order_by(Message.id).limit(limit)).scalars().all()
    else:
        rows = list(reversed(session.execute(query.order_by(Message.id.desc()).limit(limit)).scalars().all()))
    return _with_attachments(rows, session)


def transcript(conversation: Conversation, *, session: Session) -> list[tuple[Message, Attachment | None]]:
    rows = session.execute(select(Message).where(Message.conversation_id == conversation.id)
                           .order_by(Message.id)).scalars().all()
    return _with_attachments(list(rows), session)


def transcript_text(conversation: Conversation, *, session: Session, limit: int = 3000) -> str:
    """The conversation as plain lines (time, who, what) for a petition, newest kept when too long."""
    lines = [f"[{m.created_at.astimezone(CHINA_TZ):%m-%d %H:%M}] {m.sender_name}：{m.text}"
             for m, _ in transcript(conversation, session=session) if not m.internal and m.text]
    text = "\n".join(lines)
    return text if len(text) <= limit else "…\n" + text[-limit:]


def skill_for(conversation: Conversation, *, session: Session) -> str:
    """The skill of the last topic the bot answered or offered in this conversation."""
    custom = session.execute(select(Message.custom).where(Message.conversation_id == conversation.id,
                                                          Message.kind.in_(("answer", "clarify")))
                             .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()
    if not isinstance(custom, dict):
        return GENERAL
    topic = custom.get("topic") or next((o.get("topic") for o in custom.get("options") or [] if isinstance(o, dict)),
                                        None)
    return skill_of(topic)


def request_person(conversation: Conversation, *, session: Session, tier: str, reason: str, now: datetime) -> None:
    """Into the queue of its unit and tier (a conversation already with a person of that tier stays)."""
    if conversation.mode == "closed":
        raise Conflict("会话已结束", code="conversation_closed")
    if conversation.mode == "human" and conversation.tier == tier:
        return
    if conversation.mode == "queued" and conversation.tier == tier:
        return
    conversation.mode, conversation.tier, conversation.reason = "queued", tier, reason[:40]
    conversation.queued_at, conversation.assigned_staff_id, conversation.assigned_at = now, None, None
    conversation.skill = skill_for(conversation, session=session)


def _may_serve(conversation: Conversation, staff: StaffAccount, session: Session) -> None:
    if not serves(staff, conversation.unit_id, session=session):
        raise NotFound(f"会话 {conversation.id} 不存在")  # other units' conversations are not even named
    if conversation.tier and TIER_ROLES[conversation.tier] != staff.role:
        tier = "专家" if conversation.tier == "expert" else "税务干部"
        raise Forbidden(f"该会话等待{tier}坐席接入", code="wrong_tier")


def seat_conversation(conversation_id: int, staff: StaffAccount, *, session: Session,
                      for_update: bool = False) -> Conversation:
    """A conversation of a unit the seat serves (api.hub.units); 404 for any other (its existence is not
    revealed)."""
    query = select(Conversation).where(Conversation.id == conversation_id)
    if for_update:
        query = query.with_for_update()
    conversation = session.execute(query).scalar_one_or_none()
    if conversation is None or not serves(staff, conversation.unit_id, session=session):
        raise NotFound(f"会话 {conversation_id} 不存在")
    return conversation


def assign_to(conversation: Conversation, staff: StaffAccount, *, session: Session, now: datetime) -> Message:
    _may_serve(conversation, staff, session)
    conversation.mode, conversation.assigned_staff_id, conversation.assigned_at = "human", staff.id, now
    conversation.had_human, conversation.seat_read_id = True, 0
    return post(conversation, session=session, sender="system", now=now,
                text=f"{_seat_label(staff)}已接入，正在为您服务。")


def claim(conversation: Conversation, staff: StaffAccount, *, session: Session, now: datetime) -> Message:
    _may_serve(conversation, staff, session)
    if conversation.mode != "queued":
        if conversation.mode == "human" and conversation.assigned_staff_id == staff.id:
            raise Conflict("该会话已由您接入", code="already_yours")
        raise Conflict("该会话已被其他坐席接入或已结束", code="not_waiting")
    return assign_to(conversation, staff, session=session, now=now)


def ensure_holder(conversation: Conversation, staff: StaffAccount) -> None:
    if conversation.mode != "human" or conversation.assigned_staff_id != staff.id:
        raise Conflict("该会话不在您的服务中", code="not_your_conversation")


def escalate(conversation: Conversation, staff: StaffAccount, note: str | None, *, session: Session,
             now: datetime) -> Message:
    """Into the expert queue, whether or not an expert is online now (it waits; it is not refused); returns
    the seat's internal note. The caller tells the enterprise its place (api.hub.dispatch.tell_waiting)."""
    ensure_holder(conversation, staff)
    if conversation.tier == "expert":
        raise Conflict("该会话已在专家坐席", code="already_expert")
    noted = post(conversation, session=session, sender=staff.role, staff=staff, now=now, internal=True,
                 text=f"升级至专家坐席。备注：{note or '无'}")
    request_person(conversation, session=session, tier="expert", reason="escalated", now=now)
    return noted


def transfer(conversation: Conversation, staff: StaffAccount, colleague: StaffAccount, note: str | None, *,
             session: Session, now: datetime) -> list[Message]:
    ensure_holder(conversation, staff)
    if colleague.id == staff.id:
        raise Invalid("不能转交给自己", code="same_seat")
    if not colleague.active or colleague.role != staff.role or not serves(colleague, conversation.unit_id,
                                                                           session=session):
        raise Invalid("只能转交给负责该会话所属单位的同一层级在岗坐席", code="bad_colleague")
    noted = post(conversation, session=session, sender=staff.role, staff=staff, now=now, internal=True,
                 text=f"转交给{colleague.display_name}。备注：{note or '无'}")
    conversation.assigned_staff_id, conversation.assigned_at, conversation.seat_read_id = colleague.id, now, 0
    return [noted, post(conversation, session=session, sender="system", now=now,
                        text=f"已为您转接{_seat_label(colleague)}，正在为您服务。")]


def handback(conversation: Conversation, staff: StaffAccount, *, session: Session, now: datetime) -> list[Message]:
    ensure_holder(conversation, staff)
    conversation.mode, conversation.assigned_staff_id = "bot", None
    return [post(conversation, session=session, sender="system", now=now, text="已转回智能助手，您可以继续提问。")]


def close(conversation: Conversation, staff: StaffAccount, summary: str, *, session: Session,
          now: datetime) -> list[Message]:
    ensure_holder(conversation, staff)
    conversation.summary, conversation.closed_at, conversation.mode = summary, now, "closed"
    return [post(conversation, session=session, sender="system", now=now,
                 text="本次人工服务已结束，感谢您的耐心。请为本次服务评分。")]


def requeue(conversation: Conversation, *, session: Session, now: datetime) -> bool:
    """A seat was lost: back to the head of the queue (its original queue time is kept). The caller tells the
    enterprise (api.hub.dispatch.tell_waiting, with ``SEAT_LOST``)."""
    if conversation.mode != "human":
        return False
    conversation.mode, conversation.assigned_staff_id, conversation.assigned_at = "queued", None, None
    conversation.queued_at = conversation.queued_at or now
    return True


SEAT_LOST = "为您服务的坐席连接中断，"


def _own(conversation: Conversation | None, identity_key: str, what: str, key) -> Conversation:
    if conversation is None or conversation.identity != identity_key:
        raise NotFound(f"{what} {key} 不存在")
    return conversation


def rate(conversation_id: int, identity_key: str, score: int, comment: str | None, *, session: Session,
         now: datetime) -> Conversation:
    conversation = _own(session.get(Conversation, conversation_id), identity_key, "会话", conversation_id)
    if conversation.mode != "closed" or not conversation.had_human:
        raise Conflict("人工服务结束后才能评价", code="not_rateable")
    if conversation.rating is not None:
        raise Conflict("您已评价过本次服务，谢谢", code="already_rated")
    conversation.rating, conversation.rating_comment, conversation.rated_at = score, comment or None, now
    return conversation


def give_feedback(message_id: int, identity_key: str, value: str, *, session: Session, now: datetime) -> Message:
    message = session.get(Message, message_id)
    conversation = session.get(Conversation, message.conversation_id) if message else None
    _own(conversation, identity_key, "消息", message_id)
    assert message is not None  # _own refused a missing one (no conversation)
    if message.sender != "bot":
        raise Conflict("只能评价智能助手的回答", code="not_a_bot_answer")
    message.feedback, message.feedback_at = value, now
    return message


def record_understanding(message_ids: list[int], intent: str, confidence: float | None, *,
                         session: Session) -> None:
    """Attach the intent and confidence of a bot turn to its stored messages."""
    session.execute(update(Message).where(Message.id.in_(message_ids)).values(intent=intent[:100],
                                                                                  confidence=confidence))


def unread_count(conversation: Conversation, *, session: Session) -> int:
    return session.execute(select(func.count(Message.id)).where(
        Message.conversation_id == conversation.id, Message.sender == "user",
        Message.id > conversation.seat_read_id)).scalar_one()


def mark_read(conversation: Conversation, message_id: int) -> None:
    conversation.seat_read_id = max(conversation.seat_read_id or 0, message_id)


def open_loads(staff_ids: list[int], *, session: Session) -> dict[int, int]:
    """Open (human-mode) conversations per seat, in every unit (an expert may hold several units' at once)."""
    if not staff_ids:
        return {}
    rows = session.execute(select(Conversation.assigned_staff_id, func.count(Conversation.id))
                           .where(Conversation.assigned_staff_id.in_(staff_ids), Conversation.mode == "human")
                           .group_by(Conversation.assigned_staff_id)).all()
    return {staff_id: count for staff_id, count in rows if staff_id is not None}


def handle_seconds(unit_id: int, *, session: Session, last: int = 20) -> float | None:
    """Average time seats spent on the unit's last ``last`` closed conversations."""
    rows = session.execute(select(Conversation.assigned_at, Conversation.closed_at)
                           .where(Conversation.unit_id == unit_id, Conversation.mode == "closed",
                                  Conversation.assigned_at.is_not(None), Conversation.closed_at.is_not(None))
                           .order_by(Conversation.closed_at.desc()).limit(last)).all()
    spans = [(closed - assigned).total_seconds() for assigned, closed in rows if closed > assigned]
    return sum(spans) / len(spans) if spans else None
