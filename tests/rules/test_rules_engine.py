"""The engine: loading and its validation errors, evaluate_all, keys, messages and money formatting."""
import json
from copy import deepcopy
from datetime import date
from decimal import Decimal

import pytest
import yaml
from rulekit import TODAY, deduction, enterprise, last_quarters

from knowledge.errors import KnowledgeValidationError
from knowledge.rules.display import pct, wan
from knowledge.rules.engine import RuleValidationError, evaluate, evaluate_all, get_rules, load_rules, render_message

POLICY_IDS = {"vat-small-scale-exemption", "vat-small-scale-1pct", "cit-small-low-profit", "six-taxes-two-fees",
              "iit-individual-business-halving", "rd-super-deduction", "employment-incentive", "bank-tax-loan"}

GOOD = {
    "id": "test-policy",
    "type": "policy",
    "title": "测试政策",
    "topic": "cit-small-low-profit",
    "sources": [{"title": "测试文件", "doc_no": None}],
    "valid_from": "2023-01-01",
    "valid_until": "2027-12-31",
    "quiet_days": 30,
    "review": True,
    "message": "{enterprise_name}：应纳税所得额{taxable_income_wan}万元。",
    "conditions": [{"fact": "taxable_income", "op": "<=", "value": "300万",
                    "explain": "年应纳税所得额 {value_wan}万元 {op} {limit_wan}万元"}],
}


def write(folder, rules, name="bad.yml"):
    (folder / name).write_text(yaml.safe_dump({"rules": rules}, allow_unicode=True), encoding="utf-8")
    return folder


def broken(**changes):
    rule = deepcopy(GOOD)
    for key, value in changes.items():
        if value is None and key not in ("valid_until",):
            rule.pop(key, None)
        else:
            rule[key] = value
    return rule


def condition(**changes):
    cond = deepcopy(GOOD["conditions"][0])
    cond.update(changes)
    return [cond]


# --- loading ---

def test_shipped_rules_load_with_the_agreed_policy_ids():
    rules = get_rules()
    assert {r.id for r in rules.values() if r.type == "policy"} == POLICY_IDS
    assert {r.type for r in rules.values()} == {"policy", "risk", "credit"}
    assert get_rules() is rules  # loaded once


def test_a_good_rule_file_loads(tmp_path):
    rules = load_rules(write(tmp_path, [GOOD]))
    rule = rules["test-policy"]
    assert rule.valid_from == date(2023, 1, 1) and rule.conditions[0].limit == Decimal(3_000_000)
    assert evaluate(rule, enterprise(), TODAY).reasons == ("年应纳税所得额 100万元 ≤ 300万元",)


@pytest.mark.parametrize("rule, message", [
    (broken(type="hint"), "unknown type 'hint'"),
    (broken(topic="no-such-topic"), "unknown topic 'no-such-topic'"),
    (broken(sources=[]), "sources must be a non-empty list"),
    (broken(sources=[{"doc_no": "x"}]), "every source needs a title"),
    (broken(valid_from="2023-13-01"), "valid_from must be a date"),
    (broken(valid_until="2022-12-31"), "valid_until 2022-12-31 is before valid_from 2023-01-01"),
    (broken(quiet_days=-1), "quiet_days"),
    (broken(review="yes"), "review must be true or false"),
    (broken(message=None), "missing message"),
    (broken(colour="red"), "unknown field(s) colour"),
    (broken(message="{enterprise_name}{no_such_value}"), "unknown placeholder(s) no_such_value"),
    (broken(key="{rule_id}:{weekday}"), "key template"),
    (broken(conditions=[]), "conditions must be a non-empty list"),
    (broken(conditions=condition(op="=<")), "unknown operator '=<'"),
    (broken(conditions=condition(fact="profit")), "unknown fact 'profit'"),
    (broken(conditions=condition(op="in")), "operator in does not apply to taxable_income"),
    (broken(conditions=condition(value="三百万")), "value must be a number"),
    (broken(conditions=condition(explain="")), "explain is required"),
    (broken(conditions=condition(explain="{value_yuan}")), "unknown placeholder(s) value_yuan"),
    (broken(conditions=[{"derived": "no_such_function", "op": ">=", "value": 1, "explain": "x"}]),
     "unknown derived function 'no_such_function'"),
    (broken(conditions=[{"derived": "invoice_mismatch", "op": ">=", "value": 1, "explain": "x"}]),
     "needs argument(s) tolerance_amount, tolerance_ratio"),
    (broken(conditions=[{"derived": "risk_findings", "args": {"colour": 1}, "op": ">=", "value": 1, "explain": "x"}]),
     "takes no argument(s) colour"),
    (broken(conditions=[{"fact": "kind", "derived": "risk_findings", "op": "==", "value": 1, "explain": "x"}]),
     "exactly one of"),
    (broken(conditions=[{"any": [GOOD["conditions"][0]]}]), "at least two conditions"),
    (broken(conditions=[{"eligible_for": "nowhere", "explain": "x"}]), "unknown rule 'nowhere'"),
    (broken(conditions=[{"eligible_for": "test-policy", "explain": "x"}]), "makes a cycle"),
])
def test_a_broken_rule_is_refused_naming_file_and_rule(tmp_path, rule, message):
    with pytest.raises(RuleValidationError) as error:
        load_rules(write(tmp_path, [rule]))
    text = str(error.value)
    assert message in text
    assert "bad.yml" in text and "rule test-policy" in text
    assert isinstance(error.value, KnowledgeValidationError)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    write(tmp_path, [GOOD], "a.yml")
    write(tmp_path, [GOOD], "b.yml")
    with pytest.raises(RuleValidationError, match=r"b\.yml: rule test-policy: id already used in .*a\.yml"):
        load_rules(tmp_path)


@pytest.mark.parametrize("content, message", [
    ("rules: [", "not valid YAML"),
    ("entries: []", "expected a mapping with a 'rules' list"),
    ("rules:\n  - id: Not_Kebab\n", "id must be kebab-case"),
])
def test_malformed_files_are_refused(tmp_path, content, message):
    (tmp_path / "bad.yml").write_text(content, encoding="utf-8")
    with pytest.raises(RuleValidationError, match=message):
        load_rules(tmp_path)


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(RuleValidationError, match="no rule files"):
        load_rules(tmp_path)


def test_a_rule_outside_its_validity_never_matches(tmp_path):
    rule = load_rules(write(tmp_path, [broken(valid_from="2026-01-01", valid_until=None)]))["test-policy"]
    result = evaluate(rule, enterprise(), TODAY)
    assert not result.matched
    assert result.reasons == ("该政策自2026年1月1日起适用，今天（2025年11月20日）尚未开始",)
    assert evaluate(rule, enterprise(), date(2026, 1, 1)).matched
    assert evaluate_all([rule], enterprise(), TODAY) == []


# --- evaluation across rules ---

def test_evaluate_all_returns_exactly_the_matched_outcomes():
    facts = enterprise(filings=last_quarters(200_000), credit_level="B", deductions=(deduction(),),
                       claimed=frozenset({"six-taxes-two-fees"}))
    rules = get_rules()
    every = [evaluate(rule, facts, TODAY) for rule in rules.values()]
    matched = evaluate_all(rules, facts, TODAY)
    assert matched == [o for o in every if o.matched]
    assert {o.rule_id for o in matched} == {"vat-small-scale-exemption", "cit-small-low-profit", "bank-tax-loan",
                                            "credit-correct-deductions"}


def test_outcome_values_are_plain_json():
    facts = enterprise(filings=last_quarters(200_000), deductions=(deduction(),), taxpayer_type="general",
                       risk_findings=(("发票异常", "2025Q3"),))
    for rule in get_rules().values():
        json.dumps(evaluate(rule, facts, TODAY).values, ensure_ascii=False)


# --- messages ---

def test_messages_render_with_the_enterprise_and_its_numbers():
    rules = get_rules()
    facts = enterprise(taxable_income=Decimal(1_234_567))
    text = render_message(rules["cit-small-low-profit"], evaluate(rules["cit-small-low-profit"], facts, TODAY))
    assert text.startswith("北京青禾软件有限公司：")
    assert "应纳税所得额123.46万元、从业人数12人、资产总额500万元" in text
    assert "执行至2027年12月31日" in text and "{" not in text


def test_every_shipped_message_renders_without_leftover_placeholders():
    facts = enterprise(
        taxpayer_type="general", industry_code="F51", rd_expense=Decimal(10), new_hires_key_groups=2,
        filings=last_quarters(1_000_000, invoice=2_000_000),
        deductions=(deduction(), deduction(id=9, occurred=date(2024, 6, 1), corrected=date(2025, 5, 10))),
        risk_findings=(("发票异常", "2025Q3"),))
    for rule in get_rules().values():
        result = evaluate(rule, facts, TODAY)
        text = render_message(rule, result)
        assert "{" not in text and "}" not in text, rule.id
        assert text.startswith("北京青禾软件有限公司："), rule.id


def test_render_joins_lists():
    rules = get_rules()
    facts = enterprise(deductions=(deduction(id=3), deduction(id=4)))
    result = evaluate(rules["credit-correct-deductions"], facts, TODAY)
    assert "2项纳税信用扣分尚未纠正" in render_message(rules["credit-correct-deductions"], result)


# --- formatting ---

@pytest.mark.parametrize("yuan, against, text", [
    (1_200_000, None, "120"), (1_234_567, None, "123.46"), (Decimal("300100"), None, "30.01"),
    (3_000_001, 3_000_000, "300.0001"), (3_000_000, 3_000_001, "300"), (Decimal("299999.99"), 300_000, "29.999999"),
    (-185_500, None, "-18.55"), (0, None, "0"), (None, None, "—"),
])
def test_money_reads_in_wan(yuan, against, text):
    assert wan(yuan, against) == text


def test_percentages():
    assert pct(Decimal("0.004")) == "0.4%" and pct(Decimal("0.0125")) == "1.25%" and pct(None) == "—"
