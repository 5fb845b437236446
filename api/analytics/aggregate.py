"""The daily aggregation job: one Shanghai day of conversations and messages into the dashboard's tables.

:func:`aggregate_day` deletes everything it wrote for ``day`` and inserts it again (idempotent; the
caller commits, one day per transaction). It reads, with indexed queries only:

* the day's *cohort*: conversations created that day (``ix_conversations_created_at``) with all their
  messages (``ix_conversation_messages_conversation_id``) → one :class:`ConversationFact` each (outcome,
  containment, intents, topics, first question, seat) and the conversation counts of the day;
* the day's *messages* (``ix_conversation_messages_created_at``) → turn counts, intents, topics, entries,
  feedback, fallback reasons;
* the day's unanswered bot turns (``ix_conversation_messages_kind_created_at``) with the user message each
  answered → :class:`UnansweredGroup` rows: the question's term set (knowledge analyzer: jieba, tax
  dictionary, synonyms, stop words out) and the entry the retriever ranks first (the likely home of a
  question variant).

Counting happens in Python over those rows (about 11 000 messages a day at 1 000 000 messages in 90 days),
so SQLite and PostgreSQL give the same numbers. The sweeper (:mod:`api.analytics.scheduled`) calls it for
today, yesterday and the days :func:`changed_days` finds. From the shell::

    python -m api.analytics.aggregate --from 2026-11-01 --to 2026-11-23 [--database-url URL]
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import case, delete, func, insert, or_, select, union
from sqlalchemy.orm import Session

from api.analytics.models import (
    AnalyticsDayRun,
    ConversationFact,
    ConversationSearch,
    DailyFigures,
    DailyKey,
    DailySeat,
    UnansweredGroup,
)
from api.core.sqltime import china_day
from api.core.time import aware_now
from api.hub.models import Conversation, Message
from api.petition.queries import china_day_start
from api.review import search

__all__ = ["aggregate_day", "aggregate_range", "changed_days", "channel_of", "question_terms", "suggested_entry",
           "main", "UNANSWERED_KINDS", "EXAMPLES_PER_GROUP"]

log = logging.getLogger(__name__)

UNANSWERED_KINDS = ("fallback", "clarify")
EXAMPLES_PER_GROUP = 5
SEAT_SENDERS = ("staff", "expert")
_TABLES = (DailyFigures, DailyKey, DailySeat, UnansweredGroup, ConversationFact, ConversationSearch, AnalyticsDayRun)


def channel_of(identity: str) -> str:
    return "enterprise" if identity.startswith("e:") else "visitor"


def _knowledge():
    from knowledge.base import get_knowledge_base

    return get_knowledge_base()


_DIGITS = re.compile(r"\d")


@lru_cache(maxsize=50_000)
def question_terms(text: str) -> tuple[str, ...]:
    """The sorted distinct index terms of a question (the knowledge analyzer's, as the retriever sees it),
    without terms of five digits or more: phone, ID and code numbers say nothing of the subject and must not
    be kept in a group's key."""
    terms = set(_knowledge().retriever.analyzer.terms(text or ""))
    return tuple(sorted(t for t in terms if len(_DIGITS.findall(t)) < 5))


@lru_cache(maxsize=50_000)
def suggested_entry(text: str) -> str | None:
    """The entry the retriever ranks first for ``text`` (None if nothing matches at all)."""
    ranked = _knowledge().retriever.rank(text or "", limit=1)
    return ranked[0].entry.id if ranked else None


def _terms_key(text: str) -> str:
    key = " ".join(question_terms(text))
    return key if len(key) <= 300 else key[:300].rsplit(" ", 1)[0]


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    spent = (later - earlier).total_seconds()
    return spent if spent >= 0 else None


def _figures() -> dict:
    return defaultdict(int)


def _rows(model, keyed: dict, names: tuple[str, ...], day: date) -> list[dict]:
    """Rows for a bulk insert: every counter column present (0 when never counted), keys from the dict keys."""
    counters = [c.name for c in model.__table__.c if c.name not in ("id", "day", *names)]
    return [{**dict.fromkeys(counters, 0), **values, **dict(zip(names, key)), "day": day}  # noqa: B905
            for key, values in keyed.items()]


class _Conv:
    """What the cohort pass learns about one conversation from its messages."""
    __slots__ = (
        "answered",
        "bot",
        "clarified",
        "entries",
        "fell_back",
        "first_question",
        "intents",
        "last_kind",
        "petition",
        "responder",
        "texts",
        "topics",
        "user",
    )

    def __init__(self) -> None:
        self.user = self.bot = self.answered = self.clarified = self.fell_back = 0
        self.petition = False
        self.last_kind = None
        self.intents: dict[str, None] = {}
        self.topics: dict[str, None] = {}
        self.first_question = None
        self.responder = None
        self.texts: list[str] = []  # what the search document is made of (answers are their entry ids)
        self.entries: list[str] = []


def _topics_of(kind: str | None, custom) -> list[str]:
    if not isinstance(custom, dict):
        return []
    if kind == "answer":
        return [custom["topic"]] if isinstance(custom.get("topic"), str) else []
    if kind == "clarify":
        return [o["topic"] for o in custom.get("options") or [] if isinstance(o, dict) and isinstance(o.get("topic"), str)]
    return []


def _outcome(conv: Conversation, seen: _Conv) -> str:
    if conv.petition_ticket or seen.petition:
        return "petition"
    if conv.queued_at is not None or conv.had_human:
        return "handed_off"
    if seen.fell_back:
        return "fell_back"
    if seen.clarified:
        return "clarified"
    if seen.answered:
        return "answered"
    return "other"


def _spaced(values) -> str:
    text = " " + " ".join(values) + " " if values else " "
    return text if len(text) <= 500 else text[:500].rsplit(" ", 1)[0] + " "


def _cohort(session: Session, start: datetime, end: datetime, figures, keys, seats, searchable: bool) -> list[dict]:
    """Conversations created in [start, end): their facts, and the conversation counts of the day."""
    convs = {c.id: c for c in session.execute(select(Conversation).where(
        Conversation.created_at >= start, Conversation.created_at < end)).scalars()}
    if not convs:
        return []
    seen = {cid: _Conv() for cid in convs}
    in_cohort = select(Conversation.id).where(Conversation.created_at >= start, Conversation.created_at < end)
    query = (select(Message.conversation_id, Message.sender, Message.kind, Message.intent, Message.internal,
                    Message.sender_staff_id,
                    case((Message.kind.in_(("answer", "clarify")), Message.custom), else_=None).label("custom"),
                    case((or_(Message.kind.is_(None), Message.kind != "answer"), Message.text), else_=None).label("text"))
             .where(Message.conversation_id.in_(in_cohort)).order_by(Message.conversation_id, Message.id))
    for row in session.execute(query):
        s = seen[row.conversation_id]
        if searchable and not row.internal:
            if row.kind == "answer" and isinstance(row.custom, dict) and row.custom.get("entry"):
                s.entries.append(str(row.custom["entry"]))
            elif row.text:
                s.texts.append(row.text)
        if row.sender == "user":
            s.user += 1
            if s.first_question is None and row.text:
                s.first_question = row.text[:200]
        elif row.sender == "bot":
            s.bot += 1
            if row.kind:
                s.last_kind = row.kind
            if row.kind == "answer":
                s.answered += 1
            elif row.kind == "clarify":
                s.clarified += 1
            elif row.kind == "fallback":
                s.fell_back += 1
            elif row.kind == "petition_created":
                s.petition = True
            if row.intent:
                s.intents[row.intent] = None
            for topic in _topics_of(row.kind, row.custom):
                s.topics[topic] = None
        elif row.sender in SEAT_SENDERS and not row.internal and s.responder is None:
            s.responder = row.sender_staff_id
    facts = []
    for cid, conv in convs.items():
        s, channel = seen[cid], channel_of(conv.identity)
        fig = figures[(channel, conv.unit_id)]
        outcome = _outcome(conv, s)
        engaged = s.user > 0
        handed = conv.queued_at is not None or bool(conv.had_human)
        petition = outcome == "petition"
        contained = (engaged and not handed and not petition and s.answered > 0
                     and s.last_kind not in ("fallback", "handoff"))
        fig["conversations"] += 1
        fig["engaged"] += engaged
        fig["contained"] += contained
        fig["handed_off"] += handed
        fig["petitions"] += petition
        if handed:
            keys[(channel, conv.unit_id, "handoff_reason", conv.reason or "unknown")]["total"] += 1
        staff_id = conv.assigned_staff_id or s.responder
        if conv.rating is not None:
            fig["rating_sum"] += conv.rating
            fig["rating_count"] += 1
            fig["rating_satisfied"] += conv.rating >= 4
            keys[(channel, conv.unit_id, "rating", str(conv.rating))]["total"] += 1
        if conv.had_human:
            spans = {"wait": _seconds(conv.assigned_at, conv.queued_at),
                     "first_response": _seconds(conv.first_response_at, conv.assigned_at),
                     "handling": _seconds(conv.closed_at, conv.assigned_at)}
            targets = [fig] + ([seats[(channel, conv.unit_id, staff_id)]] if staff_id else [])
            for target in targets:
                target["seat_conversations" if target is fig else "conversations"] += 1
                for name, value in spans.items():
                    if value is not None:
                        target[f"{name}_seconds_sum"] += value
                        target[f"{name}_count"] += 1
                if target is not fig and conv.rating is not None:
                    target["rating_sum"] += conv.rating
                    target["rating_count"] += 1
                    target["rating_satisfied"] += conv.rating >= 4
        facts.append(dict(conversation_id=cid, channel=channel, unit_id=conv.unit_id, outcome=outcome, engaged=engaged,  # noqa: C408
                          contained=contained, user_messages=s.user, bot_turns=s.bot, answered=s.answered,
                          clarified=s.clarified, fell_back=s.fell_back, intents=_spaced(s.intents),
                          topics=_spaced(s.topics), rating=conv.rating, staff_id=staff_id,
                          first_question=s.first_question,
                          _search=search.document(s.texts, s.entries) if searchable else None))
    return facts


def _turns(session: Session, start: datetime, end: datetime, figures, keys) -> None:
    """Messages sent in [start, end): turn counts, intents, topics, entries, feedback, fallback reasons."""
    query = (select(Conversation.identity, Conversation.unit_id, Message.sender, Message.kind, Message.intent,
                    Message.internal, Message.feedback,
                    case((Message.kind.in_(("answer", "clarify", "fallback")), Message.custom), else_=None).label("custom"))
             .join(Conversation, Conversation.id == Message.conversation_id)
             .where(Message.created_at >= start, Message.created_at < end))
    for row in session.execute(query):
        channel = channel_of(row.identity)
        fig = figures[(channel, row.unit_id)]
        if row.internal or row.sender == "system":
            continue
        fig["messages"] += 1
        if row.sender == "user":
            fig["user_messages"] += 1
            continue
        if row.sender != "bot":
            continue
        fig["bot_turns"] += 1
        kind, custom = row.kind, row.custom if isinstance(row.custom, dict) else {}
        useful, useless = row.feedback == "useful", row.feedback == "useless"
        fig["feedback_useful"] += useful
        fig["feedback_useless"] += useless
        unanswered = kind in UNANSWERED_KINDS
        if kind == "answer":
            fig["answered"] += 1
            for dimension, key in (("topic", custom.get("topic")), ("entry", custom.get("entry"))):
                if isinstance(key, str) and key:
                    counts = keys[(channel, row.unit_id, dimension, key[:100])]
                    counts["total"] += 1
                    counts["useful"] += useful
                    counts["useless"] += useless
        elif kind == "clarify":
            fig["clarified"] += 1
            for topic in dict.fromkeys(_topics_of(kind, custom)):
                keys[(channel, row.unit_id, "topic", topic[:100])]["unanswered"] += 1
        elif kind == "fallback":
            fig["fell_back"] += 1
            keys[(channel, row.unit_id, "fallback_reason", str(custom.get("reason") or "unknown")[:100])]["total"] += 1
        elif kind == "handoff":
            fig["handoff_turns"] += 1
        if row.intent:
            counts = keys[(channel, row.unit_id, "intent", row.intent[:100])]
            counts["total"] += 1
            counts["unanswered"] += unanswered


def _unanswered(session: Session, start: datetime, end: datetime) -> dict:
    """The day's fallback and clarify turns grouped by the term set of the question they answered."""
    bot = Message.__table__.alias("bot")
    previous_user = (select(Message.id).where(Message.conversation_id == bot.c.conversation_id,
                                              Message.sender == "user", Message.id < bot.c.id)
                     .order_by(Message.id.desc()).limit(1).scalar_subquery())
    rows = session.execute(
        select(bot.c.id, bot.c.conversation_id, bot.c.kind, bot.c.custom, Conversation.identity, Conversation.unit_id,
               Conversation.enterprise_name, previous_user.label("user_id"))
        .join(Conversation, Conversation.id == bot.c.conversation_id)
        .where(bot.c.kind.in_(UNANSWERED_KINDS), bot.c.created_at >= start, bot.c.created_at < end,
               bot.c.sender == "bot")
        .order_by(bot.c.id.desc())).all()
    user_ids = [r.user_id for r in rows if r.user_id is not None]
    texts: dict[int, str] = {}
    for i in range(0, len(user_ids), 500):
        texts.update(session.execute(select(Message.id, func.substr(Message.text, 1, 200))
                                     .where(Message.id.in_(user_ids[i:i + 500]))).tuples().all())
    groups: dict[tuple, dict] = {}
    for row in rows:  # newest first
        text = texts.get(row.user_id, "") if row.user_id else ""
        terms = _terms_key(text)
        key = (channel_of(row.identity), row.unit_id, terms)
        group = groups.setdefault(key, {"count": 0, "fallbacks": 0, "clarifies": 0, "entries": Counter(), "examples": []})
        group["count"] += 1
        group["fallbacks" if row.kind == "fallback" else "clarifies"] += 1
        custom = row.custom if isinstance(row.custom, dict) else {}
        entry = None
        if row.kind == "clarify":
            options = [o for o in custom.get("options") or [] if isinstance(o, dict) and o.get("entry")]
            entry = options[0]["entry"] if options else None
        elif text:
            entry = suggested_entry(text)
        if entry:
            group["entries"][str(entry)[:100]] += 1
        if len(group["examples"]) < EXAMPLES_PER_GROUP and text:
            group["examples"].append({"message_id": row.id, "user_message_id": row.user_id,
                                      "conversation_id": row.conversation_id, "text": text, "kind": row.kind,
                                      "names": [row.enterprise_name] if row.enterprise_name else []})
    return groups


def aggregate_day(session: Session, day: date, *, now: datetime | None = None) -> dict:
    """Rebuild the dashboard rows of one Shanghai day (delete + insert); the caller commits.
    Returns what was written: ``{"day", "conversations", "messages", "unanswered_groups", "seconds"}``."""
    started = time.perf_counter()
    start, end = china_day_start(day), china_day_start(day + timedelta(days=1))
    for model in _TABLES:
        session.execute(delete(model).where(model.day == day))
    figures: dict = defaultdict(_figures)
    keys: dict = defaultdict(_figures)
    seats: dict = defaultdict(_figures)
    searchable = session.get_bind().dialect.name == "postgresql"
    facts = _cohort(session, start, end, figures, keys, seats, searchable)
    _turns(session, start, end, figures, keys)
    groups = _unanswered(session, start, end)
    if facts:
        session.execute(insert(ConversationFact), [{k: v for k, v in fact.items() if k != "_search"} | {"day": day}
                                                   for fact in facts])
        documents = [{"conversation_id": f["conversation_id"], "day": day, "document": f["_search"]}
                     for f in facts if f["_search"] is not None]
        if documents:
            session.execute(insert(ConversationSearch), documents)
    if figures:
        session.execute(insert(DailyFigures), _rows(DailyFigures, figures, ("channel", "unit_id"), day))
    if keys:
        session.execute(insert(DailyKey), _rows(DailyKey, keys, ("channel", "unit_id", "dimension", "key"), day))
    if seats:
        session.execute(insert(DailySeat), _rows(DailySeat, seats, ("channel", "unit_id", "staff_id"), day))
    if groups:
        session.execute(insert(UnansweredGroup), [
            dict(day=day, channel=channel, unit_id=unit_id, terms=terms, count=g["count"], fallbacks=g["fallbacks"],  # noqa: C408
                 clarifies=g["clarifies"], entry_id=g["entries"].most_common(1)[0][0] if g["entries"] else None,
                 examples=g["examples"])
            for (channel, unit_id, terms), g in groups.items()])
    seconds = round(time.perf_counter() - started, 3)
    session.execute(insert(AnalyticsDayRun), [dict(day=day, aggregated_at=aware_now(now), seconds=seconds)])  # noqa: C408
    session.flush()
    return {"day": day.isoformat(), "conversations": len(facts),
            "messages": sum(f.get("messages", 0) for f in figures.values()), "unanswered_groups": len(groups),
            "seconds": seconds}


def aggregate_range(session_factory, date_from: date, date_to: date, *, progress=None) -> list[dict]:
    """Every day from ``date_from`` to ``date_to``, one transaction each."""
    out, day = [], date_from
    while day <= date_to:
        with session_factory() as session:
            result = aggregate_day(session, day)
            session.commit()
        out.append(result)
        if progress:
            progress(result)
        day += timedelta(days=1)
    return out


def changed_days(session: Session, since: datetime) -> set[date]:
    """Days whose rows may be stale: the creation day of conversations with a message, rating or closing since
    ``since``, and the day of bot turns that got feedback since then."""
    conversations = select(china_day(Conversation.created_at).label("day")).where(
        or_(Conversation.last_message_at >= since, Conversation.rated_at >= since))
    feedback = select(china_day(Message.created_at).label("day")).where(Message.feedback_at >= since)
    days = set()
    for (value,) in session.execute(union(conversations, feedback)):
        days.add(value if isinstance(value, date) else date.fromisoformat(str(value)[:10]))
    return days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Aggregate conversation analytics day by day (Asia/Shanghai days).")
    parser.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="last day (default: the first)")
    parser.add_argument("--database-url", help="default: DATABASE_URL from the settings")
    args = parser.parse_args(argv)
    from api.core.database import make_engine, make_session_factory
    from api.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    date_to = args.date_to or args.date_from
    if date_to < args.date_from:
        parser.error("--to is before --from")
    engine = make_engine(args.database_url or get_settings().database_url)
    started = time.perf_counter()
    try:
        results = aggregate_range(make_session_factory(engine), args.date_from, date_to, progress=lambda r: print(  # noqa: T201
            f"{r['day']}: {r['conversations']} conversations, {r['messages']} messages, "
            f"{r['unanswered_groups']} unanswered groups, {r['seconds']:.2f} s"))
    finally:
        engine.dispose()
    print(f"{len(results)} days in {time.perf_counter() - started:.1f} s")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
