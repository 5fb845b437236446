"""Routes of the dashboard's analytics (docs/dashboard-api.md): ``/api/analytics/*`` charts, as JSON or CSV.
Roles, scope and masking: :mod:`api.analytics.deps`. Routes own the transaction: services flush, routes commit.
"""
from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Query, Request

from api.analytics import service as charts
from api.analytics.deps import Format, Operator, ScopeDep, masker_for
from api.analytics.export import TABLES, csv_response
from api.analytics.schemas import (
    OR_CSV,
    Campaigns,
    Dashboard,
    Feedback,
    Intents,
    Overview,
    PetitionCharts,
    Seats,
    Topics,
    Unanswered,
)
from api.core.database import SessionDep
from api.core.runtime import RedisDep
from api.privacy.masking import Masker
from api.privacy.policy import Unmasked

__all__ = ["router"]

router = APIRouter(prefix="/api/analytics", tags=["dashboard analytics"])


class UnansweredKind(str, Enum):
    all = "all"
    fallback = "fallback"
    clarify = "clarify"


def _answer(name: str, data: dict, output: Format, scope_: charts.Scope | None = None) -> Any:
    if output is Format.json:
        return data
    header, rows = TABLES[name](data)
    span = f"-{scope_.date_from:%Y%m%d}-{scope_.date_to:%Y%m%d}" if scope_ else ""
    return csv_response(f"analytics-{name}{span}.csv", header, rows)


def _action(output: Format) -> str:
    return "export_csv" if output is Format.csv else "view_chart"


# -- charts --------------------------------------------------------------------------------------

@router.get("/overview", response_model=Overview, responses=OR_CSV, summary="每日会话量、消息量、独立解决率、转人工率（含原因）与未能回答率")
def get_overview(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("overview", charts.overview(scope_, session=session), format, scope_)


@router.get("/intents", response_model=Intents, responses=OR_CSV, summary="热门意图")
def get_intents(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
                limit: int = Query(20, ge=1, le=200)):
    return _answer("intents", charts.intents(scope_, session=session, limit=limit), format, scope_)


@router.get("/topics", response_model=Topics, responses=OR_CSV, summary="热门知识主题")
def get_topics(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
               limit: int = Query(20, ge=1, le=200)):
    return _answer("topics", charts.topics(scope_, session=session, limit=limit), format, scope_)


@router.get("/unanswered", response_model=Unanswered, responses=OR_CSV, summary="未能回答的问题（按相似度分组，含次数与示例）")
def get_unanswered(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request,
                   format: Format = Format.json, kind: UnansweredKind = UnansweredKind.all,  # noqa: A002
                   limit: int = Query(30, ge=1, le=500), unmasked: Unmasked = False):
    masker = masker_for(staff, unmasked, request, session, _action(format))
    data = charts.unanswered(scope_, session=session, masker=masker, kind=kind.value, limit=limit)
    session.commit()
    return _answer("unanswered", data, format, scope_)


@router.get("/feedback", response_model=Feedback, responses=OR_CSV, summary="知识条目的有用/没用反馈")
def get_feedback(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json,  # noqa: A002
                 limit: int = Query(50, ge=1, le=500)):
    return _answer("feedback", charts.feedback(scope_, session=session, limit=limit), format, scope_)


@router.get("/seats", response_model=Seats, responses=OR_CSV, summary="坐席首次响应、处理时长与满意度")
def get_seats(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("seats", charts.seats(scope_, session=session), format, scope_)


@router.get("/petitions", response_model=PetitionCharts, responses=OR_CSV, summary="诉求按期率（按类别、渠道、部门）与共性诉求")
def get_petitions(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request, cache: RedisDep,
                  format: Format = Format.json, top: int = Query(10, ge=1, le=50),  # noqa: A002
                  unmasked: Unmasked = False):
    masker = masker_for(staff, unmasked, request, session, _action(format))
    data = charts.petitions(scope_, session=session, masker=masker, top=top, cache=cache)
    session.commit()
    return _answer("petitions", data, format, scope_)


@router.get("/campaigns", response_model=Campaigns, responses=OR_CSV, summary="提醒活动漏斗")
def get_campaigns(staff: Operator, session: SessionDep, scope_: ScopeDep, format: Format = Format.json):  # noqa: A002
    return _answer("campaigns", charts.campaigns(scope_, session=session), format, scope_)


@router.get("/dashboard", response_model=Dashboard, summary="一次取回全部图表（均已脱敏），供页面首次加载")
def get_dashboard(staff: Operator, session: SessionDep, scope_: ScopeDep, request: Request, cache: RedisDep):
    """Every chart of the page in one answer: one request, one log-in check, one database session."""
    masker = Masker(True)
    return {**scope_.head(), "overview": charts.overview(scope_, session=session),
            "intents": charts.intents(scope_, session=session), "topics": charts.topics(scope_, session=session),
            "unanswered": charts.unanswered(scope_, session=session, masker=masker),
            "feedback": charts.feedback(scope_, session=session), "seats": charts.seats(scope_, session=session),
            "petitions": charts.petitions(scope_, session=session, masker=masker, cache=cache),
            "campaigns": charts.campaigns(scope_, session=session)}
