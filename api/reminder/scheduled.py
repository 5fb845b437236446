"""The campaign sender in every instance: every few seconds one instance (Redis lock) sends the due
campaigns, batch by batch, and pushes the new reminders to the enterprises connected at that moment
(not in quiet hours). A crash leaves the campaign ``sending`` with its cursor: the next tick resumes."""
from __future__ import annotations

import asyncio

from sqlalchemy import or_, select

from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.time import aware_now
from api.hub import events
from api.reminder import campaigns
from api.reminder.delivery import in_quiet_hours, push_events
from api.reminder.models import Campaign

__all__ = ["LOCK_NAME", "send_due_once", "start_campaign_scheduler"]

LOCK_NAME = "lock:campaign-send"  # held for CAMPAIGN_LOCK_SECONDS, renewed after every batch: a long campaign
# keeps it and a dead sender loses it soon


def send_due_once(rt: Runtime) -> list[int]:
    """Send every campaign that is due; the ids sent. Empty when another instance holds the lock."""
    client, settings = rt.redis, rt.settings
    seconds = settings.campaign_lock_seconds
    with held_lock(client, LOCK_NAME, seconds) as lock:
        if lock is None:
            return []
        now = aware_now()
        with rt.session_factory() as session:
            due = session.execute(select(Campaign.id).where(or_(
                Campaign.status == "sending",
                (Campaign.status == "scheduled") & (Campaign.scheduled_at <= now))).order_by(Campaign.id)
            ).scalars().all()

        def pushed(created):
            lock.extend(seconds, replace_ttl=True)
            if not in_quiet_hours(aware_now(), settings.reminder_quiet_hours):
                events.publish(client, push_events(created))

        for campaign_id in due:
            campaigns.send(rt.session_factory, campaign_id, batch=settings.campaign_batch, on_batch=pushed)
        return list(due)


def start_campaign_scheduler(rt: Runtime) -> asyncio.Task:
    return run_every("campaign-sender", rt.settings.campaign_sweep_seconds, send_due_once, rt)
