"""The outbox job in every instance: every few seconds one instance (Redis lock) hands due SMS to the
sender and tells connected widgets that a notice waits (each notice pushed once; a widget that was not
connected gets it when it opens)."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from api.core.runtime import Runtime
from api.core.scheduling import held_lock, run_every
from api.core.time import aware_now
from api.hub import events
from api.outbox.delivery import push_event
from api.outbox.models import EnterpriseNotice
from api.outbox.sms import drain, sender_from_settings

__all__ = ["LOCK_NAME", "run_outbox_once", "start_outbox_scheduler"]

LOCK_NAME = "lock:outbox"
LOCK_SECONDS = 60


def run_outbox_once(rt: Runtime) -> int:
    """One pass; how many SMS were taken by the sender (0 when another instance holds the lock)."""
    with held_lock(rt.redis, LOCK_NAME, LOCK_SECONDS) as lock:
        if lock is None:
            return 0
        now = aware_now()
        with rt.session_factory() as session:
            waiting = session.execute(select(EnterpriseNotice).where(
                EnterpriseNotice.pushed_at.is_(None), EnterpriseNotice.uscc.is_not(None),
                EnterpriseNotice.chat_delivered_at.is_(None)).order_by(EnterpriseNotice.id).limit(500)).scalars().all()
            for notice in waiting:
                notice.pushed_at = now
            sender = sender_from_settings(rt.settings)
            session.commit()  # the pushes are marked before any SMS leaves
            taken = drain(session, sender, now=now, after_each=session.commit) if sender is not None else 0
            session.commit()
        events.publish(rt.redis, [push_event(uscc) for uscc in sorted({n.uscc for n in waiting if n.uscc})])
        return taken


def start_outbox_scheduler(rt: Runtime) -> asyncio.Task[None]:
    return run_every("outbox", rt.settings.outbox_sweep_seconds, run_outbox_once, rt)
