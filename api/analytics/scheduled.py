"""Scheduled aggregation, in every instance: every ``ANALYTICS_SWEEP_SECONDS`` (300) one instance at a time
(Redis lock ``lock:analytics-sweep``, non-blocking) re-aggregates today, yesterday and every older day
:func:`api.analytics.aggregate.changed_days` reports since the previous sweep (its start time is kept in
Redis under ``analytics:last-sweep``; the first sweep looks back one day). Each day is its own transaction.
``ANALYTICS_SWEEP_ENABLED=false`` turns it off in an instance.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from api.analytics.aggregate import aggregate_day, changed_days
from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.time import aware_now, china_date

__all__ = ["LOCK_NAME", "LAST_SWEEP_KEY", "sweep_once", "start_analytics_scheduler"]

LOCK_NAME = "lock:analytics-sweep"
LAST_SWEEP_KEY = "analytics:last-sweep"
LOCK_TIMEOUT = 600
MARGIN = timedelta(minutes=2)  # overlap between sweeps: a commit racing the previous sweep is not missed


def sweep_once(rt: Runtime, now: datetime | None = None) -> dict | None:
    """Aggregate the stale days; None if another instance holds the lock."""
    client = rt.redis
    with held_lock(client, LOCK_NAME, LOCK_TIMEOUT) as lock:
        if lock is None:
            return None
        now = aware_now(now)
        last = client.get(LAST_SWEEP_KEY)
        since = (datetime.fromisoformat(last.decode() if isinstance(last, bytes) else last) - MARGIN
                 if last else now - timedelta(days=1))
        today = china_date(now)
        with rt.session_factory() as session:
            days = {today, today - timedelta(days=1)} | {d for d in changed_days(session, since) if d <= today}
        done = []
        for day in sorted(days):
            with rt.session_factory() as session:
                done.append(aggregate_day(session, day, now=now))
                session.commit()
        client.set(LAST_SWEEP_KEY, now.isoformat())
        return {"days": [d["day"] for d in done], "seconds": round(sum(d["seconds"] for d in done), 3)}


def start_analytics_scheduler(rt: Runtime) -> asyncio.Task:
    return run_every("analytics-sweep", rt.settings.analytics_sweep_seconds, sweep_once, rt)
