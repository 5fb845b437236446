"""Putting waiting conversations with seats, and what the widget and the console are shown.

``run_assignment`` is the one place where the queue meets presence: it takes a Redis lock per unit
(several instances may call it at once), opens its own transaction, assigns what it can, commits and
publishes. Everything else here reads.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import overload

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.core.scheduling import held_lock
from api.core.time import aware_now
from api.hub import events, notices, presence, routing, service
from api.hub.models import Conversation, Message
from api.hub.schemas import SEAT_BADGES, iso, message_wire, seat_label, seat_name
from api.hub.units import served_units
from api.org.models import StaffAccount, Unit
from api.privacy.policy import conversation_view
from api.settings import Settings
from common.hours import parse_hours

__all__ = ["run_assignment", "assign_in", "seats_with_loads", "tier_present", "is_open", "widget_state", "seat_summary",
           "queue_for", "mine_for", "seat_info", "waiting_of", "seat_board", "tell_waiting"]

log = logging.getLogger(__name__)


def is_open(settings: Settings, now: datetime) -> bool:
    return routing.service_open(now, parse_hours(settings.service_hours), settings.service_workdays_only)


def tier_present(client: redis.Redis, unit_id: int, tier: str) -> int:
    """Seats of the tier present (online or busy, with a console open) in the unit."""
    role = routing.TIER_ROLES[tier]
    return sum(1 for s in presence.present_seats(client, unit_id) if s.role == role and s.status in ("online", "busy"))


def waiting_of(conversation: Conversation, *, session: Session, client: redis.Redis,
               settings: Settings) -> notices.Waiting | None:
    """The place, honest wait and 留言 offer of a waiting conversation; None when it is not waiting."""
    position = routing.queue_position(conversation, session=session)
    if position is None or conversation.tier is None:  # a queued conversation has its tier
        return None
    present = tier_present(client, conversation.unit_id, conversation.tier)
    wait = routing.expected_wait_seconds(position, present, service.handle_seconds(conversation.unit_id,
                                                                                  session=session))
    return notices.waiting(conversation.tier, position, present, wait, long_wait_seconds=settings.long_wait_seconds,
                           long_queue=settings.long_queue)


def tell_waiting(conversation: Conversation, *, session: Session, client: redis.Redis, settings: Settings,
                 now: datetime, lead: str = "") -> Message | None:
    """Post the line that tells the enterprise its place, an honest wait and, when nobody of the tier is online
    or the wait is long, the offer to leave a message (a ``handoff`` envelope the widget shows the 留言 card
    for). None when the conversation is not waiting."""
    waits = waiting_of(conversation, session=session, client=client, settings=settings)
    if waits is None:
        return None
    return service.post(conversation, session=session, sender="system", now=now,
                        text=notices.queued_text(waits, lead=lead), custom=notices.handoff_envelope(waits))


def seats_with_loads(client: redis.Redis, unit_id: int, *, session: Session) -> list[routing.Seat]:
    """The seats serving the unit now, each with its open conversations in every unit it serves."""
    seats = presence.present_seats(client, unit_id)
    loads = service.open_loads([s.staff_id for s in seats], session=session)
    return [routing.Seat(s.staff_id, s.role, s.status, s.skills, loads.get(s.staff_id, 0), s.idle_since)
            for s in seats]


def seat_board(unit_id: int, *, session: Session, client: redis.Redis, settings: Settings) -> dict:
    """Who is there, per tier, for a unit's conversations: counts (online, available, busy, away, waiting) and the
    seats (an expert serving the unit from above is among them)."""
    seats = seats_with_loads(client, unit_id, session=session)
    waiting = dict(session.execute(select(Conversation.tier, func.count(Conversation.id))
                                   .where(Conversation.unit_id == unit_id, Conversation.mode == "queued")
                                   .group_by(Conversation.tier)).tuples().all())
    accounts = {a.id: a for a in session.execute(select(StaffAccount).where(
        StaffAccount.id.in_([s.staff_id for s in seats]))).scalars()} if seats else {}
    tiers = {}
    for tier, role in routing.TIER_ROLES.items():
        mine = [s for s in seats if s.role == role and s.staff_id in accounts and accounts[s.staff_id].active]
        rows = []
        for seat in sorted(mine, key=lambda s: s.staff_id):
            full = seat.load >= settings.seat_cap
            state = seat.status if seat.status in ("away", "leaving") else ("busy" if seat.status == "busy" or full
                                                                             else "available")
            staff = accounts[seat.staff_id]
            rows.append({"id": staff.id, "name": seat_name(staff.display_name), "label": seat_label(role,
                                                                                                   staff.display_name),
                         "status": seat.status, "status_label": presence.STATUS_LABELS.get(seat.status, seat.status),
                         "state": state, "load": seat.load, "cap": settings.seat_cap})
        count = {key: sum(1 for r in rows if r["state"] == key) for key in ("available", "busy", "away")}
        tiers[tier] = {"label": SEAT_BADGES[role], "online": count["available"] + count["busy"], **count,
                       "waiting": int(waiting.get(tier, 0)), "seats": rows}
    unit = session.get(Unit, unit_id)
    return {"unit_id": unit_id, "unit_name": unit.name if unit else None, "tiers": tiers}


def run_assignment(session_factory: sessionmaker, client: redis.Redis, settings: Settings, unit_id: int,
                   now: datetime | None = None) -> list[int]:
    """Give the unit's waiting conversations, longest waiting first, to free online seats; the ids assigned."""
    with held_lock(client, f"hub:assign:{unit_id}", 15, wait=5) as lock:
        if lock is None:
            log.warning("assignment for unit %s is busy elsewhere; the next sweep retries", unit_id)
            return []
        assigned, out, given = [], [], []
        with session_factory() as session:
            now = aware_now(now)
            waiting = session.execute(select(Conversation).where(Conversation.unit_id == unit_id,
                                                                 Conversation.mode == "queued")
                                      .order_by(Conversation.queued_at, Conversation.id).limit(200)).scalars().all()
            if not waiting:
                return []
            seats = seats_with_loads(client, unit_id, session=session)
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
    for staff_id in given:
        presence.mark_given_work(client, staff_id)
    events.publish(client, out)
    return assigned


def assign_in(session_factory: sessionmaker, client: redis.Redis, settings: Settings, units) -> list[int]:
    """Assignment in those of ``units`` (the units a seat serves) where conversations wait; the ids assigned."""
    units = list(units)
    if len(units) == 1:
        return run_assignment(session_factory, client, settings, units[0])
    with session_factory() as session:
        waiting = sorted(set(session.execute(select(Conversation.unit_id).where(
            Conversation.unit_id.in_(units), Conversation.mode == "queued")).scalars()))
    return [i for unit_id in waiting for i in run_assignment(session_factory, client, settings, unit_id)]


@overload
def seat_info(staff: StaffAccount) -> dict: ...
@overload
def seat_info(staff: StaffAccount | None) -> dict | None: ...
def seat_info(staff: StaffAccount | None) -> dict | None:
    if staff is None:
        return None
    return {"id": staff.id, "name": seat_name(staff.display_name), "role": staff.role,
            "badge": SEAT_BADGES.get(staff.role, ""), "label": seat_label(staff.role, staff.display_name)}


@overload
def widget_state(conversation: Conversation, *, session: Session, client: redis.Redis, settings: Settings,
                 now: datetime) -> dict: ...
@overload
def widget_state(conversation: Conversation | None, *, session: Session, client: redis.Redis, settings: Settings,
                 now: datetime) -> dict | None: ...
def widget_state(conversation: Conversation | None, *, session: Session, client: redis.Redis, settings: Settings,
                 now: datetime) -> dict | None:
    hours = parse_hours(settings.service_hours)
    base = {"service_open": is_open(settings, now),
            "service_hours": routing.hours_label(hours, settings.service_workdays_only)}
    if conversation is None:
        return None
    waits = waiting_of(conversation, session=session, client=client, settings=settings)
    staff = session.get(StaffAccount, conversation.assigned_staff_id) if conversation.assigned_staff_id else None
    return {"id": conversation.id, "mode": conversation.mode, "tier": conversation.tier,
            "position": waits.position if waits else None,
            "expected_wait_seconds": waits.wait_seconds if waits else None,
            "seats_online": waits.seats_online if waits else None,
            "offer_leave_message": bool(waits and waits.leave_message), "seat": seat_info(staff), **base,
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
    waiting = (int((now - conversation.queued_at).total_seconds())
               if conversation.mode == "queued" and conversation.queued_at is not None else None)
    unit = session.get(Unit, conversation.unit_id)
    return {"id": conversation.id, "mode": conversation.mode, "tier": conversation.tier,
            "unit_id": conversation.unit_id, "unit_name": unit.name if unit else None,
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


def queue_for(staff: StaffAccount, *, session: Session, now: datetime, units: set[int] | None = None) -> list[dict]:
    """The waiting list of the seat's tier in the units it serves (``units``, else api.hub.units), longest waiting
    first."""
    tier = next((t for t, role in routing.TIER_ROLES.items() if role == staff.role), None)
    if tier is None:
        return []
    units = units if units is not None else served_units(staff, session=session)
    rows = session.execute(select(Conversation).where(Conversation.unit_id.in_(units),
                                                      Conversation.mode == "queued", Conversation.tier == tier)
                           .order_by(Conversation.queued_at, Conversation.id).limit(200)).scalars().all()
    return [seat_summary(c, session=session, now=now, viewer=staff) for c in rows]


def mine_for(staff: StaffAccount, *, session: Session, now: datetime) -> list[dict]:
    rows = session.execute(select(Conversation).where(Conversation.assigned_staff_id == staff.id,
                                                      Conversation.mode == "human")
                           .order_by(Conversation.last_message_at.desc())).scalars().all()
    return [seat_summary(c, session=session, now=now, viewer=staff) for c in rows]
