"""The reply envelope (the ``custom`` object of a bot turn, DESIGN.md "Reply envelope"): one builder per kind.

Every envelope the bot, the hub or the demo data sends is built here, so each kind has one shape wherever it
comes from: the actions (answers, clarifications, handoffs, the petition form …), the knowledge base's answer
card, the hub's queue line and the notices of reminders and petitions. Pure: plain dicts of JSON values, no I/O.

``FIELDS`` is the contract: per kind, the fields every envelope of that kind carries, then the ones it may carry.
A value outside what the contract allows (a handoff tier or status, an unknown field) is a ``ValueError`` at once,
never an envelope the widget cannot read.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

__all__ = ["FIELDS", "KINDS", "TIERS", "HANDOFF_STATUSES", "HANDOFF_WAIT", "answer", "clarify", "fallback", "refuse",
           "smalltalk", "handoff", "form", "form_cancelled", "petition_created", "petition_status", "reminder",
           "reminders", "reminder_answer", "credit", "petition_notice"]

# kind → (fields always present, fields present only when they apply)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "answer": (("topic", "entry", "title", "sources", "valid_from", "valid_until", "current", "review"), ("section",)),
    "clarify": (("options",), ()),
    "fallback": (("reason",), ()),
    "refuse": ((), ()),
    "smalltalk": ((), ()),
    "handoff": (("tier", "status", "position"), ("expected_wait_seconds", "seats_online", "leave_message")),
    "form": (("form", "slot", "error"), ()),
    "form_cancelled": (("form",), ()),
    "petition_created": (("ticket", "category", "received_at", "due_date"), ()),
    "petition_status": (("ticket", "status", "due_date"), ()),
    "reminder": (("reminder_id", "type", "topic", "rule", "title", "reasons"), ()),
    "reminders": (("count",), ()),
    "reminder_answer": (("reminder_id", "answer", "repairs"), ("not_ready",)),
    "credit": (("level", "year", "score", "deductions"), ()),
    "petition_notice": (("notice_id", "notice", "ticket", "repair_id"), ()),
}
KINDS = tuple(FIELDS)
TIERS = ("staff", "expert")
HANDOFF_STATUSES = ("queued", "assigned", "offline")
HANDOFF_WAIT = FIELDS["handoff"][1]  # the hub's honest wait, next to a queued handoff


def _envelope(kind: str, **fields: Any) -> dict[str, Any]:
    required, optional = FIELDS[kind]
    missing = [name for name in required if name not in fields]
    unknown = [name for name in fields if name not in required and name not in optional]
    if missing or unknown:
        raise ValueError(f"envelope {kind}: missing {missing}, unknown {unknown}")
    return {"kind": kind, **{name: fields[name] for name in (*required, *optional) if name in fields}}


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


def answer(*, topic: str, entry: str, title: str, sources: list[dict[str, Any]], valid_from: date | str | None,
           valid_until: date | str | None, current: bool, review: bool, section: str | None = None) -> dict[str, Any]:
    """Answered from the knowledge base: the entry, its sources ([{title, doc_no, …}]) and period; ``section``
    ``filing_points`` when the turn showed the entry's 填报要点 rather than its answer."""
    extra = {"section": section} if section else {}
    return _envelope("answer", topic=topic, entry=entry, title=title, sources=list(sources),
                     valid_from=_iso(valid_from), valid_until=_iso(valid_until), current=bool(current),
                     review=bool(review), **extra)


def clarify(options: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Unsure between entries: the options ([{topic, title, …}]) the buttons offer."""
    return _envelope("clarify", options=[dict(option) for option in options])


def fallback(reason: str) -> dict[str, Any]:
    """Not answered (not understood, outside tax service, a service down …), and why."""
    return _envelope("fallback", reason=reason)


def refuse() -> dict[str, Any]:
    """Asked to break the law."""
    return _envelope("refuse")


def smalltalk() -> dict[str, Any]:
    """Greeting, thanks, goodbye."""
    return _envelope("smalltalk")


def handoff(tier: str, status: str, position: int | None = None, *,
            wait: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The conversation goes to a person (``tier`` staff or expert) — ``status`` queued, assigned or offline.
    ``wait``: the hub's honest wait, whichever of expected_wait_seconds, seats_online and leave_message it has."""
    if tier not in TIERS or status not in HANDOFF_STATUSES:
        raise ValueError(f"handoff: tier {tier!r} / status {status!r} is not in the contract")
    extra = {name: wait[name] for name in HANDOFF_WAIT if name in wait} if wait else {}
    return _envelope("handoff", tier=tier, status=status, position=position, **extra)


def form(form: str, slot: str, error: str | None = None) -> dict[str, Any]:
    """The bot asks for one value of a form; ``error`` says why the last value was refused."""
    return _envelope("form", form=form, slot=slot, error=error)


def form_cancelled(form: str) -> dict[str, Any]:
    return _envelope("form_cancelled", form=form)


def petition_created(ticket: str, category: str, received_at: str, due_date: date | str | None) -> dict[str, Any]:
    """A petition was registered: its ticket, category, when it was received and its due date (YYYY-MM-DD)."""
    return _envelope("petition_created", ticket=ticket, category=category, received_at=received_at,
                     due_date=_iso(due_date))


def petition_status(ticket: str, status: str, due_date: date | str | None) -> dict[str, Any]:
    return _envelope("petition_status", ticket=ticket, status=status, due_date=_iso(due_date))


def reminder(reminder_id: int, type: str, topic: str | None, *, rule: str, title: str,  # noqa: A002 - the wire name
             reasons: list[Any] | None) -> dict[str, Any]:
    """A proactive reminder (``type`` policy, risk or credit) with the rule that raised it and why."""
    return _envelope("reminder", reminder_id=reminder_id, type=type, topic=topic, rule=rule, title=title,
                     reasons=list(reasons or []))


def reminders(count: int) -> dict[str, Any]:
    """How many reminders await an answer (the list itself comes as ``reminder`` turns)."""
    return _envelope("reminders", count=count)


def reminder_answer(reminder_id: int | None, answer: str | None, repairs: list[Any] | None = None, *,
                    not_ready: str | None = None) -> dict[str, Any]:
    """The enterprise's answer to a reminder was recorded (repair applications it opened), or — ``not_ready`` —
    what must be done before it can be."""
    extra = {"not_ready": not_ready} if not_ready else {}
    return _envelope("reminder_answer", reminder_id=reminder_id, answer=answer, repairs=list(repairs or []), **extra)


def credit(level: str, year: int, score: int | float | None, deductions: list[Any] | None) -> dict[str, Any]:
    """The logged-in enterprise's own credit."""
    return _envelope("credit", level=level, year=year, score=score, deductions=list(deductions or []))


def petition_notice(notice_id: int, notice: str, ticket: str | None, repair_id: int | None) -> dict[str, Any]:
    """A notice (告知) about the enterprise's petition or repair application, put into its chat."""
    return _envelope("petition_notice", notice_id=notice_id, notice=notice, ticket=ticket, repair_id=repair_id)
