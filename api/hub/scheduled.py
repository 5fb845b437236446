"""Scheduled work of the hub, in every instance: give lost seats' conversations back to the queue and
hand waiting conversations to seats that have become free.

A seat is lost when its presence key has expired: its last console closed and it did not come back within
``SEAT_RECONNECT_SECONDS`` (the console's instance releases it then: ``release_seats``), or the instance holding
its console died (no renewal for ``SEAT_GRACE_SECONDS``: the sweep finds it). Its open conversations go back to
the head of the queue with a line telling the enterprise its place, an honest wait and the offer to leave a
message. One instance at a time sweeps (Redis lock ``lock:hub-sweep``, non-blocking); assignment takes its own
per-unit lock (api.hub.dispatch).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select

from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.time import aware_now
from api.hub import dispatch, events, presence, service
from api.hub.models import Conversation
from api.hub.schemas import message_wire

__all__ = ["LOCK_NAME", "sweep_once", "requeue_lost", "release_seats", "start_hub_scheduler"]

log = logging.getLogger(__name__)

LOCK_NAME = "lock:hub-sweep"


def requeue_lost(rt: Runtime, now: datetime | None = None, staff_ids: list[int] | None = None) -> tuple[int, set[int]]:
    """Put the conversations of seats that are no longer present (of ``staff_ids``, or of any seat) back at the
    head of their queue, telling each enterprise honestly where it stands; (how many, units with a queue).
    Rows are locked, so two instances never requeue one conversation twice."""
    client, settings = rt.redis, rt.settings
    now = aware_now(now)
    requeued, out = 0, []
    with rt.session_factory() as session:
        query = select(Conversation).where(Conversation.mode == "human")
        if staff_ids is not None:
            query = query.where(Conversation.assigned_staff_id.in_(staff_ids))
        held = session.execute(query.order_by(Conversation.id).with_for_update()).scalars().all()
        alive: dict[int | None, bool] = {}
        lost = []
        for conversation in held:
            seat = conversation.assigned_staff_id
            if seat not in alive:  # a human-mode conversation without a seat is lost too
                alive[seat] = seat is not None and presence.get_presence(client, seat) is not None
            if not alive[seat] and service.requeue(conversation, session=session, now=now):
                lost.append((conversation, seat))
        session.flush()
        for conversation, seat in lost:  # positions and waits once every lost conversation is back in line
            note = dispatch.tell_waiting(conversation, session=session, client=client, settings=settings, now=now,
                                         lead=service.SEAT_LOST)
            requeued += 1
            out += events.message_events(conversation, message_wire(note)) if note else []
            out += events.change_events(conversation, seat)
        waiting_units = set(session.execute(select(Conversation.unit_id).where(Conversation.mode == "queued")
                                            .distinct()).scalars())
        session.commit()
    if requeued:
        log.info("hub: %d conversations of lost seats back in the queue", requeued)
    events.publish(client, out)
    return requeued, waiting_units


def release_seats(rt: Runtime, staff_ids: list[int]) -> dict:
    """After a seat's last console closed and it did not come back: its conversations to the queue, then
    assignment in its unit (another seat may take them at once)."""
    requeued, units = requeue_lost(rt, staff_ids=staff_ids)
    assigned = 0
    if requeued:
        for unit_id in sorted(units):
            assigned += len(dispatch.run_assignment(rt.session_factory, rt.redis, rt.settings,
                                                    unit_id))
    return {"requeued": requeued, "assigned": assigned}


def sweep_once(rt: Runtime, now: datetime | None = None) -> dict | None:
    """Requeue the conversations of lost seats, then assign in every unit with a queue. None if another
    instance is sweeping."""
    client, settings = rt.redis, rt.settings
    with held_lock(client, LOCK_NAME, 30) as lock:
        if lock is None:
            return None
        requeued, waiting_units = requeue_lost(rt, now)
        assigned = 0
        for unit_id in sorted(waiting_units):
            assigned += len(dispatch.run_assignment(rt.session_factory, client, settings, unit_id, now))
        return {"requeued": requeued, "assigned": assigned}


def start_hub_scheduler(rt: Runtime) -> asyncio.Task:
    return run_every("hub-sweep", rt.settings.hub_sweep_seconds, sweep_once, rt)
