"""Ledger export: CSV (UTF-8 with BOM) and XLSX with the Chinese headers, the filtered rows in
receipt order, read in chunks; and the list query that shares the filters."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from api.petition import service
from api.petition.export import HEADERS, content_disposition, filename, iter_csv, iter_xlsx, write_csv, write_xlsx
from api.petition.queries import PetitionFilters, list_petitions
from tests.petition.conftest import sh

D = date.fromisoformat
TODAY = D("2025-10-20")


@pytest.fixture
def ledger(session, org, new_petition):
    """Four petitions; the second is answered on the spot (rated 5), the third has awkward text."""
    first = new_petition("2025-09-30 09:00", taxpayer_name="成都甲商贸有限公司", category="信息化建设类")
    spot = new_petition("2025-09-30 10:30", taxpayer_name="成都乙餐饮店", category="纳税服务类", channel="12366热线",
                        answered_on_the_spot=True, answer="已当场答复")
    spot.satisfaction = 5  # as a return visit would record it
    awkward = new_petition("2025-10-09 08:00", taxpayer_name="丙公司", category="信息化建设类",
                           content='=HYPERLINK("x")，发票"开具"失败,\n第二行说明', uscc=None)
    assigned = new_petition("2025-10-10 14:00", taxpayer_name="丁科技有限公司", category="信息化建设类")
    service.hand_over(assigned, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-10-10 15:00"))
    service.assign(assigned, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                   now=sh("2025-10-10 16:00"))
    return [first, spot, awkward, assigned]


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_parses_back_with_the_headers_and_the_rows(session, org, ledger):
    out = io.BytesIO()
    assert write_csv(out, session, today=TODAY) == 4
    rows = parse_csv(out.getvalue())
    assert tuple(rows[0]) == HEADERS and len(HEADERS) == 30
    assert [r[0] for r in rows[1:]] == [p.ticket for p in ledger]  # receipt order
    first, spot, awkward, assigned = (dict(zip(HEADERS, r)) for r in rows[1:])  # noqa: B905
    assert first["纳税人名称"] == "成都甲商贸有限公司" and first["统一社会信用代码"] == ledger[0].uscc
    assert first["联系电话"] == "13800138000" and first["受理时间"] == "2025-09-30 09:00"
    assert first["受理单位"] == org.service_dept.name and first["状态"] == "已受理登记"
    assert (spot["状态"], spot["满意度"], spot["办结时间"], spot["反馈时间"]) == ("已关闭", "5", "2025-09-30 10:30",
                                                                               "2025-09-30 10:30")
    assert (spot["类别"], spot["渠道"], spot["办理期限"]) == ("纳税服务类", "12366热线", "")
    assert awkward["诉求内容"] == '\'=HYPERLINK("x")，发票"开具"失败,\n第二行说明'  # not a formula
    assert awkward["统一社会信用代码"] == "" and assigned["办理期限"] == "2025-10-16"


def test_csv_is_produced_in_chunks_with_one_bom(session, ledger):
    pieces = list(iter_csv(session, today=TODAY, chunk=2))
    assert len(pieces) == 3 and sum(p.startswith(b"\xef\xbb\xbf") for p in pieces) == 1
    assert [r[0] for r in parse_csv(b"".join(pieces))[1:]] == [p.ticket for p in ledger]


def test_export_applies_the_filters(session, ledger):
    only_it = PetitionFilters(category="信息化建设类", received_from=D("2025-10-01"))
    rows = parse_csv(b"".join(iter_csv(session, only_it, today=TODAY)))
    assert [r[0] for r in rows[1:]] == [ledger[2].ticket, ledger[3].ticket]
    overdue = PetitionFilters(overdue=True)  # on 10-20 all three open ones: two handovers, one handling (due 10-16)
    rows = parse_csv(b"".join(iter_csv(session, overdue, today=TODAY)))
    assert [r[0] for r in rows[1:]] == [ledger[0].ticket, ledger[2].ticket, ledger[3].ticket]
    empty = parse_csv(b"".join(iter_csv(session, PetitionFilters(q="不存在的诉求"), today=TODAY)))
    assert empty == [list(HEADERS)]


def test_xlsx_opens_with_openpyxl_and_has_the_rows(session, ledger):
    out = io.BytesIO()
    assert write_xlsx(out, session, today=TODAY, chunk=3) == 4
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True)["诉求台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == [p.ticket for p in ledger]
    first = dict(zip(HEADERS, rows[1]))  # noqa: B905
    assert first["受理时间"] == datetime(2025, 9, 30, 9, 0) and first["联系电话"] == "13800138000"  # noqa: DTZ001
    awkward = dict(zip(HEADERS, rows[3]))  # noqa: B905
    assert awkward["诉求内容"].startswith('=HYPERLINK') and awkward["统一社会信用代码"] is None
    assert dict(zip(HEADERS, rows[2]))["满意度"] == 5  # noqa: B905
    assert dict(zip(HEADERS, rows[4]))["办理期限"] == datetime(2025, 10, 16)  # noqa: B905, DTZ001


def test_xlsx_formula_like_text_stays_text(session, ledger):
    data = b"".join(iter_xlsx(session, PetitionFilters(q="HYPERLINK"), today=TODAY, piece=1024))
    sheet = load_workbook(io.BytesIO(data))["诉求台账"]
    cell = sheet.cell(row=2, column=5)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_list_query_pages_and_counts_with_the_same_filters(session, ledger):
    items, total = list_petitions(PetitionFilters(status=["registered", "assigned"], category="信息化建设类",
                                                  overdue=True, q="公司"), session=session, today=TODAY, size=1)
    assert total == 3 and [p.id for p in items] == [ledger[3].id]  # newest first
    items, total = list_petitions(PetitionFilters(q=ledger[1].ticket.lower()), session=session, today=TODAY)
    assert (total, items) == (1, [ledger[1]])


def test_download_names_carry_the_date():
    name = filename("xlsx", D("2025-10-20"))
    assert name == "诉求台账_20251020.xlsx"
    assert content_disposition(name).startswith('attachment; filename="petitions.xlsx"; filename*=UTF-8\'\'%E8%AF%89')


def test_export_stops_at_the_limit(session, ledger):
    out = io.BytesIO()
    assert write_csv(out, session, today=TODAY, limit=3, chunk=2) == 3
    assert [r[0] for r in parse_csv(out.getvalue())[1:]] == [p.ticket for p in ledger[:3]]


def test_text_search_ignores_letter_case_and_treats_wildcards_literally(session, new_petition):
    latin = new_petition("2025-10-11 09:00", taxpayer_name="ABC科技有限公司", content="发票额度不足")
    percent = new_petition("2025-10-11 10:00", content="税负率100%是否正常")
    search = lambda q: [p.id for p in list_petitions(PetitionFilters(q=q), session=session, today=TODAY)[0]]  # noqa: E731
    assert search("abc科技") == [latin.id] and search("额度") == [latin.id]
    assert search("100%") == [percent.id] and search("%") == [percent.id] and search("_") == []


def test_stream_helpers_use_their_own_session(session, ledger):
    from api.petition.export import stream_csv, stream_xlsx

    connection = session.connection()
    factory = lambda: Session(bind=connection, future=True)  # noqa: E731
    assert len(parse_csv(b"".join(stream_csv(factory, today=TODAY, limit=2)))) == 3
    sheet = load_workbook(io.BytesIO(b"".join(stream_xlsx(factory, today=TODAY))), read_only=True)["诉求台账"]
    assert len(list(sheet.iter_rows(values_only=True))) == 5


def test_export_takes_extra_conditions_such_as_visibility(session, org, ledger):
    from api.petition.models import Petition

    mine = PetitionFilters(extra=(Petition.handling_unit_id == org.collection.id,))
    rows = parse_csv(b"".join(iter_csv(session, mine, today=TODAY)))
    assert [r[0] for r in rows[1:]] == [ledger[3].ticket]


def test_the_ledger_carries_every_registration_and_handling_field(session, org, new_petition):
    """A petition handled jointly, extended once (and refused once), resolved, fed back, visited, closed."""
    from api.petition import extensions

    p = new_petition("2025-09-30 10:00", taxpayer_name="成都全程商贸有限公司")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-10-10 08:00"))  # due 10-09 (the first working day after the holiday): late
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id, org.policy.id],
                   now=sh("2025-10-10 08:30"))
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-10 08:45"))
    ask = extensions.request_extension(p, session=session, actor=org.handler, days=3, reason="需向上级核实政策口径",
                                       now=sh("2025-10-10 09:00"))
    extensions.approve_extension(ask, session=session, actor=org.director, now=sh("2025-10-10 10:00"))
    again = extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="等待系统修复",
                                         now=sh("2025-10-13 09:00"))
    extensions.reject_extension(again, session=session, actor=org.director, note="时间足够", now=sh("2025-10-13 10:00"))
    session.flush()
    running = parse_csv(b"".join(iter_csv(session, PetitionFilters(q=p.ticket), today=TODAY)))[1]
    assert dict(zip(HEADERS, running))["协办意见"] == f"{org.policy.name}：未完成"  # noqa: B905
    service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="政策口径已确认",
                          now=sh("2025-10-14 14:00"))  # joint: the lead resolves once every part is completed
    service.resolve(p, session=session, actor=org.handler, resolution="已协调开通勾选功能", now=sh("2025-10-14 15:00"))
    service.feed_back(p, session=session, actor=org.handler, now=sh("2025-10-14 16:00"))
    service.return_visit(p, session=session, actor=org.registrar, satisfaction=4, note="企业表示勾选已恢复",
                         now=sh("2025-10-15 09:30"))
    p.enterprise_rating = 5  # the enterprise's own rating, given in the widget
    service.close(p, session=session, actor=org.registrar, now=sh("2025-10-15 10:00"))
    session.flush()

    rows = parse_csv(b"".join(iter_csv(session, PetitionFilters(q=p.ticket), today=TODAY)))
    row = dict(zip(HEADERS, rows[1]))  # noqa: B905
    assert (row["受理单位"], row["受理人"], row["状态"]) == (org.service_dept.name, org.registrar.display_name, "已关闭")
    assert (row["主办部门"], row["协办部门"]) == (org.collection.name, org.policy.name)
    assert (row["转交期限"], row["转交情况"]) == (p.handover_due.isoformat(), "超期完成")
    assert (row["办理期限"], row["办理情况"]) == (p.handling_due.isoformat(), "按期")
    assert (row["反馈期限"], row["反馈情况"]) == (p.feedback_due.isoformat(), "按期")
    assert row["办理结果"] == "已协调开通勾选功能" and row["延期天数"] == "3"
    assert row["协办意见"] == f"{org.policy.name}：政策口径已确认"  # each co-department's own part
    assert row["延期申请"] == "3天（已批准）：需向上级核实政策口径\n2天（已驳回）：等待系统修复"
    assert (row["办结时间"], row["反馈时间"], row["回访时间"], row["满意度"], row["关闭时间"]) == (
        "2025-10-14 15:00", "2025-10-14 16:00", "2025-10-15 09:30", "4", "2025-10-15 10:00")
    assert (row["回访情况"], row["企业评价"]) == ("企业表示勾选已恢复", "5")

    sheet = load_workbook(io.BytesIO(b"".join(iter_xlsx(session, PetitionFilters(q=p.ticket), today=TODAY))),
                          read_only=True)["诉求台账"]
    cells = dict(zip(HEADERS, list(sheet.iter_rows(values_only=True))[1]))  # noqa: B905
    assert cells["回访时间"] == datetime(2025, 10, 15, 9, 30) and cells["延期天数"] == 3 and cells["协办部门"] == org.policy.name  # noqa: DTZ001


def test_a_running_clock_shows_overdue_or_on_track(session, org, ledger):
    rows = {r[0]: dict(zip(HEADERS, r)) for r in parse_csv(b"".join(iter_csv(session, today=TODAY)))[1:]}  # noqa: B905
    assert rows[ledger[0].ticket]["转交情况"] == "已超期" and rows[ledger[0].ticket]["办理情况"] == ""
    assert rows[ledger[3].ticket]["转交情况"] == "按期" and rows[ledger[3].ticket]["办理情况"] == "已超期"
    assert rows[ledger[3].ticket]["主办部门"] == org.collection.name and rows[ledger[3].ticket]["协办部门"] == ""
    assert rows[ledger[3].ticket]["协办意见"] == "" and rows[ledger[3].ticket]["回访情况"] == ""
