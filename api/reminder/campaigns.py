"""Campaigns: preview a rule's audience, send it as reminders (streamed, resumable, idempotent), and
follow its funnel.

The sender walks the enterprises in id order in batches; each batch's reminders and the campaign's
``cursor`` (last enterprise id done) are committed together, so a crash loses at most the batch in
flight and the next run resumes after the cursor without sending anything twice (reminders are also
unique per enterprise, rule and key). Memory stays flat: one batch of facts at a time.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from api.core.errors import Conflict, Invalid, NotFound
from api.core.time import aware_now, china_date
from api.enterprise.facts import iter_facts
from api.enterprise.models import Enterprise
from api.reminder import service
from api.reminder.models import Campaign, Reminder
from common.workdays import CHINA_TZ
from knowledge.rules.engine import evaluate, get_rules, render_message

__all__ = ["BATCH", "rule_or_422", "preview", "create", "schedule", "cancel", "send", "send_in", "funnel", "recheck",
           "next_occurrence"]

log = logging.getLogger(__name__)

BATCH = 2000


def rule_or_422(rule_id: str):
    rule = get_rules().get(rule_id)
    if rule is None:
        raise Invalid(f"规则 {rule_id} 不存在", code="unknown_rule")
    return rule


def preview(rule_id: str, *, session: Session, today: date, sample: int = 10) -> dict:
    """How many enterprises the rule would remind now, and a few of them with the reasons."""
    rule = rule_or_422(rule_id)
    examples: list[dict[str, Any]]
    started, audience, evaluated, examples = time.perf_counter(), 0, 0, []
    for facts in iter_facts(session, batch=BATCH):
        evaluated += 1
        outcome = evaluate(rule, facts, today)
        if outcome.matched:
            audience += 1
            if len(examples) < sample:
                examples.append({"uscc": facts.uscc, "name": facts.name, "reasons": list(outcome.reasons),
                                 "message": render_message(rule, outcome)})
    return {"rule_id": rule.id, "title": rule.title, "type": rule.type, "evaluated": evaluated,
            "audience": audience, "sample": examples, "seconds": round(time.perf_counter() - started, 2)}


def create(name: str, rule_id: str, *, session: Session, staff_id: int | None, now: datetime,
           repeat: str = "none") -> Campaign:
    rule_or_422(rule_id)
    campaign = Campaign(name=name, rule_id=rule_id, status="draft", repeat=repeat, created_by_staff_id=staff_id,
                        created_at=now, cursor=0, evaluated=0, targeted=0, skipped=0)
    session.add(campaign)
    session.flush()
    return campaign


def schedule(campaign: Campaign, at: datetime | None, *, now: datetime) -> Campaign:
    if campaign.status not in ("draft", "scheduled"):
        raise Conflict("该活动已开始或已结束，不能再安排发送", code="campaign_started")
    if at is not None and at.tzinfo is None:
        raise Invalid("发送时间须带时区", code="naive_time")
    campaign.status, campaign.scheduled_at = "scheduled", at or now
    return campaign


def cancel(campaign: Campaign, *, now: datetime) -> Campaign:
    if campaign.status in ("sent", "cancelled"):
        raise Conflict("该活动已结束", code="campaign_finished")
    campaign.status, campaign.finished_at = "cancelled", now
    return campaign


def send(session_factory, campaign_id: int, *, now: datetime | None = None, batch: int = BATCH,
         on_batch: Callable[[list[str]], None] | None = None, stop_after: int | None = None) -> dict:
    """Send (or resume) a campaign; each batch commits its reminders with the cursor. ``on_batch`` gets the
    USCCs given a reminder, after the commit (the hub pushes them); ``stop_after`` batches is
    for tests that crash a send half-way."""
    now = aware_now(now)
    with session_factory() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFound(f"活动 {campaign_id} 不存在")
        return send_in(session, campaign, now=now, batch=batch, on_batch=on_batch, stop_after=stop_after,
                       commit=session.commit)


def send_in(session: Session, campaign: Campaign, *, now: datetime, commit: Callable[[], None], batch: int = BATCH,
            on_batch: Callable[[list[str]], None] | None = None, stop_after: int | None = None) -> dict:
    """The sender in ``session``: ``commit`` ends each batch (``session.commit`` when sending; the demo data pass
    ``session.flush``, sending its past campaigns as they would have been sent)."""
    if campaign.status not in ("scheduled", "sending"):
        return {"status": campaign.status, "created": 0}
    campaign.status, campaign.started_at = "sending", campaign.started_at or now
    commit()
    rule = rule_or_422(campaign.rule_id)
    today, quiet = china_date(now), now - timedelta(days=rule.quiet_days)
    created_total, batches = 0, 0
    pending: list = []

    def flush() -> None:
        nonlocal created_total, batches
        ids = [f.enterprise_id for f in pending]
        seen, recent = service.recent_subjects(ids, rule.id, quiet, session=session)
        rows, skipped = [], 0
        for facts in pending:
            outcome = evaluate(rule, facts, today)
            if not outcome.matched:
                continue
            if (facts.enterprise_id, outcome.key[:200]) in seen or facts.enterprise_id in recent:
                skipped += 1
                continue
            rows.append(service.reminder_row(enterprise_id=facts.enterprise_id, uscc=facts.uscc, rule=rule,
                                             outcome=outcome, message=render_message(rule, outcome), now=now,
                                             campaign_id=campaign.id))
        if rows:
            session.execute(insert(Reminder), rows)
        created = [row["uscc"] for row in rows]
        campaign.cursor = ids[-1]
        campaign.evaluated += len(pending)
        campaign.targeted += len(rows)
        campaign.skipped += skipped
        commit()
        created_total += len(rows)
        batches += 1
        pending.clear()
        if on_batch:
            on_batch(created)

    for facts in iter_facts(session, batch=batch, where=Enterprise.id > campaign.cursor):
        pending.append(facts)
        if len(pending) >= batch:
            flush()
            if stop_after is not None and batches >= stop_after:
                return {"status": "sending", "created": created_total, "cursor": campaign.cursor}
    if pending:
        flush()
    campaign.status, campaign.finished_at = "sent", aware_now()
    follow = None
    if campaign.repeat != "none":
        follow = Campaign(name=campaign.name, rule_id=campaign.rule_id, status="scheduled", repeat=campaign.repeat,
                          created_by_staff_id=campaign.created_by_staff_id, created_at=now,
                          scheduled_at=next_occurrence(campaign.repeat, now), cursor=0, evaluated=0, targeted=0,
                          skipped=0)
        session.add(follow)
    commit()
    log.info("campaign %s (%s) sent: %d reminders", campaign.id, campaign.rule_id, campaign.targeted)
    return {"status": "sent", "created": created_total, "cursor": campaign.cursor,
            "next_campaign_id": follow.id if follow else None}


def next_occurrence(repeat: str, now: datetime) -> datetime:
    """09:00 Beijing time on the first day of next month (monthly) or on 1 March next year (yearly: before
    the annual credit evaluation is published in April)."""
    local = now.astimezone(CHINA_TZ)
    if repeat == "monthly":
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        day = datetime(year, month, 1, 9, 0, tzinfo=CHINA_TZ)
    else:
        day = datetime(local.year + 1, 3, 1, 9, 0, tzinfo=CHINA_TZ)
    return day


def funnel(campaign: Campaign, *, session: Session) -> dict:
    """targeted → delivered → read → answered (by answer) → corrected, from the reminders themselves."""
    r = Reminder
    totals = session.execute(select(
        func.count(r.id), func.count(r.delivered_at), func.count(r.read_at), func.count(r.answered_at),
        func.count(r.corrected_at), func.sum(case((r.status == "closed", 1), else_=0)))
        .where(r.campaign_id == campaign.id)).one()
    answers = cast("dict[str, int]", dict(  # no None key: answer IS NOT NULL
        session.execute(select(r.answer, func.count(r.id)).where(r.campaign_id == campaign.id, r.answer.is_not(None))
                        .group_by(r.answer)).tuples().all()))
    targeted, delivered, read, answered, corrected, closed = (int(v or 0) for v in totals)
    return {"evaluated": campaign.evaluated, "targeted": targeted, "skipped_quiet_period": campaign.skipped,
            "delivered": delivered, "read": read, "answered": answered,
            "answers": {a: answers.get(a, 0) for a in sorted(answers)},
            "answer_labels": {a: service.ANSWER_LABELS.get(a, a) for a in answers},
            "corrected": corrected, "closed": closed}


def recheck(campaign: Campaign, *, session: Session, now: datetime, batch: int = BATCH) -> int:
    """Mark reminders whose subject the rule no longer finds (an overdue filing since filed, a deduction
    since repaired, a policy since claimed) as corrected; returns how many were newly marked."""
    rule = rule_or_422(campaign.rule_id)
    today, marked, after = china_date(now), 0, 0
    while True:
        open_ones = session.execute(select(Reminder).where(Reminder.campaign_id == campaign.id,
                                                           Reminder.corrected_at.is_(None), Reminder.id > after)
                                    .order_by(Reminder.id).limit(batch)).scalars().all()
        if not open_ones:
            return marked
        after = open_ones[-1].id
        by_enterprise = {f.enterprise_id: f for f in iter_facts(
            session, batch=batch, where=Enterprise.id.in_([x.enterprise_id for x in open_ones]))}
        for reminder in open_ones:
            facts = by_enterprise.get(reminder.enterprise_id)
            outcome = evaluate(rule, facts, today) if facts else None
            if outcome is None or not outcome.matched or outcome.key[:200] != reminder.key:
                reminder.corrected_at = now
                if reminder.status not in ("closed", "expired"):
                    reminder.status, reminder.closed_at = "closed", now
                marked += 1
        session.flush()
