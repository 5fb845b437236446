"""The periodic report (通报): Shanghai weeks and months, the figures of the period's petitions,
overdue by unit, satisfaction, visits and extensions; as XLSX and as an escaped printable page."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from api.petition import extensions, service
from api.petition.bulletin import bulletin, last_period_day, period_of, render_html, write_xlsx
from tests.petition.conftest import sh

D = date.fromisoformat


def test_periods_are_calendar_weeks_and_months():
    assert period_of("week", D("2025-10-15")) == (D("2025-10-13"), D("2025-10-19"))
    assert period_of("week", D("2025-10-19")) == (D("2025-10-13"), D("2025-10-19"))
    assert period_of("month", D("2024-02-10")) == (D("2024-02-01"), D("2024-02-29"))
    assert period_of("week", last_period_day("week", D("2025-10-15"))) == (D("2025-10-06"), D("2025-10-12"))
    assert period_of("month", last_period_day("month", D("2025-01-05"))) == (D("2024-12-01"), D("2024-12-31"))


def _week(session, org, new_petition):
    s = session
    waiting = new_petition("2025-10-13 09:00")  # never handed over: due 10-14, overdue on 10-20
    done = new_petition("2025-10-14 10:00", category="纳税服务类")
    service.hand_over(done, session=s, actor=org.registrar, service_unit_id=org.service_dept.id, now=sh("2025-10-14 11:00"))
    service.assign(done, session=s, actor=org.service_clerk, unit_ids=[org.collection.id], now=sh("2025-10-14 12:00"))
    service.start(done, session=s, actor=org.handler, now=sh("2025-10-14 13:00"))
    service.resolve(done, session=s, actor=org.handler, resolution="已办结", now=sh("2025-10-15 10:00"))
    service.feed_back(done, session=s, actor=org.handler, now=sh("2025-10-15 11:00"))
    service.return_visit(done, session=s, actor=org.registrar, satisfaction=3, now=sh("2025-10-16 09:00"))
    done.enterprise_rating = 4  # the enterprise's own rating, from the widget
    extended = new_petition("2025-10-15 09:00")
    service.hand_over(extended, session=s, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-10-15 10:00"))
    service.assign(extended, session=s, actor=org.service_clerk, unit_ids=[org.collection.id], now=sh("2025-10-15 11:00"))
    service.start(extended, session=s, actor=org.handler, now=sh("2025-10-15 12:00"))
    ask = extensions.request_extension(extended, session=s, actor=org.handler, days=2, reason="需核实",
                                       now=sh("2025-10-16 09:00"))
    extensions.approve_extension(ask, session=s, actor=org.supervisor, now=sh("2025-10-16 10:00"))
    new_petition("2025-10-20 09:00")  # the next week
    s.flush()
    return waiting, done, extended


def test_the_weekly_report_counts_the_weeks_petitions(session, org, new_petition):
    _week(session, org, new_petition)
    data = bulletin(session, "week", D("2025-10-15"), today=D("2025-10-20"))
    assert data["title"] == "2025年第42周（10月13日—10月19日）诉求办理情况通报"
    assert (data["date_from"], data["date_to"], data["received"], data["handled"], data["fed_back"]) == (
        "2025-10-13", "2025-10-19", 3, 1, 1)
    assert data["on_time"]["handover"] == {"met": 2, "missed": 1, "overdue": 1, "rate": 0.6667}
    assert data["on_time"]["handling"]["met"] == 1 and data["on_time"]["feedback"]["rate"] == 1.0
    assert [(u["unit"], u["missed"]["handover"], u["overdue"]["handover"]) for u in data["overdue_by_unit"]] == [
        ("未转办理部门", 1, 1)]
    assert data["satisfaction"] == {"rated": 1, "average": 3.0, "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 0}}
    assert (data["visited"], data["awaiting_visit"]) == (1, 0)
    assert data["extensions"] == {"requested": 1, "approved": 1, "rejected": 0, "pending": 0, "approved_days": 2,
                                  "avg_extra_days": 2.0}
    assert data["enterprise_rating"] == {"rated": 1, "average": 4.0,
                                         "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
    assert data["visits"] == {"due": 1, "done": 1, "overdue": 0}
    assert data["tasks"] == {"total": 0, "completed": 0, "late": 0, "overdue": 0}
    assert all(set(d) == {"theme", "keywords", "count"} for d in data["common_demands"])  # no example texts
    month = bulletin(session, "month", D("2025-10-01"), today=D("2025-10-31"))
    assert month["title"] == "2025年10月诉求办理情况通报" and month["received"] == 4


def test_the_report_as_a_workbook_and_as_a_printable_page(session, org, new_petition):
    _week(session, org, new_petition)
    data = bulletin(session, "week", D("2025-10-15"), today=D("2025-10-20"))
    out = io.BytesIO()
    write_xlsx(out, data)
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert book.sheetnames == ["概况", "超期情况", "共性诉求"]
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(values_only=True)}
    assert summary["受理量"] == 3 and summary["转交按期率"].startswith("66.7%") and summary["回访平均满意度"] == 3
    assert (summary["企业自评平均分"], summary["应回访"], summary["平均每次延长工作日"], summary["协办仍超期"]) == (4, 1, 2, 0)
    assert list(book["超期情况"].iter_rows(values_only=True))[1][:3] == ("未转办理部门", 1, 1)

    data["overdue_by_unit"][0]["unit"] = '<script>alert("x")</script>'
    page = render_html(data)
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<link rel="stylesheet" href="/static/bulletin.css">' in page and "style=" not in page
    assert "转交按期率" in page and "66.7%" in page
    assert "企业自评平均分" in page and "回访超期" in page and "平均每次延长工作日" in page
