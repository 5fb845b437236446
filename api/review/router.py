"""Routes of conversation review (docs/dashboard-api.md): ``/api/review/*`` — the search of conversations (JSON or
CSV), transcripts, tags, marks on wrong bot turns and the audit log of unmasked views. Roles, scope and masking:
:mod:`api.analytics.deps`. Routes own the transaction: services flush, routes commit.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from api.analytics.deps import Admin, Format, Operator, ScopeDep, masker_for
from api.analytics.export import csv_response
from api.analytics.schemas import OR_CSV
from api.analytics.service import Scope
from api.core.database import SessionDep
from api.core.runtime import SettingsDep
from api.core.time import aware_now
from api.inputs import MAX_PAGE, CleanStr, Id, SafeDate
from api.privacy.masking import Masker
from api.privacy.policy import Unmasked
from api.review import service as review
from api.review.schemas import (
    AuditPage,
    ConversationPage,
    ConversationTags,
    MarkBody,
    MarkOut,
    MarkPage,
    Outcome,
    TagChange,
    TagCounts,
    Transcript,
)
from api.review.service import REVIEW_HEADER

__all__ = ["router"]

router = APIRouter(prefix="/api/review", tags=["conversation review"])


def _filters(scope_: Scope, q: str | None, enterprise: str | None, intent: str | None, topic: str | None,
             outcome: Outcome | None, rating: int | None, rating_min: int | None, rating_max: int | None,
             rated: bool | None, tag: str | None, reason: str | None = None,
             contained: bool | None = None) -> review.SearchFilters:
    return review.SearchFilters(scope_.date_from, scope_.date_to, q=q, enterprise=enterprise, channel=scope_.channel,
                                unit_id=scope_.unit_id, intent=intent, topic=topic,
                                outcome=outcome.value if outcome else None, rating=rating, rating_min=rating_min,
                                rating_max=rating_max, rated=rated, tag=tag, reason=reason, contained=contained)


@router.get("/conversations", response_model=ConversationPage, responses=OR_CSV, summary="检索会话（文本、企业、日期、意图、主题、结果、满意度、标签）")
def search_conversations(
    staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request,
    q: CleanStr | None = Query(None, max_length=100, description="用户或机器人消息中包含的文字"),
    enterprise: CleanStr | None = Query(None, max_length=200, description="统一社会信用代码或企业名称的一部分"),
    intent: CleanStr | None = Query(None, max_length=100), topic: CleanStr | None = Query(None, max_length=100),
    outcome: Outcome | None = Query(None, description="answered、clarified、fell_back、handed_off、petition、other"),
    rating: int | None = Query(None, ge=1, le=5), rating_min: int | None = Query(None, ge=1, le=5),
    rating_max: int | None = Query(None, ge=1, le=5), rated: bool | None = None,
    tag: CleanStr | None = Query(None, max_length=20),
    reason: CleanStr | None = Query(None, max_length=40, description="转人工原因，如 user_request、bot_failed"),
    contained: bool | None = Query(None, description="true：机器人独立解决"),
    page: int = Query(1, ge=1, le=10_000), page_size: int = Query(20, ge=1, le=100),
    format: Format = Format.json, unmasked: Unmasked = False,  # noqa: A002
) -> dict[str, Any] | Response:
    filters = _filters(scope_, q, enterprise, intent, topic, outcome, rating, rating_min, rating_max, rated, tag,
                       reason, contained)
    masker = masker_for(staff, unmasked, request, session, "export_csv" if format is Format.csv else "list_conversations")
    if format is Format.csv:
        rows = list(review.export_rows(filters, session=session, masker=masker))
        session.commit()
        return csv_response(f"conversations-{scope_.date_from:%Y%m%d}-{scope_.date_to:%Y%m%d}.csv", REVIEW_HEADER, rows)
    data = review.search(filters, page, page_size, session=session, masker=masker)
    session.commit()
    return data


@router.get("/conversations/{conversation_id}", response_model=Transcript, summary="会话全文（含每轮意图、置信度与回复信封）")
def get_transcript(conversation_id: Id, staff: Operator, session: SessionDep, request: Request,
                   unmasked: Unmasked = False) -> dict[str, Any]:
    masker = masker_for(staff, unmasked, request, session, "view_transcript", f"conversation:{conversation_id}")
    data = review.transcript(conversation_id, session=session, masker=masker)
    session.commit()
    return data


@router.post("/conversations/{conversation_id}/tags", response_model=ConversationTags, summary="给会话加/去标签")
def post_tags(conversation_id: Id, body: TagChange, staff: Operator, session: SessionDep) -> dict[str, Any]:
    data = review.set_tags(conversation_id, body.add, body.remove, staff, session=session, now=aware_now())
    session.commit()
    return data


@router.get("/tags", response_model=TagCounts, summary="已用标签及会话数")
def get_tags(staff: Operator, session: SessionDep) -> dict[str, Any]:
    return review.tag_counts(session=session)


@router.post("/messages/{message_id}/mark", response_model=MarkOut, summary="标记机器人回复有误，并说明正确的意图/知识条目")
def post_mark(message_id: Id, body: MarkBody, staff: Operator, session: SessionDep,
              settings: SettingsDep) -> dict[str, Any]:
    data = review.mark(message_id, body.model_dump(), staff, session=session, settings=settings, now=aware_now(),
                       masker=Masker(True))
    session.commit()
    return data


@router.get("/marks", response_model=MarkPage, summary="已标记的错误回复")
def get_marks(staff: Operator, session: SessionDep, date_from: SafeDate | None = None,
              date_to: SafeDate | None = None,
              page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(20, ge=1, le=100)) -> dict[str, Any]:
    return review.marks(date_from, date_to, page, page_size, session=session, masker=Masker(True))


@router.get("/audit", response_model=AuditPage, summary="未脱敏查看的审计日志（仅系统管理员）")
def get_audit(staff: Admin, session: SessionDep, page: int = Query(1, ge=1, le=MAX_PAGE),
              page_size: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    return review.audit_log(page, page_size, session=session)
