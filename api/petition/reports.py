"""/api/petitions/statistics, /common-demands and /export: the console's reports on petitions.

These paths share the prefix of :mod:`api.petition.router`, whose ``/{petition_id}`` would also
match them; ``api.main`` therefore includes this router first.

* statistics and common demands: leaders and operators (supervisor, director, operator, admin).
  The figures cover every petition received in the period (``statistics`` has no unit scope).
* queues: every reading role; the work queues of the caller's role with the number of petitions in
  each that the caller may see.
* bulletin (定期通报): like statistics, leaders and operators; the weekly or monthly report of
  :mod:`api.petition.bulletin` as a printable HTML page (the console's strict CSP, every text
  escaped, /static/bulletin.css) or XLSX.
* export: every reading role; only the petitions the caller may see (``visible_clause``), with the
  list's own filter parameters (:mod:`api.petition.filter_params`), streamed as CSV or XLSX, masked or
  not (and then audited) as :mod:`api.privacy.policy` decides for the caller.
"""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.auth.deps import require_roles
from api.core.database import SessionDep
from api.core.errors import Invalid
from api.core.runtime import RuntimeDep
from api.core.time import aware_now
from api.inputs import SafeDate
from api.org.models import StaffAccount
from api.petition.access import ACTION_ROLES, READ_ROLES, visible_clause
from api.petition.bulletin import bulletin, last_period_day, render_html
from api.petition.bulletin import write_xlsx as write_bulletin_xlsx
from api.petition.export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, content_disposition, stream_csv, stream_xlsx
from api.petition.extensions import awaiting_decision_of
from api.petition.filter_params import petition_filters
from api.petition.queries import PetitionFilters, work_counts
from api.petition.schemas import CommonDemands, Queues, Statistics
from api.petition.statistics import common_demands, statistics
from api.privacy.policy import MASKED, PETITION_FIELDS, Unmasked, audit_view, check_switch, petition_view
from api.web.router import CONSOLE_HEADERS
from common.workdays import china_today

__all__ = ["router", "REPORT_ROLES", "DEFAULT_PERIOD_DAYS", "MAX_PERIOD_DAYS", "export_filename"]

router = APIRouter(prefix="/api/petitions", tags=["petition reports"])

REPORT_ROLES = ("supervisor", "director", "operator", "admin")
DEFAULT_PERIOD_DAYS = 30  # without dates: the last 30 days up to today
MAX_PERIOD_DAYS = 3 * 366

Reporter = Annotated[StaffAccount, Depends(require_roles(*REPORT_ROLES))]
Reader = Annotated[StaffAccount, Depends(require_roles(*READ_ROLES))]


class GroupBy(str, Enum):
    category = "category"
    channel = "channel"
    unit = "unit"
    week = "week"
    month = "month"


class ExportFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


def _period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    date_to = date_to or china_today()
    date_from = date_from or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if date_from > date_to:
        raise Invalid("统计截止日期不能早于起始日期")
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise Invalid(f"统计期间不能超过 {MAX_PERIOD_DAYS} 天")
    return date_from, date_to


@router.get("/statistics", response_model=Statistics, summary="统计分析：受理量、办结量、按期率与平均办理天数")
def get_statistics(
    staff: Reporter, session: SessionDep,
    date_from: SafeDate | None = Query(None, description="受理日期起（含，北京时间）；默认截止日前 29 天"),
    date_to: SafeDate | None = Query(None, description="受理日期止（含，北京时间）；默认今天"),
    group_by: GroupBy = Query(GroupBy.category, description="分组：category 类别、channel 渠道、unit 主办部门、week 周、month 月"),
) -> dict:
    date_from, date_to = _period(date_from, date_to)
    return statistics(session, date_from, date_to, group_by.value)


@router.get("/common-demands", response_model=CommonDemands, summary="共性诉求：期间内反复出现的诉求主题")
def get_common_demands(
    staff: Reporter, session: SessionDep,
    date_from: SafeDate | None = Query(None, description="受理日期起（含，北京时间）；默认截止日前 29 天"),
    date_to: SafeDate | None = Query(None, description="受理日期止（含，北京时间）；默认今天"),
    top: int = Query(10, ge=1, le=50, description="最多列出的主题数"),
    unmasked: Unmasked = False,
) -> dict:
    date_from, date_to = _period(date_from, date_to)
    data = common_demands(session, date_from, date_to, top=top)
    # The examples come from every unit's petitions: masked for all, but the admin's switch.
    decision = check_switch(staff, unmasked) or MASKED
    examples = [e for theme in data["themes"] for e in theme["examples"]]
    for example in examples:
        example["content"] = decision.masker.text(example["content"])
    audit_view(staff, decision, "view_common_demands", "petitions:common-demands", session=session,
               now=aware_now(), fields=("content",), shown=[e["ticket"] for e in examples])
    session.commit()
    return data


@router.get("/queues", response_model=Queues,
            summary="我的工作队列：各队列、超期与待我审批的延期件数（仅含权限范围内的诉求）")
def get_queues(staff: Reader, session: SessionDep) -> dict:
    approver = staff.role in ACTION_ROLES["decide_extension"]
    return {**work_counts(staff.role, visible_clause(staff), session=session, today=china_today()),
            "my_approvals": len(awaiting_decision_of(staff, session=session)) if approver else None}


class Period(str, Enum):
    week = "week"
    month = "month"


class BulletinFormat(str, Enum):
    html = "html"
    xlsx = "xlsx"


@router.get("/bulletin", summary="定期通报（周报、月报）：受理量、各环节按期率、超期单位、共性诉求、满意度、回访与延期",
            response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}, XLSX_MEDIA_TYPE: {}}}})
def get_bulletin(
    staff: Reporter, session: SessionDep,
    period: Period = Query(Period.week, description="week 周报（周一至周日）或 month 月报"),
    day: SafeDate | None = Query(None, alias="date", description="期间内任一日（北京时间）；默认上一个完整的周或月"),
    format: BulletinFormat = Query(BulletinFormat.html, description="html 可打印页面，或 xlsx"),  # noqa: A002
) -> Response:
    today = china_today()
    day = day or last_period_day(period.value, today)
    if day > today:
        raise Invalid("通报期间不能晚于今天")
    data = bulletin(session, period.value, day, today=today)
    if format is BulletinFormat.xlsx:
        out = io.BytesIO()
        write_bulletin_xlsx(out, data)
        name = f"诉求办理情况通报-{data['date_from'].replace('-', '')}-{data['date_to'].replace('-', '')}.xlsx"
        return Response(out.getvalue(), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": content_disposition(name)})
    return HTMLResponse(render_html(data), headers=CONSOLE_HEADERS)


def export_filename(kind: str, today: date) -> str:
    return f"台账-{today:%Y%m%d}.{kind}"


@router.get("/export", summary="导出诉求台账（CSV 或 Excel，仅含权限范围内的诉求）",
            response_class=StreamingResponse,
            responses={200: {"content": {CSV_MEDIA_TYPE: {}, XLSX_MEDIA_TYPE: {}}}})
def export(
    request: Request, staff: Reader, session: SessionDep, rt: RuntimeDep,
    filters: Annotated[PetitionFilters, Depends(petition_filters)],
    format: ExportFormat = Query(ExportFormat.csv, description="csv 或 xlsx"),  # noqa: A002 - the query name
    unmasked: Unmasked = False,
) -> StreamingResponse:
    filters = replace(filters, extra=(visible_clause(staff),))
    decision = petition_view(staff, unmasked)
    # The export streams from its own session after this route returns: its audit row (the filter that
    # chose the rows, not every ticket) is committed before the first byte goes out.
    audit_view(staff, decision, "export_petitions", "petitions:export", session=session, now=aware_now(),
               fields=PETITION_FIELDS, format=format.value,
               filter={k: v for k, v in request.query_params.items() if k not in ("format", "unmasked")})
    session.commit()
    today = china_today()
    stream, media_type = ((stream_csv, CSV_MEDIA_TYPE) if format is ExportFormat.csv
                          else (stream_xlsx, XLSX_MEDIA_TYPE))
    return StreamingResponse(stream(rt.session_factory, filters, today, masker=decision.masker),
                             media_type=media_type,
                             headers={"Content-Disposition": content_disposition(export_filename(format.value, today))})
