"""Risk indicators: each fires just past its threshold and stays quiet just before it."""
from datetime import date, timedelta

import pytest
from rulekit import TODAY, enterprise, filing, last_quarters, outcome, quarter, vat

# --- 开票金额大于申报销售额 (容差: 开票额的2%且不少于5000元) ---

@pytest.mark.parametrize("invoice, declared, matched", [
    (1_000_000, 980_000, False),   # gap 2万 = 2% of the invoiced: within tolerance
    (1_000_000, 979_000, True),    # gap 2.1万
    (100_000, 96_000, False),      # gap 4000 < 5000
    (100_000, 94_000, True),       # gap 6000
    (100_000, 150_000, False),     # declared more than invoiced: sales without invoices, normal
])
def test_invoice_mismatch_tolerance(invoice, declared, matched):
    facts = enterprise(filings=(vat(quarter(2025, 2), declared=declared, invoice=invoice),))
    result = outcome("risk-invoice-sales-mismatch", facts)
    assert result.matched is matched
    if matched:
        assert result.key == "risk-invoice-sales-mismatch:2025Q2"
        assert result.values["items"] == ["2025Q2"]
        assert "2025年第2季度开票" in result.reasons[0]


def test_invoice_mismatch_ignores_unfiled_and_old_periods():
    facts = enterprise(filings=(vat(quarter(2025, 3), declared=0, invoice=500_000, filed=False),
                                vat(quarter(2024, 2), declared=0, invoice=500_000)))
    assert not outcome("risk-invoice-sales-mismatch", facts).matched


def test_invoice_mismatch_lists_every_period_in_the_key():
    facts = enterprise(filings=(vat(quarter(2025, 1), declared=10_000, invoice=200_000),
                                vat(quarter(2025, 3), declared=10_000, invoice=200_000)))
    result = outcome("risk-invoice-sales-mismatch", facts)
    assert result.key == "risk-invoice-sales-mismatch:2025Q1,2025Q3"
    assert result.values["gap_wan"] == "38"


# --- 连续零申报但仍在开票 (≥3期) ---

def zero_run(count: int, invoice=20_000):
    periods = [quarter(2024, 4), quarter(2025, 1), quarter(2025, 2), quarter(2025, 3)][-count:]
    return tuple(vat(p, declared=0, invoice=invoice, zero=True) for p in periods)


def test_zero_filing_streak_two_periods_is_not_yet_a_risk():
    assert not outcome("risk-zero-filing-with-invoices", enterprise(filings=zero_run(2))).matched


def test_zero_filing_streak_three_periods_with_invoices():
    result = outcome("risk-zero-filing-with-invoices", enterprise(filings=zero_run(3)))
    assert result.matched
    assert result.reasons == ("2025年第1季度至2025年第3季度连续 3 期零申报 ≥ 3期，同期开票 6万元",)
    assert result.key == "risk-zero-filing-with-invoices:2025Q1,2025Q2,2025Q3"


def test_zero_filing_without_invoices_is_not_this_risk():
    assert not outcome("risk-zero-filing-with-invoices", enterprise(filings=zero_run(4, invoice=0))).matched


def test_zero_filing_streak_broken_by_a_real_return():
    filings = (vat(quarter(2024, 4), declared=0, invoice=1, zero=True),
               vat(quarter(2025, 1), declared=50_000, invoice=50_000),
               vat(quarter(2025, 2), declared=0, invoice=1, zero=True),
               vat(quarter(2025, 3), declared=0, invoice=1, zero=True))
    assert not outcome("risk-zero-filing-with-invoices", enterprise(filings=filings)).matched


# --- 税负率明显低于同行业 (批发业 F 的参考值 1%, 低于一半即提醒) ---

@pytest.mark.parametrize("tax_per_quarter, matched", [(4_000, True), (5_000, False)])
def test_tax_burden_against_the_industry_reference(tax_per_quarter, matched):
    facts = enterprise(taxpayer_type="general", industry_code="F51",
                       filings=last_quarters(1_000_000, tax=tax_per_quarter))
    result = outcome("risk-low-tax-burden", facts)
    assert result.matched is matched
    if matched:
        assert "2024年第4季度至2025年第3季度增值税税负率 0.4%，不到行业参考值 1% 的一半" in result.reasons
        assert result.values["burden_pct"] == "0.4%"
        assert result.key == "risk-low-tax-burden:2025Q3"


def test_tax_burden_uses_the_industry_code_before_the_section():
    # C13 has its own reference (1.5%); 1% is above half of it.
    facts = enterprise(taxpayer_type="general", industry_code="C13", filings=last_quarters(1_000_000, tax=10_000))
    assert not outcome("risk-low-tax-burden", facts).matched
    facts = enterprise(taxpayer_type="general", industry_code="C39", filings=last_quarters(1_000_000, tax=10_000))
    assert outcome("risk-low-tax-burden", facts).matched  # C: 2.5%


def test_tax_burden_not_for_small_scale_or_too_few_periods():
    assert not outcome("risk-low-tax-burden", enterprise(filings=last_quarters(1_000_000))).matched
    facts = enterprise(taxpayer_type="general", filings=last_quarters(1_000_000)[1:])
    result = outcome("risk-low-tax-burden", facts)
    assert not result.matched and "数据不足" in result.reasons[-1]


# --- 逾期未申报 ---

@pytest.mark.parametrize("due, matched", [(TODAY, False), (TODAY - timedelta(days=1), True)])
def test_overdue_filing_starts_the_day_after_the_due_date(due, matched):
    facts = enterprise(filings=(filing("vat", quarter(2025, 3), due),))
    result = outcome("risk-overdue-filing", facts)
    assert result.matched is matched
    if matched:
        assert result.reasons == ("有 1 项申报已过期限未申报：增值税（2025年第3季度，期限11月19日）",)
        assert result.key == "risk-overdue-filing:vat:2025Q3"


def test_filed_returns_and_statements_are_not_overdue_returns():
    facts = enterprise(filings=(filing("vat", quarter(2025, 3), date(2025, 10, 15), filed=date(2025, 10, 20)),
                                filing("financial_statements", quarter(2025, 3), date(2025, 10, 15))))
    assert not outcome("risk-overdue-filing", facts).matched


# --- 财务报表未报送 ---

def year(y):
    return date(y, 1, 1), date(y, 12, 31)


def test_unreported_financial_statements_of_last_year():
    statements = filing("financial_statements", year(2024), date(2025, 5, 31))
    result = outcome("risk-unreported-statements", enterprise(filings=(statements,)))
    assert result.matched
    assert result.key == "risk-unreported-statements:financial_statements:2024"
    assert "财务会计报表（2024年度，期限5月31日）" in result.reasons[0]


def test_statements_filed_or_older_than_last_year_are_not_reminded():
    filed = filing("financial_statements", year(2024), date(2025, 5, 31), filed=date(2025, 5, 20))
    old = filing("financial_statements", year(2022), date(2023, 5, 31))
    assert not outcome("risk-unreported-statements", enterprise(filings=(filed, old))).matched


# --- 税务系统推送的疑点 ---

def test_tax_system_findings_pass_through():
    facts = enterprise(risk_findings=(("进项发票异常", "2025Q2"), ("进项发票异常", "2025Q2"),
                                      ("申报比对不符", "2025Q3")))
    result = outcome("risk-tax-system-findings", facts)
    assert result.matched
    assert result.values["findings_text"] == "进项发票异常（2025Q2）、申报比对不符（2025Q3）"
    assert result.key == "risk-tax-system-findings:进项发票异常:2025Q2,申报比对不符:2025Q3"
    assert not outcome("risk-tax-system-findings", enterprise()).matched
