"""Routes of the operator dashboard (docs/dashboard-api.md): ``/api/analytics/*`` charts (JSON or CSV),
``/api/review/*`` conversation review, ``/api/improvements`` and ``/api/knowledge/attention``.

Roles operator and admin (401 without a staff token, 403 for any other role). Everything is masked
unless an admin passes ``unmasked=true`` (the policy of :mod:`api.privacy.policy`); that view is written to the audit log in the same transaction
as the answer. Routes own the transaction: services flush, routes commit.
"""
from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from api.analytics import charts, improvements, review
from api.analytics.export import REVIEW_HEADER, TABLES, csv_response
from api.analytics.models import IMPROVEMENT_STATUSES, OUTCOMES
from api.auth.deps import SettingsDep, require_roles
from api.database import SessionDep
from api.errors import Forbidden, Invalid
from api.inputs import MAX_PAGE, CleanStr, Id, SafeDate, clean_str, clean_tree
from api.org.models import StaffAccount
from api.petition.timing import aware_now
from api.privacy.masking import Masker
from api.privacy.policy import SWITCH_ROLES, Unmasked, audit, check_switch
from common.workdays import china_today

__all__ = ["router", "review_router", "improvements_router", "DASHBOARD_ROLES", "MAX_DAYS",
           "DEFAULT_DAYS"]

DASHBOARD_ROLES = ("operator", "admin")
DEFAULT_DAYS = 30
MAX_DAYS = 366

Operator = Annotated[StaffAccount, Depends(require_roles(*DASHBOARD_ROLES))]
Admin = Annotated[StaffAccount, Depends(require_roles(*SWITCH_ROLES))]

router = APIRouter(prefix="/api/analytics", tags=["dashboard analytics"])
review_router = APIRouter(prefix="/api/review", tags=["conversation review"])
improvements_router = APIRouter(tags=["bot improvements"])


class Channel(str, Enum):
    all = "all"
    enterprise = "enterprise"
    visitor = "visitor"


class Format(str, Enum):
    json = "json"
    csv = "csv"


class UnansweredKind(str, Enum):
    all = "all"
    fallback = "fallback"
    clarify = "clarify"


Outcome = Enum("Outcome", {o: o for o in OUTCOMES}, type=str)
ImprovementStatus = Enum("ImprovementStatus", {s: s for s in IMPROVEMENT_STATUSES}, type=str)


def period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    date_to = date_to or china_today()
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise Invalid("起始日期不能晚于截止日期", code="invalid_period")
    if (date_to - date_from).days >= MAX_DAYS:
        raise Invalid(f"查询期间不能超过 {MAX_DAYS} 天", code="invalid_period")
    return date_from, date_to


def scope(date_from: Optional[SafeDate] = Query(None, description="起始日期（含，北京时间）；默认截止日前 29 天"),
          date_to: Optional[SafeDate] = Query(None, description="截止日期（含，北京时间）；默认今天"),
          channel: Channel = Query(Channel.all, description="all、enterprise（登录企业）或 visitor（访客）"),
          unit_id: Optional[Id] = Query(None, description="服务单位")) -> charts.Scope:
    first, last = period(date_from, date_to)
    return charts.Scope(first, last, channel.value, unit_id)


ScopeDep = Annotated[charts.Scope, Depends(scope)]


def masker_for(staff: StaffAccount, unmasked: bool, request: Request, session, action: str,
               subject: str | None = None) -> Masker:
    """Masking on; off only on the admin's switch (api.privacy.policy), and then the view is audit-logged
    (committed by the route)."""
    decision = check_switch(staff, unmasked)
    if decision is None:
        return Masker(True)
    audit(staff, action, subject or request.url.path, {"purpose": decision.purpose, "path": request.url.path,
                                                       **dict(request.query_params)}, session=session, now=aware_now())
    return decision.masker


def _answer(name: str, data: dict, output: Format, scope_: charts.Scope | None = None) -> Any:
    if output is Format.json:
        return data
    header, rows = TABLES[name](data)
    span = f"-{scope_.date_from:%Y%m%d}-{scope_.date_to:%Y%m%d}" if scope_ else ""
    return csv_response(f"analytics-{name}{span}.csv", header, rows)


def _action(output: Format) -> str:
    return "export_csv" if output is Format.csv else "view_chart"


# -- charts --------------------------------------------------------------------------------------

@router.get("/overview", summary="每日会话量、消息量、独立解决率、转人工率（含原因）与未能回答率")
def get_overview(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("overview", charts.overview(scope_, session=session), format, scope_)


@router.get("/intents", summary="热门意图")
def get_intents(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
                limit: int = Query(20, ge=1, le=200)):
    return _answer("intents", charts.intents(scope_, session=session, limit=limit), format, scope_)


@router.get("/topics", summary="热门知识主题")
def get_topics(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
               limit: int = Query(20, ge=1, le=200)):
    return _answer("topics", charts.topics(scope_, session=session, limit=limit), format, scope_)


@router.get("/unanswered", summary="未能回答的问题（按相似度分组，含次数与示例）")
def get_unanswered(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request,
                   format: Format = Format.json, kind: UnansweredKind = UnansweredKind.all,  # noqa: A002
                   limit: int = Query(30, ge=1, le=500), unmasked: Unmasked = False):
    masker = masker_for(staff, unmasked, request, session, _action(format))
    data = charts.unanswered(scope_, session=session, masker=masker, kind=kind.value, limit=limit)
    session.commit()
    return _answer("unanswered", data, format, scope_)


@router.get("/feedback", summary="知识条目的有用/没用反馈")
def get_feedback(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
                 limit: int = Query(50, ge=1, le=500)):
    return _answer("feedback", charts.feedback(scope_, session=session, limit=limit), format, scope_)


@router.get("/seats", summary="坐席首次响应、处理时长与满意度")
def get_seats(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("seats", charts.seats(scope_, session=session), format, scope_)


@router.get("/petitions", summary="诉求按期率（按类别、渠道、部门）与共性诉求")
def get_petitions(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request,
                  format: Format = Format.json, top: int = Query(10, ge=1, le=50),  # noqa: A002
                  unmasked: Unmasked = False):
    masker = masker_for(staff, unmasked, request, session, _action(format))
    data = charts.petitions(scope_, session=session, masker=masker, top=top, cache=request.app.state.redis)
    session.commit()
    return _answer("petitions", data, format, scope_)


@router.get("/campaigns", summary="提醒活动漏斗")
def get_campaigns(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("campaigns", charts.campaigns(scope_, session=session), format, scope_)


@router.get("/dashboard", summary="一次取回全部图表（均已脱敏），供页面首次加载")
def get_dashboard(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request):
    """Every chart of the page in one answer: one request, one log-in check, one database session."""
    masker = Masker(True)
    return {**scope_.head(), "overview": charts.overview(scope_, session=session),
            "intents": charts.intents(scope_, session=session), "topics": charts.topics(scope_, session=session),
            "unanswered": charts.unanswered(scope_, session=session, masker=masker),
            "feedback": charts.feedback(scope_, session=session), "seats": charts.seats(scope_, session=session),
            "petitions": charts.petitions(scope_, session=session, masker=masker, cache=request.app.state.redis),
            "campaigns": charts.campaigns(scope_, session=session)}


# -- review --------------------------------------------------------------------------------------

def _filters(scope_: charts.Scope, q: str | None, enterprise: str | None, intent: str | None, topic: str | None,
             outcome: Optional[Outcome], rating: int | None, rating_min: int | None, rating_max: int | None,
             rated: bool | None, tag: str | None, reason: str | None = None,
             contained: bool | None = None) -> review.SearchFilters:
    return review.SearchFilters(scope_.date_from, scope_.date_to, q=q, enterprise=enterprise, channel=scope_.channel,
                                unit_id=scope_.unit_id, intent=intent, topic=topic,
                                outcome=outcome.value if outcome else None, rating=rating, rating_min=rating_min,
                                rating_max=rating_max, rated=rated, tag=tag, reason=reason, contained=contained)


@review_router.get("/conversations", summary="检索会话（文本、企业、日期、意图、主题、结果、满意度、标签）")
def search_conversations(
    staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request,
    q: Optional[CleanStr] = Query(None, max_length=100, description="用户或机器人消息中包含的文字"),
    enterprise: Optional[CleanStr] = Query(None, max_length=200, description="统一社会信用代码或企业名称的一部分"),
    intent: Optional[CleanStr] = Query(None, max_length=100), topic: Optional[CleanStr] = Query(None, max_length=100),
    outcome: Optional[Outcome] = Query(None, description="answered、clarified、fell_back、handed_off、petition、other"),
    rating: Optional[int] = Query(None, ge=1, le=5), rating_min: Optional[int] = Query(None, ge=1, le=5),
    rating_max: Optional[int] = Query(None, ge=1, le=5), rated: Optional[bool] = None,
    tag: Optional[CleanStr] = Query(None, max_length=20),
    reason: Optional[CleanStr] = Query(None, max_length=40, description="转人工原因，如 user_request、bot_failed"),
    contained: Optional[bool] = Query(None, description="true：机器人独立解决"),
    page: int = Query(1, ge=1, le=10_000), page_size: int = Query(20, ge=1, le=100),
    format: Format = Format.json, unmasked: Unmasked = False,  # noqa: A002
):
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


@review_router.get("/conversations/{conversation_id}", summary="会话全文（含每轮意图、置信度与回复信封）")
def get_transcript(conversation_id: Id, staff: Operator, session: SessionDep, request: Request,
                   unmasked: Unmasked = False):
    masker = masker_for(staff, unmasked, request, session, "view_transcript", f"conversation:{conversation_id}")
    data = review.transcript(conversation_id, session=session, masker=masker)
    session.commit()
    return data


class TagChange(BaseModel):
    add: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)
    remove: list[clean_str(max_length=40)] = Field(default_factory=list, max_length=20)


@review_router.post("/conversations/{conversation_id}/tags", summary="给会话加/去标签")
def post_tags(conversation_id: Id, body: TagChange, staff: Operator, session: SessionDep):
    data = review.set_tags(conversation_id, body.add, body.remove, staff, session=session, now=aware_now())
    session.commit()
    return data


@review_router.get("/tags", summary="已用标签及会话数")
def get_tags(staff: Operator, session: SessionDep):
    return review.tag_counts(session=session)


class MarkBody(BaseModel):
    correct_intent: Optional[CleanStr] = Field(None, max_length=100)
    correct_entry_id: Optional[CleanStr] = Field(None, max_length=100)
    correct_topic: Optional[CleanStr] = Field(None, max_length=100)
    note: Optional[CleanStr] = Field(None, max_length=2000)


@review_router.post("/messages/{message_id}/mark", summary="标记机器人回复有误，并说明正确的意图/知识条目")
def post_mark(message_id: Id, body: MarkBody, staff: Operator, session: SessionDep, settings: SettingsDep):
    data = review.mark(message_id, body.model_dump(), staff, session=session, settings=settings, now=aware_now(),
                       masker=Masker(True))
    session.commit()
    return data


@review_router.get("/marks", summary="已标记的错误回复")
def get_marks(staff: Operator, session: SessionDep, date_from: Optional[SafeDate] = None,
              date_to: Optional[SafeDate] = None,
              page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(20, ge=1, le=100)):
    return review.marks(date_from, date_to, page, page_size, session=session, masker=Masker(True))


@review_router.get("/audit", summary="未脱敏查看的审计日志（仅系统管理员）")
def get_audit(staff: Admin, session: SessionDep, page: int = Query(1, ge=1, le=MAX_PAGE),
              page_size: int = Query(50, ge=1, le=200)):
    return review.audit_log(page, page_size, session=session)


# -- improvements --------------------------------------------------------------------------------

class ImprovementBody(BaseModel):
    kind: CleanStr = Field(..., description="nlu_example、question_variant 或 new_entry")
    text: Optional[CleanStr] = Field(None, max_length=200)
    intent: Optional[CleanStr] = Field(None, max_length=100)
    entry_id: Optional[CleanStr] = Field(None, max_length=100)
    entry: Annotated[Optional[dict], AfterValidator(clean_tree)] = None
    source_message_id: Optional[Id] = None
    source_mark_id: Optional[Id] = None
    source_group: Optional[CleanStr] = Field(None, max_length=40)
    note: Optional[CleanStr] = Field(None, max_length=2000)



@improvements_router.post("/api/improvements", status_code=201, summary="起草一项改进（例句、问法或新条目）")
def post_improvement(body: ImprovementBody, staff: Operator, session: SessionDep, settings: SettingsDep):
    improvement = improvements.create(body.model_dump(), staff, session=session, settings=settings, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


@improvements_router.get("/api/improvements", summary="改进列表")
def get_improvements(staff: Operator, session: SessionDep, status: Optional[ImprovementStatus] = None,
                     page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(20, ge=1, le=100)):
    return improvements.listing(status.value if status else None, page, page_size, session=session)


@improvements_router.post("/api/improvements/{improvement_id}/approve", summary="审核通过并写入训练数据/知识库")
def approve_improvement(improvement_id: Id, staff: Operator, session: SessionDep, settings: SettingsDep):
    improvement = improvements.approve(improvement_id, staff, session=session, settings=settings, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


class RejectBody(BaseModel):
    note: Optional[CleanStr] = Field(None, max_length=2000)


@improvements_router.post("/api/improvements/{improvement_id}/reject", summary="驳回改进草稿")
def reject_improvement(improvement_id: Id, staff: Operator, session: SessionDep,
                       body: Optional[RejectBody] = None):
    note = body.note if body else None
    improvement = improvements.reject(improvement_id, staff, note, session=session, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


@improvements_router.get("/api/improvements/options", summary="起草改进可选的意图与知识主题")
def get_improvement_options(staff: Operator, settings: SettingsDep) -> dict:
    return improvements.options(settings)


@improvements_router.get("/api/knowledge/entries", summary="按编号、标题或问题检索知识条目（起草改进时选择）")
def get_entry_choices(staff: Operator, settings: SettingsDep, q: CleanStr = Query(..., max_length=200)) -> list[dict]:
    return improvements.entry_choices(q, settings)


@improvements_router.get("/api/knowledge/attention", summary="需要关注的知识条目（已过有效期或待复核）")
def get_attention(staff: Operator, settings: SettingsDep):
    return improvements.attention(settings, china_today())
