"""Policy eligibility rule by rule, on both sides of each threshold in facts.md (≤ is inclusive)."""
from datetime import date

import pytest
from rulekit import TODAY, enterprise, last_quarters, month, outcome, vat, yuan


def reasons(result) -> str:
    return " | ".join(result.reasons)


# --- 小规模纳税人免征增值税 (财政部 税务总局公告2023年第19号: 季度≤30万 / 月≤10万, 含本数) ---

@pytest.mark.parametrize("peak, matched", [(300_000, True), (300_100, False)])
def test_vat_exemption_quarterly_threshold_is_inclusive(peak, matched):
    facts = enterprise(filings=last_quarters([120_000, 250_000, peak, 90_000]))
    result = outcome("vat-small-scale-exemption", facts)
    assert result.matched is matched
    if matched:
        assert "2025年第2季度销售额 30万元 ≤ 30万元" in reasons(result)
    else:
        assert "30.01万元 > 30万元" in reasons(result)
    assert result.key == "vat-small-scale-exemption:2025Q4"


@pytest.mark.parametrize("peak, matched", [(100_000, True), (100_001, False)])
def test_vat_exemption_monthly_threshold(peak, matched):
    months = [month(2025, m) for m in range(1, 11)]
    filings = tuple(vat(p, declared=peak if i == 4 else 60_000) for i, p in enumerate(months))
    result = outcome("vat-small-scale-exemption", enterprise(filings=filings))
    assert result.matched is matched
    expected = "2025年5月销售额 10万元 ≤ 10万元" if matched else "2025年5月销售额 10.0001万元 > 10万元"
    assert expected in reasons(result)


def test_vat_exemption_looks_only_at_the_last_four_complete_quarters():
    # 2024Q3 (before the window) and 2025Q4 (not over yet) do not count.
    filings = (*last_quarters(200_000), vat(((date(2024, 7, 1)), date(2024, 9, 30)), declared=900_000))
    assert outcome("vat-small-scale-exemption", enterprise(filings=filings)).matched


def test_vat_exemption_not_for_general_taxpayers():
    result = outcome("vat-small-scale-exemption", enterprise(taxpayer_type="general", filings=last_quarters(100_000)))
    assert not result.matched
    assert "一般纳税人" in result.reasons[0]


def test_vat_exemption_without_vat_data_does_not_match_and_says_so():
    result = outcome("vat-small-scale-exemption", enterprise())
    assert not result.matched
    assert "没有按季申报的增值税数据" in reasons(result)


def test_vat_exemption_already_claimed_is_not_reminded():
    facts = enterprise(filings=last_quarters(100_000), claimed=frozenset({"vat-small-scale-exemption"}))
    result = outcome("vat-small-scale-exemption", facts)
    assert not result.matched
    assert "已在享受" in result.reasons[-1]


def test_vat_exemption_outside_its_period_never_matches():
    facts = enterprise(filings=last_quarters(100_000))
    late = outcome("vat-small-scale-exemption", facts, date(2028, 1, 1))
    assert not late.matched and "2027年12月31日" in late.reasons[0] and "已过期" in late.reasons[0]
    early = outcome("vat-small-scale-exemption", facts, date(2022, 12, 31))
    assert not early.matched and "2023年1月1日起" in early.reasons[0]


# --- 3%减按1% ---

@pytest.mark.parametrize("peak, matched", [(300_000, False), (300_100, True)])
def test_one_percent_rate_for_sales_above_the_exemption(peak, matched):
    result = outcome("vat-small-scale-1pct", enterprise(filings=last_quarters([100_000, peak, 0, 0])))
    assert result.matched is matched


def test_one_percent_rate_not_for_general_taxpayers():
    facts = enterprise(taxpayer_type="general", filings=last_quarters(900_000))
    assert not outcome("vat-small-scale-1pct", facts).matched


# --- 小型微利企业 (2023年第12号: 所得≤300万, 人数≤300, 资产≤5000万, 非限制禁止行业) ---

@pytest.mark.parametrize("field, ok, too_much, text", [
    ("taxable_income", 3_000_000, 3_000_001, "年应纳税所得额 300.0001万元 > 300万元"),
    ("employees", 300, 301, "从业人数 301人 > 300人"),
    ("total_assets", 50_000_000, 50_000_100, "资产总额 5000.01万元 > 5000万元"),
])
def test_small_low_profit_thresholds(field, ok, too_much, text):
    value = (lambda v: v) if field == "employees" else yuan
    qualifying = outcome("cit-small-low-profit", enterprise(**{field: value(ok)}))
    assert qualifying.matched, qualifying.reasons
    over = outcome("cit-small-low-profit", enterprise(**{field: value(too_much)}))
    assert not over.matched
    assert text in over.reasons


def test_small_low_profit_reasons_name_the_numbers():
    result = outcome("cit-small-low-profit", enterprise(taxable_income=yuan(1_200_000)))
    assert "年应纳税所得额 120万元 ≤ 300万元" in result.reasons
    assert "从业人数 12人 ≤ 300人" in result.reasons
    assert "资产总额 500万元 ≤ 5000万元" in result.reasons
    assert "不属于国家限制或禁止行业" in result.reasons


def test_small_low_profit_not_for_restricted_industries_or_individuals():
    reasons = outcome("cit-small-low-profit", enterprise(restricted_industry=True)).reasons
    assert "属于国家限制或禁止行业，不能享受" in reasons
    assert not outcome("cit-small-low-profit", enterprise(kind="individual")).matched


def test_a_loss_making_enterprise_is_still_small_low_profit():
    # Matters for 六税两费, which a loss-making small general taxpayer also enjoys.
    facts = enterprise(taxpayer_type="general", taxable_income=yuan(-200_000))
    assert outcome("cit-small-low-profit", facts).matched
    assert outcome("six-taxes-two-fees", facts).matched


def test_small_low_profit_claimed():
    assert not outcome("cit-small-low-profit", enterprise(claimed=frozenset({"cit-small-low-profit"}))).matched


# --- 六税两费 ---

def test_six_taxes_two_fees_for_small_scale_taxpayers():
    result = outcome("six-taxes-two-fees", enterprise(employees=500))
    assert result.matched and result.reasons == ("适用对象：增值税小规模纳税人",)


def test_six_taxes_two_fees_for_general_taxpayers_that_are_small_low_profit():
    result = outcome("six-taxes-two-fees", enterprise(taxpayer_type="general"))
    assert result.matched and "符合小型微利企业条件" in result.reasons[0]


def test_six_taxes_two_fees_for_individual_businesses():
    result = outcome("six-taxes-two-fees", enterprise(taxpayer_type="general", kind="individual"))
    assert result.matched and "个体工商户" in result.reasons[0]


def test_six_taxes_two_fees_not_for_a_large_general_taxpayer():
    result = outcome("six-taxes-two-fees", enterprise(taxpayer_type="general", employees=301))
    assert not result.matched
    assert "不是小型微利企业（从业人数 301人 > 300人）" in result.reasons[0]


# --- 个体工商户减半 (年应纳税所得额不超过200万元的部分) ---

def test_individual_business_halving():
    result = outcome("iit-individual-business-halving", enterprise(kind="individual", taxable_income=yuan(2_500_000)))
    assert result.matched  # above 200万 the first 200万 is still halved
    assert "年应纳税所得额 250万元，其中不超过200万元的部分减半" in result.reasons
    assert not outcome("iit-individual-business-halving", enterprise()).matched
    assert not outcome("iit-individual-business-halving", enterprise(kind="individual", taxable_income=yuan(0))).matched


# --- 研发费用加计扣除 ---

@pytest.mark.parametrize("code, matched", [("I65", True), ("C39", True), ("F51", False), ("H62", False),
                                           ("K70", False), ("L72", False), ("C16", False), ("R90", False)])
def test_rd_super_deduction_industries(code, matched):
    result = outcome("rd-super-deduction", enterprise(rd_expense=yuan(150_000), industry_code=code))
    assert result.matched is matched
    assert "上年度研发费用 15万元" in result.reasons


def test_rd_super_deduction_needs_rd_expense_and_a_company():
    assert not outcome("rd-super-deduction", enterprise()).matched
    assert not outcome("rd-super-deduction", enterprise(kind="individual", rd_expense=yuan(1))).matched


# --- 重点群体 / 银税互动 ---

def test_employment_incentive():
    assert outcome("employment-incentive", enterprise(new_hires_key_groups=1)).reasons == ("今年招用重点群体 1人",)
    assert not outcome("employment-incentive", enterprise()).matched


@pytest.mark.parametrize("level, matched",
                         [("A", True), ("B", True), ("M", True), ("C", False), ("D", False), (None, False)])
def test_bank_tax_loan_levels(level, matched):
    result = outcome("bank-tax-loan", enterprise(credit_level=level))
    assert result.matched is matched
    if level is None:
        assert result.reasons == ("暂无纳税信用评价结果",)


def test_policy_keys_are_per_year_unless_the_rule_says_otherwise():
    assert outcome("cit-small-low-profit", enterprise()).key == "cit-small-low-profit:2025"
    result = outcome("vat-small-scale-1pct", enterprise(filings=last_quarters(400_000)), TODAY)
    assert result.key == "vat-small-scale-1pct:2025Q4"
