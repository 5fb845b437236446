"""The periodic report (通报) on petitions: weekly or monthly, as data, as XLSX and as a printable page.

A period is a Shanghai calendar week (Monday to Sunday) or month. The report covers the petitions
*received* in the period, with the definitions of :func:`api.petition.statistics.statistics` (one
grouped query, by handling unit), seen on ``today``:

* 受理量 ``received``; 办结 ``handled``; 已反馈 ``fed_back``;
* 按期率 per clock (转交 handover, 办理 handling, 反馈 feedback): met / (met + missed), where missed
  counts the clocks done late and those still running past their due date;
* 超期情况 by handling unit (lead department; "未转办理部门" for petitions not yet assigned): the
  missed and still-overdue clocks of each unit that has any, most first;
* 共性诉求: :func:`~api.petition.statistics.common_demands` of the period (themes, keywords, counts —
  no example text, so the report carries no personal data);
* 满意度: rated petitions, average and distribution 1–5 — the return visit's and the enterprise's own
  rating (企业评价, from the widget); 回访 owed (应回访), done, overdue, and ``awaiting_visit``;
* 延期: extension requests of the period's petitions, requested / approved / rejected / pending, the
  approved days and the average extra days per approved request;
* 协办: the co-departments' tasks, completed, completed late and still overdue.

:func:`render_html` escapes every text; its stylesheet is ``/static/bulletin.css`` (print layout).
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from html import escape
from typing import BinaryIO

from sqlalchemy.orm import Session

from api.petition.statistics import common_demands, statistics
from api.petition.timing import CLOCKS
from api.spreadsheet import xlsx_value

__all__ = ["PERIODS", "CLOCK_LABELS", "period_of", "last_period_day", "bulletin", "write_xlsx", "render_html"]

PERIODS = {"week": "周", "month": "月"}
CLOCK_LABELS = {"handover": "转交", "handling": "办理", "feedback": "反馈"}
TOP_DEMANDS = 5


def period_of(kind: str, day: date) -> tuple[date, date]:
    """The week (Monday–Sunday) or month that holds ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise ValueError(f"unknown period {kind!r}")


def last_period_day(kind: str, today: date) -> date:
    """A day of the last complete period before ``today``'s (the usual subject of a 通报)."""
    return period_of(kind, today)[0] - timedelta(days=1)


def _title(kind: str, start: date, end: date) -> str:
    if kind == "month":
        return f"{start.year}年{start.month}月诉求办理情况通报"
    year, week, _ = start.isocalendar()
    return f"{year}年第{week}周（{start:%m月%d日}—{end:%m月%d日}）诉求办理情况通报"


def bulletin(session: Session, kind: str, day: date, *, today: date) -> dict:
    """The report of the ``kind`` period that holds ``day``, as seen on ``today``."""
    start, end = period_of(kind, day)
    figures = statistics(session, start, end, "unit", today=today)
    total = figures["total"]
    units = []
    for group in figures["groups"]:
        missed = {clock: group["on_time"][clock]["missed"] for clock in CLOCKS}
        overdue = {clock: group["on_time"][clock]["overdue"] for clock in CLOCKS}
        if any(missed.values()):
            units.append({"unit_id": group["key"], "unit": group["label"], "received": group["received"],
                          "missed": missed, "overdue": overdue, "missed_total": sum(missed.values())})
    units.sort(key=lambda u: (-u["missed_total"], u["unit"]))
    demands = common_demands(session, start, end, top=TOP_DEMANDS)
    return {
        "period": kind, "date_from": start.isoformat(), "date_to": end.isoformat(), "as_of": today.isoformat(),
        "title": _title(kind, start, end),
        "received": total["received"], "handled": total["handled"], "fed_back": total["fed_back"],
        "avg_handling_days": total["avg_handling_days"],
        "on_time": {clock: total["on_time"][clock] for clock in CLOCKS},
        "overdue_by_unit": units,
        "common_demands": [{"theme": t["theme"], "keywords": t["keywords"], "count": t["count"]}
                           for t in demands["themes"]],
        "satisfaction": total["satisfaction"], "visited": total["visited"], "awaiting_visit": total["awaiting_visit"],
        "enterprise_rating": total["enterprise_rating"], "visits": total["visits"],
        "extensions": total["extensions"], "tasks": total["tasks"],
    }


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _average(value) -> object:
    return "—" if value is None else value


def _distribution(scores: dict) -> str:
    return "，".join(f"{k}分 {n} 件" for k, n in scores["distribution"].items())


def _summary_rows(data: dict) -> list[tuple[str, object]]:
    sat, ext, rating = data["satisfaction"], data["extensions"], data["enterprise_rating"]
    visits, tasks = data["visits"], data["tasks"]
    rows: list[tuple[str, object]] = [("统计期间", f"{data['date_from']} 至 {data['date_to']}"),
                                      ("统计日期", data["as_of"]), ("受理量", data["received"]),
                                      ("办结量", data["handled"]), ("已反馈", data["fed_back"]),
                                      ("平均办理工作日", "—" if data["avg_handling_days"] is None
                                       else data["avg_handling_days"])]
    for clock, label in CLOCK_LABELS.items():
        c = data["on_time"][clock]
        rows.append((f"{label}按期率", f"{_percent(c['rate'])}（按期 {c['met']}，超期 {c['missed']}，其中仍超期 {c['overdue']}）"))
    rows += [("应回访", visits["due"]), ("已回访", data["visited"]), ("待回访", data["awaiting_visit"]),
             ("回访超期（反馈后超过5个工作日未回访）", visits["overdue"]),
             ("回访评价件数", sat["rated"]), ("回访平均满意度", _average(sat["average"])),
             ("回访满意度分布", _distribution(sat)),
             ("企业自评件数", rating["rated"]), ("企业自评平均分", _average(rating["average"])),
             ("企业自评分布", _distribution(rating)),
             ("延期申请", ext["requested"]), ("批准延期", ext["approved"]), ("不予批准", ext["rejected"]),
             ("待审批", ext["pending"]), ("批准延长工作日", ext["approved_days"]),
             ("平均每次延长工作日", _average(ext["avg_extra_days"])),
             ("协办任务", tasks["total"]), ("协办已完成", tasks["completed"]), ("协办逾期完成", tasks["late"]),
             ("协办仍超期", tasks["overdue"])]
    return rows


def _unit_rows(data: dict) -> list[list]:
    return [[u["unit"], u["received"], *(u["missed"][c] for c in CLOCK_LABELS), *(u["overdue"][c] for c in CLOCK_LABELS)]
            for u in data["overdue_by_unit"]]


UNIT_HEADERS = ["办理部门", "受理量", *(f"{v}超期" for v in CLOCK_LABELS.values()),
                *(f"{v}仍超期" for v in CLOCK_LABELS.values())]
DEMAND_HEADERS = ["主题", "关键词", "件数"]


def write_xlsx(out: BinaryIO, data: dict) -> None:
    """The report as a workbook: 概况, 超期情况, 共性诉求."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)

    def sheet(name: str, header: list[str], rows: list[list]) -> None:
        ws = workbook.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append([xlsx_value(ws, v) if isinstance(v, str) else v for v in row])

    sheet("概况", [data["title"], ""], [list(r) for r in _summary_rows(data)])
    sheet("超期情况", UNIT_HEADERS, _unit_rows(data))
    sheet("共性诉求", DEMAND_HEADERS, [[d["theme"], "、".join(d["keywords"]), d["count"]] for d in data["common_demands"]])
    workbook.save(out)


def _table(header: list[str], rows: list[list], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def render_html(data: dict) -> str:
    """A printable page of the report (every text escaped; styles in /static/bulletin.css)."""
    summary = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in _summary_rows(data))
    demands = [[d["theme"], "、".join(d["keywords"]), d["count"]] for d in data["common_demands"]]
    title = escape(data["title"])
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/bulletin.css">
</head>
<body>
<main class="bulletin">
<h1>{title}</h1>
<p class="meta">统计范围：{escape(data['date_from'])} 至 {escape(data['date_to'])} 受理的诉求（北京时间），截至 {escape(data['as_of'])}。</p>
<h2>一、总体情况</h2>
<table class="summary"><tbody>{summary}</tbody></table>
<h2>二、超期情况（按办理部门）</h2>
{_table(UNIT_HEADERS, _unit_rows(data), "本期没有超期的诉求。")}
<h2>三、共性诉求</h2>
{_table(DEMAND_HEADERS, demands, "本期没有反复出现的诉求主题。")}
<p class="note">说明：按期率 = 按期件数 ÷（按期件数 + 超期件数），超期件数含逾期完成与截至统计日仍超期未完成的；未设时限的诉求（当场答复、长期跟踪、行政复议）不计入。</p>
</main>
</body>
</html>
"""
