"""The enterprise's own credit and its text, the staff profile with each field's source, the seat picture."""
from datetime import date

import pytest

from api.core.errors import Invalid, NotFound
from api.enterprise import service
from tests.enterprise.conftest import TODAY, add_credit, add_enterprise, add_filing, new_uscc

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")


def test_own_credit_gives_the_latest_year_with_every_deduction_and_says_which_can_be_repaired(session):
    e = add_enterprise(session)
    add_credit(session, e, 2024, "C", 60)
    add_credit(session, e, 2025, "B", 87, [
        ("overdue_filing", "未按规定期限填报纳税申报表", 5, date(2025, 10, 24), None, True),
        ("invoice_violation", "未按规定开具、取得发票", 3, date(2025, 5, 12), date(2025, 5, 20), False)])
    credit = service.own_credit(e.uscc, session=session)
    assert (credit["level"], credit["year"], credit["score"]) == ("B", 2025, 87)
    assert [(d["reason"], d["points"], d["date"], d["repairable"], d["corrected"]) for d in credit["deductions"]] == [
        ("未按规定开具、取得发票", 3, date(2025, 5, 12), False, True),
        ("未按规定期限填报纳税申报表", 5, date(2025, 10, 24), True, False)]
    text = credit["text"]
    assert text.startswith("贵企业2025年度纳税信用等级为B级（87分）。扣分记录：")
    assert "未按规定期限填报纳税申报表（2025-10-24，扣5分，尚未纠正）" in text
    assert "其中可修复的1项：未按规定期限填报纳税申报表" in text and "申请纳税信用修复" in text


def test_own_credit_without_deductions_or_score(session):
    e = add_enterprise(session)
    add_credit(session, e, 2025, "A", 96)
    assert service.own_credit(e.uscc, session=session)["text"] == "贵企业2025年度纳税信用等级为A级（96分）。无扣分记录。"
    d = add_enterprise(session)
    add_credit(session, d, 2025, "D", None, [("direct_d_unfiled", "经责令限期改正仍未申报（直接判为D级）", 0,
                                               date(2025, 6, 2), date(2025, 7, 1), True)])
    text = service.own_credit(d.uscc, session=session)["text"]
    assert text.startswith("贵企业2025年度纳税信用等级为D级。") and "均已纠正，可向主管税务机关申请纳税信用修复" in text


def test_no_credit_record_or_unknown_enterprise_is_404_in_chinese(session):
    e = add_enterprise(session)
    for uscc in (e.uscc, new_uscc()):
        with pytest.raises(NotFound, match="暂未查询到贵企业的纳税信用记录"):
            service.own_credit(uscc, session=session)


def test_get_by_uscc_normalises_and_refuses_bad_codes(session):
    e = add_enterprise(session)
    assert service.get_by_uscc(" " + e.uscc.lower() + " ", session=session).id == e.id
    with pytest.raises(NotFound, match="未找到统一社会信用代码为"):
        service.get_by_uscc(new_uscc(), session=session)
    with pytest.raises(Invalid, match="校验位"):
        service.get_by_uscc(e.uscc[:-1] + ("0" if e.uscc[-1] != "0" else "1"), session=session)


def test_profile_shows_sources_credit_and_filing_states(session):
    e = add_enterprise(session)
    add_filing(session, e, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 15), date(2026, 7, 10))
    add_filing(session, e, date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 20), date(2026, 5, 2))
    add_filing(session, e, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 22), None, declared=None, paid=None)
    add_filing(session, e, date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 30), None, declared=None, paid=None,
               tax_type="cit")
    add_credit(session, e, 2025, "B", 85)
    p = service.profile(e.uscc, session=session, today=TODAY)
    assert p["sources"]["name"]["source_label"] == "市场监管"
    assert p["sources"]["employees"]["source_label"] == "社保"
    assert p["credit"]["level"] == "B" and p["taxpayer_type_label"] == "小规模纳税人"
    f = p["filings"]
    assert (f["total"], f["filed_on_time"], f["filed_late"], f["overdue_unfiled"], f["pending"]) == (4, 1, 1, 1, 1)
    assert f["recent"][0]["period_start"] == date(2026, 10, 1)


def test_picture_sections_are_none_for_an_unknown_enterprise(session):
    e = add_enterprise(session)
    add_credit(session, e, 2025, "M", 80)
    assert service.picture_profile(new_uscc(), session) is None and service.picture_credit(new_uscc(), session) is None
    assert service.picture_profile(e.uscc, session)["sources"]["name"]["label"] == "市场监管"
    assert service.picture_credit(e.uscc, session)["level"] == "M"
