"""Putting waiting conversations with seats, and what the widget and the console are shown.

``run_assignment`` is the one place where the queue meets presence: it takes a Redis lock per unit
(several instances may call it at once), opens its own transaction, assigns what it can, commits and
publishes. Everything else here reads.
"""
from __future__ import annotations

import logging
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.hub import events, presence, routing, service
from api.hub.models import Conversation, Message
from api.hub.schemas import SEAT_BADGES, iso, message_wire
from api.org.models import StaffAccount
from api.petition.timing import aware_now
from api.privacy.policy import conversation_view
from api.settings import Settings

__all__ = ["run_assignment", "tier_present", "is_open", "widget_state", "seat_summary", "queue_for", "mine_for",
           "seat_info"]

log = logging.getLogger(__name__)


def is_open(settings: Settings, now: datetime) -> bool:
    return routing.service_open(now, routing.parse_hours(settings.service_hours), settings.service_workdays_only)


def tier_present(client: redis.Redis, unit_id: int, tier: str) -> int:
    """Seats of the tier present (online or busy) in the unit."""
    role = routing.TIER_ROLES[tier]
    return sum(1 for s in presence.present_seats(client, unit_id) if s.role == role and s.status != "away")


def run_assignment(session_factory: sessionmaker, client: redis.Redis, settings: Settings, unit_id: int,
                   now: datetime | None = None) -> list[int]:
    """Give the unit's waiting conversations, longest waiting first, to free online seats; the ids assigned."""
    lock = client.lock(f"hub:assign:{unit_id}", timeout=15, blocking_timeout=5)
    if not lock.acquire():
        log.warning("assignment for unit %s is busy elsewhere; the next sweep retries", unit_id)
        return []
    assigned, out, given = [], [], []
    try:
        with session_factory() as session:
            now = aware_now(now)
            waiting = session.execute(select(Conversation).where(Conversation.unit_id == unit_id,
                                                                 Conversation.mode == "queued")
                                      .order_by(Conversation.queued_at, Conversation.id).limit(200)).scalars().all()
            if not waiting:
                return []
            seats = presence.present_seats(client, unit_id, service.open_loads(unit_id, session=session))
            for conversation in waiting:
                chosen = routing.choose_seat(conversation.tier, conversation.skill, seats, settings.seat_cap)
                if chosen is None:
                    continue
                staff = session.get(StaffAccount, chosen.staff_id)
                if staff is None or not staff.active:
                    seats = [s for s in seats if s.staff_id != chosen.staff_id]
                    continue
                note = service.assign_to(conversation, staff, session=session, now=now)
                seats = [s if s.staff_id != staff.id else routing.Seat(s.staff_id, s.role, s.status, s.skills,
                                                                        s.load + 1, now.timestamp())
                         for s in seats]
                assigned.append(conversation.id)
                given.append(staff.id)
                out += events.message_events(conversation, message_wire(note)) + events.change_events(conversation)
            session.commit()
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            log.warning("assignment lock for unit %s expired before release", unit_id)
    for staff_id in given:
        presence.mark_given_work(client, staff_id)
    events.publish(client, out)
    return assigned


def seat_info(staff: StaffAccount | None) -> dict | None:
    if staff is None:
        return None
    return {"id": staff.id, "name": staff.display_name, "role": staff.role, "badge": SEAT_BADGES.get(staff.role, "")}


def widget_state(conversation: Conversation | None, *, session: Session, client: redis.Redis, settings: Settings,
                 now: datetime) -> dict | None:
    hours = routing.parse_hours(settings.service_hours)
    base = {"service_open": is_open(settings, now), "service_hours": hours.label(settings.service_workdays_only)}
    if conversation is None:
        return None
    position = routing.queue_position(conversation, session=session)
    wait = None
    if position is not None:
        wait = routing.expected_wait_seconds(position, tier_present(client, conversation.unit_id, conversation.tier),
                                             service.handle_seconds(conversation.unit_id, session=session))
    staff = session.get(StaffAccount, conversation.assigned_staff_id) if conversation.assigned_staff_id else None
    return {"id": conversation.id, "mode": conversation.mode, "tier": conversation.tier, "position": position,
            "expected_wait_seconds": wait, "seat": seat_info(staff), **base,
            "can_rate": conversation.mode == "closed" and conversation.had_human and conversation.rating is None,
            "rating": conversation.rating}


def seat_summary(conversation: Conversation, *, session: Session, now: datetime, viewer: StaffAccount) -> dict:
    """The conversation's line in a seat's lists, masked unless ``viewer`` holds it (api.privacy.policy)."""
    masker = conversation_view(viewer, conversation).masker
    names = [conversation.enterprise_name]
    last = session.execute(select(Message).where(Message.conversation_id == conversation.id,
                                                 Message.internal.is_(False))
                           .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()
    staff = session.get(StaffAccount, conversation.assigned_staff_id) if conversation.assigned_staff_id else None
    waiting = int((now - conversation.queued_at).total_seconds()) if conversation.mode == "queued" else None
    return {"id": conversation.id, "mode": conversation.mode, "tier": conversation.tier,
            "enterprise_name": masker.name(conversation.enterprise_name), "uscc": masker.uscc(conversation.uscc),
            "visitor": None if conversation.uscc else f"访客{conversation.identity[-4:]}",
            "skill": conversation.skill, "reason": conversation.reason,
            "reason_label": service.REASONS.get(conversation.reason or "", conversation.reason),
            "queued_at": iso(conversation.queued_at), "waiting_seconds": waiting,
            "assigned_staff_id": conversation.assigned_staff_id, "assigned_name": staff.display_name if staff else None,
            "unread": service.unread_count(conversation, session=session),
            "last_message": {"text": masker.text(last.text, names)[:80], "created_at": iso(last.created_at)}
            if last else None,
            "created_at": iso(conversation.created_at), "petition_ticket": conversation.petition_ticket,
            "rating": conversation.rating}


def queue_for(staff: StaffAccount, *, session: Session, now: datetime) -> list[dict]:
    """The waiting list of the seat's unit and tier, longest waiting first."""
    tier = next((t for t, role in routing.TIER_ROLES.items() if role == staff.role), None)
    if tier is None:
        return []
    rows = session.execute(select(Conversation).where(Conversation.unit_id == staff.unit_id,
                                                      Conversation.mode == "queued", Conversation.tier == tier)
                           .order_by(Conversation.queued_at, Conversation.id).limit(200)).scalars().all()
    return [seat_summary(c, session=session, now=now, viewer=staff) for c in rows]


def mine_for(staff: StaffAccount, *, session: Session, now: datetime) -> list[dict]:
    rows = session.execute(select(Conversation).where(Conversation.assigned_staff_id == staff.id,
                                                      Conversation.mode == "human")
                           .order_by(Conversation.last_message_at.desc())).scalars().all()
    return [seat_summary(c, session=session, now=now, viewer=staff) for c in rows]
