"""Scheduled work of the hub, in every instance: give lost seats' conversations back to the queue and
hand waiting conversations to seats that have become free.

A seat is lost when its presence key has expired (no heartbeat for ``SEAT_GRACE_SECONDS``): its
open conversations go back to the head of the queue with a line telling the enterprise. One
instance at a time does it (Redis lock ``lock:hub-sweep``, non-blocking); assignment takes its own
per-unit lock (api.hub.dispatch).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from redis.exceptions import LockError
from sqlalchemy import select

from api.hub import dispatch, events, presence, service
from api.hub.models import Conversation
from api.hub.schemas import message_wire
from api.petition.timing import aware_now
from api.scheduling import run_every

__all__ = ["LOCK_NAME", "sweep_once", "start_hub_scheduler"]

log = logging.getLogger(__name__)

LOCK_NAME = "lock:hub-sweep"


def sweep_once(app, now: datetime | None = None) -> dict | None:
    """Requeue the conversations of lost seats, then assign in every unit with a queue. None if another
    instance is sweeping."""
    client, settings = app.state.redis, app.state.settings
    lock = client.lock(LOCK_NAME, timeout=30, blocking=False)
    if not lock.acquire():
        return None
    try:
        now = aware_now(now)
        requeued, out = 0, []
        with app.state.session_factory() as session:
            held = session.execute(select(Conversation).where(Conversation.mode == "human")).scalars().all()
            alive: dict[int, bool] = {}
            for conversation in held:
                seat = conversation.assigned_staff_id
                if seat not in alive:
                    alive[seat] = presence.get_presence(client, seat) is not None
                if alive[seat]:
                    continue
                lost_seat = conversation.assigned_staff_id
                note = service.requeue(conversation, session=session, now=now)
                requeued += 1
                out += events.message_events(conversation, message_wire(note))
                out += events.change_events(conversation, lost_seat)
            waiting_units = set(session.execute(select(Conversation.unit_id).where(Conversation.mode == "queued")
                                                .distinct()).scalars())
            session.commit()
        if requeued:
            log.info("hub sweep: %d conversations of lost seats back in the queue", requeued)
        events.publish(client, out)
        assigned = 0
        for unit_id in sorted(waiting_units):
            assigned += len(dispatch.run_assignment(app.state.session_factory, client, settings, unit_id, now))
        return {"requeued": requeued, "assigned": assigned}
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("hub sweep lock expired before release")


def start_hub_scheduler(app) -> asyncio.Task:
    return run_every("hub-sweep", app.state.settings.hub_sweep_seconds, sweep_once, app)
