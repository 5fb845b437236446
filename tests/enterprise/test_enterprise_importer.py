"""The CSV / JSON Lines importer: good rows are upserted, every bad row is reported with its line number and a
Chinese reason and does not stop the file, a re-import updates instead of duplicating."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from api.enterprise.importer import import_file, main
from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling, PolicyClaim, RiskFinding
from tests.enterprise.conftest import add_enterprise, new_uscc

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")

HEADER = ("uscc,name,taxpayer_type,kind,industry_code,industry,region,restricted_industry,employees,total_assets,"
          "annual_sales,taxable_income,rd_expense,new_hires_key_groups,registration_date,source,synced_at\n")


def row(uscc, name="成都测试商贸有限公司", taxpayer="small_scale", kind="company", date_="2019-05-12",
        assets="3000000", employees="12"):
    return (f"{uscc},{name},{taxpayer},{kind},F51,批发业,四川省成都市武侯区,false,{employees},{assets},960000,420000,0,0,"
            f"{date_},,\n")


def bad_check_digit(uscc):
    return uscc[:-1] + ("1" if uscc[-1] != "1" else "2")


def count(session, model):
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_good_rows_are_imported_and_bad_ones_rejected_with_line_and_reason(session, tmp_path):
    good = [new_uscc() for _ in range(3)]
    path = tmp_path / "enterprises.csv"
    path.write_text(HEADER + row(good[0]) + row(bad_check_digit(new_uscc())) + row(new_uscc(), date_="2019/05/12")
                    + row(good[1], name="绵阳兴达物流有限公司") + row(new_uscc(), taxpayer="micro")
                    + row(new_uscc(), assets="-100") + row(good[2], kind="个体工商户"), encoding="utf-8")
    before = count(session, Enterprise)
    report = import_file(session, "enterprises", path)
    assert (report.imported, report.updated) == (3, 0)
    assert [line for line, _ in report.rejected] == [3, 4, 6, 7]
    reasons = dict(report.rejected)
    assert "统一社会信用代码（uscc）" in reasons[3] and "校验位不正确" in reasons[3]
    assert "登记日期（registration_date）" in reasons[4] and "YYYY-MM-DD" in reasons[4]
    assert "纳税人类型（taxpayer_type）" in reasons[6] and "“micro”不是可用的值" in reasons[6]
    assert "资产总额（total_assets）" in reasons[7] and "不能为负数" in reasons[7]
    assert count(session, Enterprise) == before + 3
    stored = session.execute(select(Enterprise).where(Enterprise.uscc == good[2])).scalar_one()
    assert stored.kind == "individual"  # the Chinese label is accepted
    assert stored.sources["name"]["source"] == "market" and stored.sources["employees"]["source"] == "social_security"
    assert stored.total_assets == Decimal("3000000.00") and not stored.demo


def test_reimport_updates_instead_of_duplicating(session, tmp_path):
    uscc = new_uscc()
    path = tmp_path / "e.csv"
    path.write_text(HEADER + row(uscc), encoding="utf-8")
    assert import_file(session, "enterprises", path).imported == 1
    path.write_text(HEADER + row(uscc, employees="15"), encoding="utf-8")
    report = import_file(session, "enterprises", path)
    assert (report.imported, report.updated, report.rejected) == (0, 1, [])
    rows = session.execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalars().all()
    assert len(rows) == 1 and rows[0].employees == 15


def test_a_partial_row_updates_only_its_fields_and_records_their_source(session):
    e = add_enterprise(session, employees=12)
    csv_text = "uscc,employees,new_hires_key_groups,source,synced_at\n" \
               f"{e.uscc},20,2,social_security,2026-11-01T04:00:00+08:00\n"  # noqa: ISC002
    report = import_file(session, "enterprises", io.StringIO(csv_text), fmt="csv")
    assert (report.imported, report.updated) == (0, 1)
    session.refresh(e)
    assert (e.employees, e.new_hires_key_groups, e.name) == (20, 2, "成都测试商贸有限公司")
    assert e.sources["employees"] == {"source": "social_security", "synced_at": "2026-10-31T20:00:00+00:00"}
    assert e.sources["name"]["source"] == "market"  # untouched


def test_a_new_enterprise_needs_its_registration_fields(session):
    report = import_file(session, "enterprises", io.StringIO(f"uscc,employees\n{new_uscc()},3\n"), fmt="csv")
    assert report.imported == 0 and report.rejected[0][0] == 2 and "新企业缺少必填字段" in report.rejected[0][1]


def test_a_header_with_unknown_or_missing_columns_is_refused(session):
    report = import_file(session, "filings", io.StringIO("uscc,tax,period_start\n"), fmt="csv")
    assert report.rejected[0][0] == 1 and "缺少必需的列" in report.rejected[0][1] and "未知的列：tax" in report.rejected[0][1]


FILINGS = ("uscc,tax_type,period_start,period_end,due_date,filed_date,declared_sales,invoice_sales,tax_paid,"
           "zero_filing\n")


def test_filings_of_an_unknown_enterprise_are_rejected_and_the_others_kept(session, tmp_path):
    e = add_enterprise(session)
    stranger = new_uscc()
    path = tmp_path / "filings.csv"
    path.write_text(FILINGS
                    + f"{e.uscc},vat,2026-07-01,2026-09-30,2026-10-22,,,231600,,false\n"
                    + f"{stranger},vat,2026-07-01,2026-09-30,2026-10-22,2026-10-10,1000,1000,10,false\n"
                    + f"{e.uscc},增值税,2026-04-01,2026-06-30,2026-07-15,2026-07-10,250000,240000,0,否\n"
                    + f"{e.uscc},vat,2026-01-01,2026-03-31,2026-04-20,2026-04-10,5,0,0,true\n"
                    + f"{e.uscc},vat,2026-01-01,2026-03-31,2026-02-30,2026-04-10,0,0,0,true\n", encoding="utf-8")
    report = import_file(session, "filings", path)
    assert report.imported == 2
    reasons = dict(report.rejected)
    assert set(reasons) == {3, 5, 6}
    assert f"企业{stranger}不存在" in reasons[3]
    assert "零申报" in reasons[5]
    assert "申报期限（due_date）" in reasons[6]
    filings = session.execute(select(EnterpriseFiling).where(EnterpriseFiling.enterprise_id == e.id)
                              .order_by(EnterpriseFiling.period_start)).scalars().all()
    assert [(f.period_start, f.filed_date, f.declared_sales) for f in filings] == [
        (date(2026, 4, 1), date(2026, 7, 10), Decimal("250000.00")), (date(2026, 7, 1), None, None)]
    # The same return again: updated in place (now filed).
    again = FILINGS + f"{e.uscc},vat,2026-07-01,2026-09-30,2026-10-22,2026-11-20,231600,231600,2316,false\n"
    report = import_file(session, "filings", io.StringIO(again), fmt="csv")
    assert (report.imported, report.updated) == (0, 1)
    assert count(session, EnterpriseFiling) >= 2
    session.refresh(filings[1])
    assert filings[1].filed_date == date(2026, 11, 20)


def jsonl(*records) -> io.StringIO:
    return io.StringIO("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def test_credit_records_and_their_deductions_from_json_lines(session):
    e = add_enterprise(session)
    deduction = {"uscc": e.uscc, "year": 2025, "row_type": "deduction", "reason_code": "overdue_filing",
                 "reason": "未按规定期限填报纳税申报表", "points": 5, "occurred_on": "2025-10-24", "repairable": True}
    stream = jsonl({"uscc": e.uscc, "year": 2025, "row_type": "record", "level": "B", "score": 87},
                   deduction,
                   {**deduction, "year": 2024},  # no 2024 evaluation
                   {**deduction, "points": -3, "reason_code": "x"},
                   {**deduction, "corrected_on": "2025-10-01", "reason_code": "y"},
                   "not an object")
    report = import_file(session, "credit", stream)
    assert (report.imported, report.updated) == (2, 0)
    reasons = dict(report.rejected)
    assert set(reasons) == {3, 4, 5, 6}
    assert "没有2024年度的信用评价记录" in reasons[3]
    assert "扣分分值（points）" in reasons[4]
    assert "纠正日期（corrected_on）早于扣分日期" in reasons[5]
    assert "JSON 对象" in reasons[6]
    record = session.execute(select(CreditRecord).where(CreditRecord.enterprise_id == e.id)).scalar_one()
    assert (record.level, record.score) == ("B", 87)
    [stored] = session.execute(select(CreditDeduction).where(CreditDeduction.credit_record_id == record.id)).scalars()
    first_id = stored.id
    # Re-import: the same deduction is updated (now corrected), its id kept; the record updated too.
    report = import_file(session, "credit", jsonl({"uscc": e.uscc, "year": 2025, "row_type": "record", "level": "A",
                                                   "score": 92},
                                                  {**deduction, "corrected_on": "2025-11-02"}))
    assert (report.imported, report.updated, report.rejected) == (0, 2, [])
    [stored] = session.execute(select(CreditDeduction).where(CreditDeduction.credit_record_id == record.id)).scalars()
    assert stored.id == first_id and stored.corrected_on == date(2025, 11, 2)
    session.refresh(record)
    assert record.level == "A"


def test_a_line_json_cannot_read_is_rejected_with_its_reason(session):
    e = add_enterprise(session)
    record = {"uscc": e.uscc, "year": 2025, "row_type": "record", "level": "B", "score": 87}
    # an integer past Python's 4,300 digits is valid JSON that json.loads refuses with a plain ValueError
    stream = io.StringIO("{bad\n" + '{"score": ' + "9" * 5000 + "}\n" + json.dumps(record) + "\n")
    report = import_file(session, "credit", stream)
    reasons = dict(report.rejected)
    assert report.imported == 1 and set(reasons) == {1, 2}
    assert "不是合法的 JSON" in reasons[1] and "第2列" in reasons[1]
    assert reasons[2] == "不是合法的 JSON：数字过长"


def test_risk_findings_and_policy_claims_from_json_lines(session):
    e = add_enterprise(session)
    findings = jsonl({"uscc": e.uscc, "indicator": "申报收入与开票收入差异较大", "period": "2026Q2",
                      "detail": {"gap": 120000}, "found_at": "2026-11-01"},
                     {"uscc": e.uscc, "indicator": "个人账户收取经营款项", "period": "2026Q5", "source": "bank"})
    report = import_file(session, "risk_findings", findings)
    assert report.imported == 1 and report.rejected[0][0] == 2 and "所属期（period）" in report.rejected[0][1]
    finding = session.execute(select(RiskFinding).where(RiskFinding.enterprise_id == e.id)).scalar_one()
    assert finding.detail == {"gap": 120000} and finding.found_at.isoformat() == "2026-10-31T16:00:00+00:00"
    claims = jsonl({"uscc": e.uscc, "policy": "bank-tax-loan", "period": "2026", "claimed": True, "amount": 300000,
                    "source": "银行"},
                   {"uscc": e.uscc, "policy": "Bank Tax Loan", "period": "2026", "claimed": True},
                   {"uscc": e.uscc, "policy": "cit-small-low-profit", "period": "2025", "claimed": "否"},
                   {"uscc": e.uscc, "policy": "cit-small-low-profit", "period": "2025", "claimed": "maybe"},
                   {"uscc": e.uscc, "policy": "six-taxes-two-fees", "period": "2026Q3", "claimed": True,
                    "unknown": 1})
    report = import_file(session, "policy_claims", claims)
    assert report.imported == 2
    assert [line for line, _ in report.rejected] == [2, 4, 5]
    assert "未知的字段：unknown" in dict(report.rejected)[5]
    stored = {c.policy: c for c in session.execute(
        select(PolicyClaim).where(PolicyClaim.enterprise_id == e.id)).scalars()}
    assert stored["bank-tax-loan"].source == "bank" and stored["bank-tax-loan"].amount == Decimal("300000.00")
    assert stored["cit-small-low-profit"].claimed is False


def test_bytes_streams_with_a_bom_are_read(session):
    uscc = new_uscc()
    stream = io.BytesIO(("\ufeff" + HEADER + row(uscc)).encode("utf-8"))
    report = import_file(session, "enterprises", stream)
    assert report.imported == 1 and report.rejected == []
    assert not stream.closed


def test_the_cli_prints_the_report(tmp_path, monkeypatch, capsys, database_url):
    from api.settings import get_settings

    path = tmp_path / "enterprises.csv"
    path.write_text(HEADER + row(new_uscc()) + row(bad_check_digit(new_uscc())), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        code = main(["--kind", "enterprises", "--dry-run", str(path)])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert code == 1
    assert "新增1条，更新0条，拒绝1条" in out and "第3行：统一社会信用代码（uscc）" in out and "试运行" in out


@pytest.mark.parametrize("kind", ["filings", "credit", "risk_findings", "policy_claims"])
def test_every_kind_reports_an_empty_file_as_nothing_done(session, kind):
    report = import_file(session, kind, io.StringIO(""), fmt="jsonl")
    assert (report.imported, report.updated, report.rejected) == (0, 0, [])
