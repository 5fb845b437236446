"""Improvement drafts: from a marked turn or an unanswered-question group to the bot's files.

Life: ``draft`` → ``approved`` or ``rejected``. Approving changes the row only; the retrain job
(:mod:`api.improvement.scheduled`) later writes the change to its file (:mod:`api.improvement.files`), retrains and
stamps it applied. Kinds:

* ``nlu_example`` ``{text, intent}``: the utterance becomes an NLU example of an intent of the domain
  (``data/nlu/improvements.yml``);
* ``question_variant`` ``{text, entry_id}``: the utterance becomes a question of a knowledge entry (its
  file under ``knowledge/content``), so the retriever and, after the retrain, the NLU know it;
* ``new_entry`` ``{entry: {...}}``: a new knowledge entry, ``review: true``, in
  ``knowledge/content/improvements.yml``.

Drafts are validated when created (so an operator learns at once) and again when approved (the files, or another
improvement approved meanwhile, may now take the same wording): against the files as they are and the approved
improvements the job has not written yet. The editor of a draft cannot approve it unless admin. Functions take
``session=`` and never commit.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.errors import Conflict, Forbidden, Invalid, NotFound
from api.hub.models import Message
from api.improvement import files
from api.improvement.models import Improvement
from api.org.models import StaffAccount
from api.review.models import ReviewMark
from api.settings import Settings
from knowledge.errors import KnowledgeValidationError
from knowledge.loader import ENTRY_ID, parse_entry

__all__ = ["RETRAIN", "create", "approve", "reject", "listing", "pending", "wire", "attention", "options",
           "entry_choices"]

RETRAIN = "make retrain"
APPROVER_OVERRIDE_ROLES = ("admin",)


def _payload(kind: str, body: dict[str, Any], settings: Settings) -> dict[str, Any]:
    if kind == "nlu_example":
        text, intent = files.clean_utterance(body.get("text")), str(body.get("intent") or "")
        if intent not in files.domain_intents() or intent in files.NOT_TRAINABLE:
            raise Invalid(f"意图“{intent}”不在机器人的领域定义中", code="unknown_intent")
        existing = files.nlu_examples(settings.nlu_dir).get(text)
        if existing is not None:
            raise Invalid(f"“{text}”已是意图 {existing} 的例句", code="duplicate_example")
        return {"text": text, "intent": intent}
    snapshot = files.knowledge_snapshot(settings.knowledge_dir)
    if kind == "question_variant":
        text, entry_id = files.clean_utterance(body.get("text")), str(body.get("entry_id") or "")
        if entry_id not in snapshot.entries:
            raise Invalid(f"知识条目 {entry_id} 不存在", code="unknown_entry")
        owner = snapshot.questions().get(text)
        if owner is not None:
            raise Invalid(f"“{text}”已是知识条目 {owner} 的问法", code="duplicate_question")
        return {"text": text, "entry_id": entry_id}
    if kind == "new_entry":
        entry = body.get("entry")
        if not isinstance(entry, dict):
            raise Invalid("请提供新条目的内容 entry", code="invalid_improvement")
        document = files.entry_document(entry)
        if not isinstance(document["id"], str) or not ENTRY_ID.match(document["id"]):
            raise Invalid("条目编号只能由小写字母、数字和连字符组成（3–81 个字符）", code="invalid_knowledge")
        try:
            parse_entry(document, snapshot.topics, origin="新条目")
        except KnowledgeValidationError as exc:
            raise Invalid(f"新条目未通过知识库校验：{exc}", code="invalid_knowledge") from None
        files.check_new_entry(snapshot, document)
        return {"entry": document}
    raise Invalid("kind 只能是 nlu_example、question_variant 或 new_entry", code="invalid_improvement")


def pending(*, session: Session, for_update: bool = False) -> list[Improvement]:
    """Approved improvements the retrain job has not written yet (nor given up on), oldest first."""
    query = (select(Improvement).where(Improvement.status == "approved", Improvement.applied_at.is_(None),
                                       Improvement.apply_error.is_(None)).order_by(Improvement.id))
    return list(session.execute(query.with_for_update() if for_update else query).scalars())


def _wordings(kind: str, payload: dict[str, Any]) -> set[str]:
    if kind == "new_entry":
        return set(payload["entry"]["questions"]) | {payload["entry"]["title"]}
    return {payload["text"]}


def _check_pending(kind: str, payload: dict[str, Any], *, session: Session, exclude: int | None = None) -> None:
    """The same wording (or entry id) is not already in an approved improvement the job has yet to write."""
    mine = _wordings(kind, payload)
    for other in pending(session=session):
        if other.id == exclude:
            continue
        if kind == "new_entry" and other.kind == "new_entry" and \
                other.payload["entry"]["id"] == payload["entry"]["id"]:
            raise Invalid(f"知识条目编号 {payload['entry']['id']} 已被已通过的改进 #{other.id} 使用",
                          code="duplicate_entry")
        if (kind == "nlu_example") != (other.kind == "nlu_example"):
            continue  # an NLU example and a knowledge question are checked against different files
        same = mine & _wordings(other.kind, other.payload)
        if same:
            code = "duplicate_example" if kind == "nlu_example" else "duplicate_question"
            raise Invalid(f"“{sorted(same)[0]}”已在已通过、待写入的改进 #{other.id} 中", code=code)


def create(body: dict[str, Any], staff: StaffAccount, *, session: Session, settings: Settings, now: datetime) -> Improvement:
    kind = str(body.get("kind") or "")
    payload = _payload(kind, body, settings)
    _check_pending(kind, payload, session=session)
    message_id, mark_id = body.get("source_message_id"), body.get("source_mark_id")
    if message_id is not None and session.get(Message, message_id) is None:
        raise Invalid(f"消息 {message_id} 不存在", code="unknown_message")
    if mark_id is not None and session.get(ReviewMark, mark_id) is None:
        raise Invalid(f"标记 {mark_id} 不存在", code="unknown_mark")
    improvement = Improvement(kind=kind, status="draft", payload=payload, source_message_id=message_id,
                              source_mark_id=mark_id, source_group=(body.get("source_group") or None),
                              note=body.get("note") or None, created_by_staff_id=staff.id, created_at=now)
    session.add(improvement)
    session.flush()
    return improvement


def _get(improvement_id: int, session: Session, for_update: bool = True) -> Improvement:
    query = select(Improvement).where(Improvement.id == improvement_id)
    if for_update:
        query = query.with_for_update()
    improvement = session.execute(query).scalar_one_or_none()
    if improvement is None:
        raise NotFound(f"改进 {improvement_id} 不存在")
    return improvement


def approve(improvement_id: int, staff: StaffAccount, *, session: Session, settings: Settings,
            now: datetime) -> Improvement:
    """Record the approval, validated again; the retrain job writes the change to its file."""
    improvement = _get(improvement_id, session)
    if improvement.status != "draft":
        raise Conflict("只有草稿可以审核", code="not_a_draft")
    if improvement.created_by_staff_id == staff.id and staff.role not in APPROVER_OVERRIDE_ROLES:
        raise Forbidden("不能审核自己起草的修改，请由其他运营人员或系统管理员审核", code="self_approval")
    _payload(improvement.kind, improvement.payload, settings)
    _check_pending(improvement.kind, improvement.payload, session=session, exclude=improvement.id)
    improvement.status, improvement.decided_by_staff_id, improvement.decided_at = "approved", staff.id, now
    session.flush()
    return improvement


def reject(improvement_id: int, staff: StaffAccount, note: str | None, *, session: Session,
           now: datetime) -> Improvement:
    improvement = _get(improvement_id, session)
    if improvement.status != "draft":
        raise Conflict("只有草稿可以驳回", code="not_a_draft")
    improvement.status, improvement.decided_by_staff_id, improvement.decided_at = "rejected", staff.id, now
    improvement.decision_note = note or None
    session.flush()
    return improvement


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(StaffAccount.id, StaffAccount.display_name)
                                .where(StaffAccount.id.in_(ids))).tuples().all())


def wire(improvement: Improvement, names: dict[int, str]) -> dict[str, Any]:
    def person(staff_id: int | None) -> dict[str, Any] | None:
        return {"staff_id": staff_id, "name": names.get(staff_id)} if staff_id else None

    stamp: Callable[[datetime | None], str | None] = lambda t: t.isoformat() if t else None  # noqa: E731
    approved = improvement.status == "approved"
    rejected = improvement.status == "rejected"
    return {"id": improvement.id, "kind": improvement.kind, "status": improvement.status, "payload": improvement.payload,
            "source_message_id": improvement.source_message_id, "source_mark_id": improvement.source_mark_id,
            "source_group": improvement.source_group, "note": improvement.note,
            "created_by": person(improvement.created_by_staff_id), "created_at": stamp(improvement.created_at),
            "approved_by": person(improvement.decided_by_staff_id) if approved else None,
            "approved_at": stamp(improvement.decided_at) if approved else None,
            "rejected_by": person(improvement.decided_by_staff_id) if rejected else None,
            "rejected_at": stamp(improvement.decided_at) if rejected else None,
            "decision_note": improvement.decision_note, "applied_file": improvement.applied_file,
            "applied_at": stamp(improvement.applied_at), "applied_model": improvement.applied_model,
            "apply_error": improvement.apply_error, "retrain": RETRAIN}


def wire_one(improvement: Improvement, *, session: Session) -> dict[str, Any]:
    return wire(improvement, _names(session, (improvement.created_by_staff_id, improvement.decided_by_staff_id)))


def listing(status: str | None, page: int, page_size: int, *, session: Session) -> dict[str, Any]:
    query = select(Improvement)
    if status:
        query = query.where(Improvement.status == status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Improvement.id.desc()).offset((page - 1) * page_size)
                           .limit(page_size)).scalars().all()
    names = _names(session, [i for r in rows for i in (r.created_by_staff_id, r.decided_by_staff_id)])
    return {"page": page, "page_size": page_size, "total": total, "items": [wire(r, names) for r in rows]}


def options(settings: Settings) -> dict[str, Any]:
    """What the improvement dialog offers: the intents an utterance can be added to (the domain's, less the
    fallback) and the knowledge topics a new entry can belong to."""
    snapshot = files.knowledge_snapshot(settings.knowledge_dir)
    return {"intents": sorted(files.domain_intents() - files.NOT_TRAINABLE),
            "topics": [{"id": t.id, "title": t.title} for t in snapshot.topics.values()], "retrain": RETRAIN}


def entry_choices(q: str, settings: Settings, limit: int = 10) -> list[dict[str, Any]]:
    """Knowledge entries for the improvement dialog: an exact id first, then id/title containing ``q``, then
    what the retriever ranks for ``q`` (so pasting the unanswered question finds the entry it belongs to)."""
    from knowledge.base import get_knowledge_base

    q = " ".join(str(q or "").split())[:200]
    if not q:
        return []
    kb = get_knowledge_base(settings.knowledge_dir, check_now=True)  # an entry written a moment ago
    chosen = [kb.entries[q]] if q in kb.entries else []
    chosen += [e for e in kb.entries.values() if q in e.id or q in e.title]
    chosen += [c.entry for c in kb.retriever.rank(q, limit=limit)]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in chosen:
        if entry.id not in seen and len(out) < limit:
            seen.add(entry.id)
            out.append({"entry_id": entry.id, "title": entry.title, "topic": entry.topic,
                        "topic_title": kb.topics[entry.topic].title if entry.topic in kb.topics else None,
                        "questions": list(entry.questions[:3])})
    return out


def attention(settings: Settings, today: date) -> dict[str, Any]:
    """Knowledge entries past their valid_until or flagged review, in the files the dashboard writes."""
    snapshot = files.knowledge_snapshot(settings.knowledge_dir)
    root = Path(settings.knowledge_dir)
    out: list[dict[str, Any]] = []
    for entry in snapshot.entries.values():
        reasons = (["expired"] if entry.valid_until and entry.valid_until < today else []) + (["review"] if entry.review else [])
        if reasons:
            out.append({"entry_id": entry.id, "topic": entry.topic,
                        "topic_title": snapshot.topics[entry.topic].title if entry.topic in snapshot.topics else None,
                        "title": entry.title, "file": files.relative_name(Path(entry.origin), root, "knowledge"),
                        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
                        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
                        "review": entry.review, "reasons": reasons})
    out.sort(key=lambda e: (0 if "expired" in e["reasons"] else 1, e["valid_until"] or "9999", e["entry_id"]))
    return {"today": today.isoformat(), "entries": out}
