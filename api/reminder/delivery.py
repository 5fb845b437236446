"""Putting reminders into the enterprise's chat: as bot messages with a ``reminder`` envelope and answer
buttons, when the enterprise opens the widget, or live while it is connected (outside quiet hours).

Delivery is once per reminder whatever the number of open tabs or instances: the created → delivered
update is conditional, and only its winner posts the message.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from api.core.runtime import Runtime
from api.core.time import aware_now, china_date
from api.enterprise.facts import load_facts
from api.enterprise.models import Enterprise
from api.hub import events
from api.hub import service as hub_service
from api.hub.identity import Identity
from api.hub.schemas import message_wire
from api.reminder import service
from api.reminder.models import Reminder
from common import envelopes
from common.hours import parse_optional_hours
from knowledge.rules.engine import evaluate_all, get_rules, render_message

__all__ = ["envelope", "deliver_pending", "in_quiet_hours", "push_events", "evaluate_for", "due_rows", "pending_counts",
           "EVALUATED_TTL"]

EVALUATED_TTL = 3600
"""An enterprise opening the chat has every rule evaluated for it at most once an hour (Redis marker)."""


def envelope(reminder: Reminder) -> dict:
    return envelopes.reminder(reminder.id, reminder.type, reminder.topic, rule=reminder.rule_id, title=reminder.title,
                              reasons=reminder.reasons)


def in_quiet_hours(now: datetime, span: str) -> bool:
    """'21:00-08:00' (Asia/Shanghai), past midnight allowed; an empty span means no quiet hours (the setting is
    validated at start-up, api.settings)."""
    hours = parse_optional_hours(span, overnight=True)
    return hours is not None and hours.contains(now)


def push_events(usccs: list[str]) -> list[tuple[str, dict]]:
    """Tell the connected widgets of these enterprises that reminders are waiting."""
    return [(events.who(f"e:{uscc}"), {"type": "reminders_pending"}) for uscc in sorted(set(usccs))]


def due_rows(enterprise_ids: list[int], *, session, now: datetime) -> dict[int, list[dict]]:
    """Per enterprise, the reminders every rule would create for it now (quiet periods respected), as rows
    for a bulk insert; nothing is written. One rule's history is read once for the whole batch."""
    rules, today = get_rules(), china_date(now)
    matched: dict[str, list] = {}
    for facts in load_facts(session, enterprise_ids):
        for outcome in evaluate_all(rules, facts, today):
            matched.setdefault(outcome.rule_id, []).append((facts, outcome))
    out: dict[int, list[dict]] = {enterprise_id: [] for enterprise_id in enterprise_ids}
    for rule_id, pairs in matched.items():
        rule = rules[rule_id]
        seen, recent = service.recent_subjects(sorted({f.enterprise_id for f, _ in pairs}), rule.id,
                                               now - timedelta(days=rule.quiet_days), session=session)
        for facts, outcome in pairs:
            if (facts.enterprise_id, outcome.key[:200]) in seen or facts.enterprise_id in recent:
                continue
            out.setdefault(facts.enterprise_id, []).append(service.reminder_row(
                enterprise_id=facts.enterprise_id, uscc=facts.uscc, rule=rule, outcome=outcome,
                message=render_message(rule, outcome), now=now))
    return out


def evaluate_for(enterprise_id: int, *, session, now: datetime) -> int:
    """Evaluate every rule for one enterprise and create the reminders it should get now (quiet periods
    respected); returns how many were created. Personal, so it needs no campaign."""
    rows = due_rows([enterprise_id], session=session, now=now)[enterprise_id]
    if rows:
        session.execute(insert(Reminder), rows)
    return len(rows)


def pending_counts(session, enterprise_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """What each enterprise will find waiting when it opens the chat (the demo list): its stored reminders not
    yet read nor settled, and those the rules create for it on opening (``deliver_pending`` runs ``evaluate_for``)."""
    now = aware_now(now)
    stored = service.pending_counts(session, enterprise_ids)
    due = due_rows(enterprise_ids, session=session, now=now)
    return {enterprise_id: stored.get(enterprise_id, 0) + len(due.get(enterprise_id, ()))
            for enterprise_id in enterprise_ids}


def deliver_pending(rt: Runtime, identity: Identity, now: datetime | None = None) -> int:
    """Deliver what may be delivered now to a logged-in enterprise; returns how many were delivered."""
    if not identity.uscc:
        return 0
    now = aware_now(now)
    settings, out, delivered = rt.settings, [], 0
    with rt.session_factory() as session:
        marker = f"reminders:evaluated:{identity.uscc}"
        if rt.redis.set(marker, "1", nx=True, ex=EVALUATED_TTL):
            enterprise_id = session.execute(select(Enterprise.id).where(Enterprise.uscc == identity.uscc)).scalar()
            if enterprise_id is not None:
                evaluate_for(enterprise_id, session=session, now=now)
                session.flush()
        reminders = service.deliverable(identity.uscc, session=session, now=now,
                                        weekly_cap=settings.reminder_weekly_cap)
        if not reminders:
            return 0
        conversation = hub_service.current_conversation(identity, session=session, settings=settings, now=now)
        for reminder in reminders:
            if not service.mark_delivered(reminder, None, session=session, now=now):
                continue  # another tab or instance delivered it
            message = hub_service.post(conversation, session=session, sender="bot", text=reminder.message,
                                       buttons=service.buttons_for(reminder), custom=envelope(reminder), now=now,
                                       mode="bot" if conversation.mode == "closed" else None)
            reminder.message_id = message.id
            out += events.message_events(conversation, message_wire(message))
            delivered += 1
        session.commit()
    events.publish(rt.redis, out)
    return delivered
