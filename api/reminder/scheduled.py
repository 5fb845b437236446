"""The campaign sender in every instance: every few seconds one instance (Redis lock) sends the due
campaigns, batch by batch, and pushes the new reminders to the enterprises connected at that moment
(not in quiet hours). A crash leaves the campaign ``sending`` with its cursor: the next tick resumes."""
from __future__ import annotations

import asyncio
import logging

from redis.exceptions import LockError
from sqlalchemy import or_, select

from api.hub import events
from api.petition.timing import aware_now
from api.reminder import campaigns
from api.reminder.delivery import in_quiet_hours, push_events
from api.reminder.models import Campaign
from api.scheduling import run_every

__all__ = ["LOCK_NAME", "send_due_once", "start_campaign_scheduler"]

log = logging.getLogger(__name__)

LOCK_NAME = "lock:campaign-send"
LOCK_SECONDS = 120  # renewed after every batch, so a long campaign keeps it and a dead sender loses it soon


def send_due_once(app) -> list[int]:
    """Send every campaign that is due; the ids sent. Empty when another instance holds the lock."""
    client, settings = app.state.redis, app.state.settings
    lock = client.lock(LOCK_NAME, timeout=LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        return []
    try:
        now = aware_now()
        with app.state.session_factory() as session:
            due = session.execute(select(Campaign.id).where(or_(
                Campaign.status == "sending",
                (Campaign.status == "scheduled") & (Campaign.scheduled_at <= now))).order_by(Campaign.id)
            ).scalars().all()

        def pushed(created):
            lock.extend(LOCK_SECONDS, replace_ttl=True)
            if not in_quiet_hours(aware_now(), settings.reminder_quiet_hours):
                events.publish(client, push_events(created))

        for campaign_id in due:
            campaigns.send(app.state.session_factory, campaign_id, on_batch=pushed)
        return list(due)
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("campaign sender lock expired before release")


def start_campaign_scheduler(app) -> asyncio.Task:
    return run_every("campaign-sender", app.state.settings.campaign_sweep_seconds, send_due_once, app)
