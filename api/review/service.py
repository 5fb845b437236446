"""Conversation review: search, transcripts, tags, marks on wrong bot turns, and the audit log of unmasked views.

The search of conversations belongs here (the review is its only reader): it reads the per-conversation facts the
analytics aggregation keeps (``analytics_conversations``: outcome, intents, topics, rating; index on (day,
conversation_id)) joined to ``conversations``, within a date range (default 30 days, at most 366). The text
filter uses, on PostgreSQL, the bigram ``tsvector`` the aggregation stores (GIN; its format is
:mod:`api.review.search`) — no message is read; on SQLite an ``EXISTS`` over the conversation's messages
with ``ILIKE``. Functions take ``session=`` and never commit; every free text leaves through a
:class:`~api.privacy.masking.Masker`.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, cast, delete, exists, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.types import UserDefinedType

from api.analytics.aggregate import channel_of
from api.analytics.models import OUTCOME_LABELS, ConversationFact, ConversationSearch
from api.core.errors import Conflict, Invalid, NotFound
from api.hub.models import Attachment, Conversation, Message
from api.hub.service import REASONS
from api.improvement import files
from api.improvement.models import Improvement
from api.org.models import StaffAccount
from api.privacy.masking import Masker
from api.privacy.models import AuditEntry
from api.review import search as text_search
from api.review.models import ReviewMark, ReviewTag
from api.settings import Settings
from common.identifiers import is_valid_uscc, normalize_uscc

__all__ = ["SearchFilters", "REVIEW_HEADER", "search", "export_rows", "transcript", "set_tags", "tag_counts", "mark",
           "marks", "audit_log", "MAX_TOTAL", "MAX_TAGS"]

REVIEW_HEADER = ["会话ID", "日期", "渠道", "企业", "信用代码", "结果", "意图", "主题", "用户消息", "机器人回复", "评分",
                 "诉求编号", "标签", "首个问题"]
"""The columns of the search's CSV download (:func:`export_rows`)."""
MAX_TOTAL = 1_000  # the exact count stops here (total_capped: "1000+")
MAX_EXPORT = 10_000
MAX_TAGS = 20
TAG_CHARS = 20


class SearchFilters:
    def __init__(self, date_from: date, date_to: date, *, q: str | None = None, enterprise: str | None = None,
                 channel: str = "all", unit_id: int | None = None, intent: str | None = None,
                 topic: str | None = None, outcome: str | None = None, rating: int | None = None,
                 rating_min: int | None = None, rating_max: int | None = None, rated: bool | None = None,
                 tag: str | None = None, reason: str | None = None, contained: bool | None = None) -> None:
        self.date_from, self.date_to = date_from, date_to
        self.q = (q or "").strip() or None
        self.enterprise = (enterprise or "").strip() or None
        self.channel, self.unit_id = channel, unit_id
        self.intent, self.topic, self.outcome = intent or None, topic or None, outcome or None
        self.rating, self.rating_min, self.rating_max, self.rated = rating, rating_min, rating_max, rated
        self.tag = (tag or "").strip() or None
        self.reason, self.contained = reason or None, contained

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(self).items() if v is not None}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(filters: SearchFilters, indexed: bool = False, columns: Sequence[Any] | None = None) -> Select[Any]:
    """The search; ``indexed`` (PostgreSQL): the text filter uses the bigram index (api.review.search).
    ``columns``: what to select instead of (fact, conversation); the join is then made only when a filter needs
    the conversation (the enterprise)."""
    f, c = ConversationFact, Conversation
    clauses = [f.day >= filters.date_from, f.day <= filters.date_to]
    if filters.channel != "all":
        clauses.append(f.channel == filters.channel)
    if filters.unit_id is not None:
        clauses.append(f.unit_id == filters.unit_id)
    if filters.outcome:
        clauses.append(f.outcome == filters.outcome)
    if filters.intent:
        clauses.append(f.intents.like(_like(f" {filters.intent} "), escape="\\"))
    if filters.topic:
        clauses.append(f.topics.like(_like(f" {filters.topic} "), escape="\\"))
    if filters.rating is not None:
        clauses.append(f.rating == filters.rating)
    if filters.rating_min is not None:
        clauses.append(f.rating >= filters.rating_min)
    if filters.rating_max is not None:
        clauses.append(f.rating <= filters.rating_max)
    if filters.contained is not None:
        clauses.append(f.contained.is_(filters.contained))
    if filters.reason:
        clauses.append(c.reason == filters.reason)
    if filters.rated is not None:
        clauses.append(f.rating.is_not(None) if filters.rated else f.rating.is_(None))
    if filters.enterprise:
        code = normalize_uscc(filters.enterprise)
        if len(code) == 18 and (is_valid_uscc(code) or code.isalnum()):
            clauses.append(c.uscc == code)
        else:
            clauses.append(c.enterprise_name.ilike(_like(filters.enterprise), escape="\\"))
    if filters.tag:
        clauses.append(exists().where(ReviewTag.conversation_id == f.conversation_id, ReviewTag.tag == filters.tag))
    if filters.q:
        wanted = (text_search.query(filters.q, text_search.entries_containing(filters.q, filters.date_to))
                  if indexed else None)
        if wanted is not None:
            s = ConversationSearch
            clauses.append(f.conversation_id.in_(select(s.conversation_id).where(
                s.day >= filters.date_from, s.day <= filters.date_to,
                s.document.op("@@")(cast(literal(wanted), TSQuery())))))
        else:
            clauses.append(exists().where(Message.conversation_id == f.conversation_id, Message.internal.is_(False),
                                          Message.text.ilike(_like(filters.q), escape="\\")))
    if columns is not None:
        query = select(*columns)
        if filters.enterprise or filters.reason:
            query = query.join(c, c.id == f.conversation_id)
        return query.where(and_(*clauses))
    return select(f, c).join(c, c.id == f.conversation_id).where(and_(*clauses))


class TSQuery(UserDefinedType[str]):
    """PostgreSQL's ``tsquery`` (SQLAlchemy 1.4 has no type for it): the search is cast to it, not parsed."""
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "TSQUERY"


def _indexed(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _tags_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for cid, tag in session.execute(select(ReviewTag.conversation_id, ReviewTag.tag)
                                        .where(ReviewTag.conversation_id.in_(ids)).order_by(ReviewTag.id)):
            out[cid].append(tag)
    return out


def _split(spaced: str | None) -> list[str]:
    return (spaced or "").split()


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def item(conv: Conversation, fact: ConversationFact | None, tags: list[str], masker: Masker) -> dict[str, Any]:
    names = [conv.enterprise_name]
    return {"id": conv.id, "day": fact.day.isoformat() if fact else None, "created_at": _stamp(conv.created_at),
            "last_message_at": _stamp(conv.last_message_at), "channel": channel_of(conv.identity),
            "unit_id": conv.unit_id, "enterprise_name": masker.name(conv.enterprise_name),
            "uscc": masker.uscc(conv.uscc), "mode": conv.mode,
            "outcome": fact.outcome if fact else None,
            "outcome_label": OUTCOME_LABELS.get(fact.outcome) if fact else None,
            "intents": _split(fact.intents) if fact else [], "topics": _split(fact.topics) if fact else [],
            "user_messages": fact.user_messages if fact else None, "bot_turns": fact.bot_turns if fact else None,
            "fell_back": fact.fell_back if fact else None, "rating": conv.rating, "had_human": bool(conv.had_human),
            "petition_ticket": conv.petition_ticket, "tags": tags,
            "first_question": masker.text(fact.first_question, names) if fact else None}


def search(filters: SearchFilters, page: int, page_size: int, *, session: Session, masker: Masker) -> dict[str, Any]:
    indexed = _indexed(session)
    query = _query(filters, indexed)
    rows = session.execute(query.order_by(ConversationFact.conversation_id.desc())
                           .offset((page - 1) * page_size).limit(page_size + 1)).all()
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    counted = session.execute(select(func.count()).select_from(
        _query(filters, indexed, [ConversationFact.conversation_id]).limit(MAX_TOTAL + 1).subquery())).scalar_one()
    tags = _tags_of(session, [conv.id for _, conv in rows])
    return {"page": page, "page_size": page_size, "total": min(counted, MAX_TOTAL), "total_capped": counted > MAX_TOTAL,
            "has_more": has_more, "masked": masker.enabled,
            "items": [item(conv, fact, tags[conv.id], masker) for fact, conv in rows]}


def export_rows(filters: SearchFilters, *, session: Session, masker: Masker,
                limit: int = MAX_EXPORT) -> Iterator[list[Any]]:
    """The search results as CSV rows (newest first, at most ``limit``)."""
    rows = session.execute(_query(filters, _indexed(session)).order_by(ConversationFact.conversation_id.desc())
                           .limit(limit)).all()
    tags = _tags_of(session, [conv.id for _, conv in rows])
    for fact, conv in rows:
        data = item(conv, fact, tags[conv.id], masker)
        yield [data["id"], data["day"], data["channel"], data["enterprise_name"], data["uscc"], data["outcome_label"],
               " ".join(data["intents"]), " ".join(data["topics"]), data["user_messages"], data["bot_turns"],
               data["rating"], data["petition_ticket"], " ".join(data["tags"]), data["first_question"]]


def _conversation(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"会话 {conversation_id} 不存在")
    return conv


def _mark_wire(mark: ReviewMark, message: Message, user_text: str | None, names: list[str | None], masker: Masker,
               staff_name: str | None, improvement_ids: list[int]) -> dict[str, Any]:
    return {"id": mark.id, "message_id": mark.message_id, "conversation_id": mark.conversation_id,
            "text": masker.text(message.text, names), "user_text": masker.text(user_text, names),
            "kind": message.kind, "intent": message.intent, "confidence": message.confidence,
            "correct_intent": mark.correct_intent, "correct_entry_id": mark.correct_entry_id,
            "correct_topic": mark.correct_topic, "note": masker.text(mark.note, names),
            "marked_by": {"staff_id": mark.staff_id, "name": staff_name}, "created_at": _stamp(mark.created_at),
            "updated_at": _stamp(mark.updated_at), "improvement_ids": improvement_ids}


def transcript(conversation_id: int, *, session: Session, masker: Masker) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    names = [conv.enterprise_name]
    messages = session.execute(select(Message).where(Message.conversation_id == conv.id)
                               .order_by(Message.id)).scalars().all()
    files_by_id = {}
    attachment_ids = {m.attachment_id for m in messages if m.attachment_id}
    if attachment_ids:
        files_by_id = {a.id: a for a in session.execute(
            select(Attachment.id, Attachment.filename, Attachment.content_type, Attachment.size)
            .where(Attachment.id.in_(attachment_ids))).all()}
    marks = {m.message_id: m for m in session.execute(select(ReviewMark).where(
        ReviewMark.conversation_id == conv.id)).scalars()}
    people = dict(session.execute(select(StaffAccount.id, StaffAccount.display_name).where(
        StaffAccount.id.in_({m.staff_id for m in marks.values()} | {conv.assigned_staff_id or 0}))).tuples().all())
    fact = session.execute(select(ConversationFact).where(ConversationFact.conversation_id == conv.id)).scalar_one_or_none()
    tags = _tags_of(session, [conv.id])[conv.id]
    out, last_user = [], None
    for m in messages:
        mark = marks.get(m.id)
        attachment = files_by_id.get(m.attachment_id)
        out.append({"id": m.id, "sender": m.sender,
                    "sender_name": masker.text(m.sender_name, names) if m.sender == "user" else m.sender_name,
                    "text": masker.text(m.text, names), "created_at": _stamp(m.created_at), "mode": m.mode,
                    "kind": m.kind, "intent": m.intent, "confidence": m.confidence,
                    "envelope": masker.value(m.custom, names), "buttons": m.buttons, "feedback": m.feedback,
                    "internal": bool(m.internal),
                    "attachment": ({"filename": masker.text(attachment.filename, names),
                                    "content_type": attachment.content_type, "size": attachment.size}
                                   if attachment else None),
                    "mark": (_mark_wire(mark, m, last_user, names, masker, people.get(mark.staff_id), [])
                             if mark else None)})
        if m.sender == "user":
            last_user = m.text
    summary = item(conv, fact, tags, masker)
    summary.update({"summary": masker.text(conv.summary, names), "rating_comment": masker.text(conv.rating_comment, names),
                    "seat": ({"staff_id": conv.assigned_staff_id, "name": people.get(conv.assigned_staff_id)}
                             if conv.assigned_staff_id else None),
                    "queued_at": _stamp(conv.queued_at), "assigned_at": _stamp(conv.assigned_at),
                    "first_response_at": _stamp(conv.first_response_at), "closed_at": _stamp(conv.closed_at),
                    "reason": conv.reason, "reason_label": REASONS.get(conv.reason) if conv.reason else None,
                    "tier": conv.tier})
    return {"masked": masker.enabled, "conversation": summary, "messages": out}


def _clean_tag(tag: str) -> str:
    tag = " ".join(str(tag or "").split())
    if not tag or len(tag) > TAG_CHARS:
        raise Invalid(f"标签须为 1–{TAG_CHARS} 个字符", code="invalid_tag")
    return tag


def set_tags(conversation_id: int, add: list[str], remove: list[str], staff: StaffAccount, *, session: Session,
             now: datetime) -> dict[str, Any]:
    conv = _conversation(session, conversation_id)
    add, remove = [_clean_tag(t) for t in add], [_clean_tag(t) for t in remove]
    if remove:
        session.execute(delete(ReviewTag).where(ReviewTag.conversation_id == conv.id, ReviewTag.tag.in_(remove)))
    current = set(session.execute(select(ReviewTag.tag).where(ReviewTag.conversation_id == conv.id)).scalars())
    for tag in dict.fromkeys(add):
        if tag not in current:
            session.add(ReviewTag(conversation_id=conv.id, tag=tag, created_by_staff_id=staff.id, created_at=now))
            current.add(tag)
    if len(current) > MAX_TAGS:
        raise Invalid(f"一个会话最多 {MAX_TAGS} 个标签", code="too_many_tags")
    session.flush()
    return {"conversation_id": conv.id, "tags": _tags_of(session, [conv.id])[conv.id]}


def tag_counts(*, session: Session) -> dict[str, Any]:
    rows = session.execute(select(ReviewTag.tag, func.count(ReviewTag.id)).group_by(ReviewTag.tag)
                           .order_by(func.count(ReviewTag.id).desc(), ReviewTag.tag)).all()
    return {"tags": [{"tag": tag, "conversations": n} for tag, n in rows]}


def _previous_user_text(session: Session, message: Message) -> str | None:
    return session.execute(select(Message.text).where(
        Message.conversation_id == message.conversation_id, Message.sender == "user", Message.id < message.id)
        .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()


def mark(message_id: int, body: dict[str, Any], staff: StaffAccount, *, session: Session, settings: Settings, now: datetime,
         masker: Masker) -> dict[str, Any]:
    message = session.get(Message, message_id)
    if message is None:
        raise NotFound(f"消息 {message_id} 不存在")
    if message.sender != "bot":
        raise Conflict("只能标记智能助手的回复", code="not_a_bot_turn")
    intent = (body.get("correct_intent") or "").strip() or None
    entry_id = (body.get("correct_entry_id") or "").strip() or None
    topic = (body.get("correct_topic") or "").strip() or None
    note = (body.get("note") or "").strip() or None
    if not (intent or entry_id or topic or note):
        raise Invalid("请至少说明正确的意图、知识条目、主题或备注之一", code="empty_mark")
    if intent and intent not in files.domain_intents():
        raise Invalid(f"意图“{intent}”不在机器人的领域定义中", code="unknown_intent")
    if entry_id or topic:
        snapshot = files.knowledge_snapshot(settings.knowledge_dir)
        if entry_id and entry_id not in snapshot.entries:
            raise Invalid(f"知识条目 {entry_id} 不存在", code="unknown_entry")
        if topic and topic not in snapshot.topics:
            raise Invalid(f"知识主题 {topic} 不存在", code="unknown_topic")
        if entry_id and not topic:
            topic = snapshot.entries[entry_id].topic
    existing = session.execute(select(ReviewMark).where(ReviewMark.message_id == message.id)).scalar_one_or_none()
    if existing is None:
        existing = ReviewMark(message_id=message.id, conversation_id=message.conversation_id, created_at=now,
                              staff_id=staff.id, updated_at=now)
        session.add(existing)
    existing.correct_intent, existing.correct_entry_id, existing.correct_topic, existing.note = intent, entry_id, topic, note
    existing.staff_id, existing.updated_at = staff.id, now
    session.flush()
    conv = session.get_one(Conversation, message.conversation_id)  # the message's: always there
    improvements = list(session.execute(select(Improvement.id).where(Improvement.source_mark_id == existing.id)).scalars())
    return _mark_wire(existing, message, _previous_user_text(session, message), [conv.enterprise_name], masker,
                      staff.display_name, improvements)


def marks(date_from: date | None, date_to: date | None, page: int, page_size: int, *, session: Session,
          masker: Masker) -> dict[str, Any]:
    from datetime import timedelta

    from api.petition.queries import china_day_start

    query = select(ReviewMark, Message, Conversation.enterprise_name).join(
        Message, Message.id == ReviewMark.message_id).join(Conversation, Conversation.id == ReviewMark.conversation_id)
    if date_from:
        query = query.where(ReviewMark.created_at >= china_day_start(date_from))
    if date_to:
        query = query.where(ReviewMark.created_at < china_day_start(date_to + timedelta(days=1)))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(ReviewMark.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    mark_ids = [m.id for m, _, _ in rows]
    people = dict(session.execute(select(StaffAccount.id, StaffAccount.display_name).where(
        StaffAccount.id.in_({m.staff_id for m, _, _ in rows}))).tuples().all()) if rows else {}
    improvements: dict[int, list[int]] = {}
    if mark_ids:
        for iid, mid in session.execute(select(Improvement.id, Improvement.source_mark_id)
                                        .where(Improvement.source_mark_id.in_(mark_ids))):
            improvements.setdefault(mid, []).append(iid)
    return {"page": page, "page_size": page_size, "total": total,
            "items": [_mark_wire(m, msg, _previous_user_text(session, msg), [name], masker, people.get(m.staff_id),
                                 improvements.get(m.id, [])) for m, msg, name in rows]}


def audit_log(page: int, page_size: int, *, session: Session) -> dict[str, Any]:
    total = session.execute(select(func.count(AuditEntry.id))).scalar_one()
    rows = session.execute(select(AuditEntry, StaffAccount.display_name).join(
        StaffAccount, StaffAccount.id == AuditEntry.staff_id).order_by(AuditEntry.id.desc())
        .offset((page - 1) * page_size).limit(page_size)).all()
    return {"page": page, "page_size": page_size, "total": total,
            "items": [{"id": e.id, "staff_id": e.staff_id, "staff_name": name, "action": e.action, "subject": e.subject,
                       "detail": e.detail, "at": _stamp(e.at)} for e, name in rows]}
