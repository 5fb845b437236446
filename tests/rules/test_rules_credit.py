"""Credit repair reminders: repairable vs not, corrected vs not, level A vs B and below, the windows."""
from datetime import date

import pytest
from rulekit import TODAY, deduction, enterprise, outcome


def test_uncorrected_repairable_deduction_is_reminded_with_the_best_window():
    result = outcome("credit-correct-deductions", enterprise(deductions=(deduction(),)))
    assert result.matched
    assert result.values["deduction_ids"] == [7]
    assert result.values["best_deadline"] == "2025-12-10"  # 30 days after 2025-11-10
    assert result.key == "credit-correct-deductions:7"
    assert result.reasons[1] == "有 1 项可修复的扣分尚未纠正：未按规定期限纳税申报（2025-11-10，扣5分）"


@pytest.mark.parametrize("level, matched",
                         [("A", False), ("B", True), ("M", True), ("C", True), ("D", True), (None, False)])
def test_only_level_b_and_below_are_reminded(level, matched):
    result = outcome("credit-correct-deductions", enterprise(credit_level=level, deductions=(deduction(),)))
    assert result.matched is matched
    if level == "A":
        assert result.reasons[0] == "纳税信用 A级，不在提醒范围（B级及以下）"


def test_unrepairable_or_old_deductions_are_not_reminded():
    assert not outcome("credit-correct-deductions", enterprise(deductions=(deduction(repairable=False),))).matched
    facts = enterprise(deductions=(deduction(occurred=date(2023, 12, 1)),))
    assert not outcome("credit-correct-deductions", facts).matched


def test_corrected_before_the_annual_evaluation_repairs_itself():
    facts = enterprise(deductions=(deduction(occurred=date(2025, 3, 1), corrected=date(2025, 3, 20)),))
    assert not outcome("credit-correct-deductions", facts).matched
    result = outcome("credit-repair-application", facts)
    assert not result.matched
    assert "年度评价前纠正的由系统自动修复" in result.reasons[-1]


def test_corrected_after_the_evaluation_needs_an_application_before_the_next_annual_evaluation():
    # 2025年第12号: repair is applied for before the next annual evaluation. A 2024 deduction was counted by the
    # evaluation of April 2025; corrected after it, the application is open until the evaluation of April 2026.
    facts = enterprise(deductions=(deduction(id=9, occurred=date(2024, 6, 1), corrected=date(2025, 5, 10)),))
    result = outcome("credit-repair-application", facts)
    assert result.matched
    assert result.values["apply_deadline"] == "2026-03-31"
    assert result.key == "credit-repair-application:9"
    assert "下一次年度评价前（2026-03-31前）" in result.reasons[-1]
    assert outcome("credit-repair-application", facts, date(2026, 3, 31)).matched  # last day: still open
    assert not outcome("credit-repair-application", facts, date(2026, 4, 1)).matched  # the next evaluation
    assert outcome("credit-repair-application", facts, date(2025, 12, 31)).matched  # old "次年年底前" is not the limit
    assert not outcome("credit-repair-application", enterprise(credit_level="A", deductions=facts.deductions)).matched


def test_corrected_on_the_evaluation_day_needs_an_application_the_day_before_does_not():
    before = enterprise(deductions=(deduction(occurred=date(2024, 6, 1), corrected=date(2025, 3, 31)),))
    on = enterprise(deductions=(deduction(occurred=date(2024, 6, 1), corrected=date(2025, 4, 1)),))
    assert not outcome("credit-repair-application", before).matched
    assert outcome("credit-repair-application", on).matched


def test_repair_deadline_is_the_day_before_the_next_annual_evaluation():
    from knowledge.rules.derived import repair_deadline

    assert repair_deadline(date(2024, 1, 1)) == date(2026, 3, 31)
    assert repair_deadline(date(2024, 12, 31)) == date(2026, 3, 31)
    assert repair_deadline(date(2025, 1, 1)) == date(2027, 3, 31)


def test_credit_rules_cite_the_2025_regime_and_no_repealed_document():
    from knowledge.rules.engine import get_rules

    repealed = ("2014年第40号", "2018年第8号", "2019年第37号", "2021年第31号")
    for rule in get_rules().values():
        cited = [s.doc_no or "" for s in rule.sources]
        assert not [d for d in cited if any(r in d for r in repealed)], rule.id
        if rule.type == "credit":
            assert "国家税务总局公告2025年第12号" in cited, rule.id


@pytest.mark.parametrize("code", ["direct_d_unfiled", "direct_d_unpaid"])  # direct_d_unfiled: api/enterprise demo data
def test_direct_d_is_repaired_on_application_not_by_correcting_alone(code):
    uncorrected = enterprise(credit_level="D", deductions=(deduction(code=code),))
    assert not outcome("credit-correct-deductions", uncorrected).matched
    corrected = enterprise(credit_level="D", deductions=(deduction(code=code, corrected=date(2025, 11, 15)),))
    assert outcome("credit-repair-application", corrected).matched


def test_several_deductions_in_one_reminder():
    facts = enterprise(deductions=(deduction(id=3, occurred=date(2025, 2, 1)), deduction(id=8),
                                   deduction(id=5, repairable=False)))
    result = outcome("credit-correct-deductions", facts)
    assert result.values["deduction_ids"] == [3, 8]
    assert result.values["points"] == 10
    assert result.key == "credit-correct-deductions:3,8"
    assert TODAY.isoformat() == result.values["today"]
