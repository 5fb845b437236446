"""The demo data generator: deterministic for a seed and day, realistic enough for every rule to find someone,
valid and unique USCCs, the documented showcase, bulk-written and idempotent."""
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.enterprise.facts import load_facts
from api.enterprise.models import (
    LEVELS,
    CreditDeduction,
    CreditRecord,
    Enterprise,
    EnterpriseFiling,
    PolicyClaim,
    RiskFinding,
)
from common.identifiers import is_valid_uscc
from knowledge.rules.engine import evaluate, get_rules
from tools.demo.enterprises import (
    POLICIES,
    SHOWCASE_NAME,
    SHOWCASE_USCC,
    filing_deadline,
    generate,
    make_demo_uscc,
    seed_demo,
)

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")

TODAY = date(2026, 11, 23)
N = 2000


@pytest.fixture(scope="module")
def seeded(engine):
    """2,000 demo enterprises written once for the module, in a transaction rolled back at its end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, future=True)
    result = seed_demo(session, N, today=TODAY)
    try:
        yield session, result
    finally:
        session.close()
        transaction.rollback()
        connection.close()


def _scalar(session, query):
    return session.execute(query).scalar_one()


def demo_ids():
    return select(Enterprise.id).where(Enterprise.demo.is_(True)).scalar_subquery()


def test_the_same_seed_and_day_give_the_same_data_and_another_seed_other_data():
    first = list(generate(300, seed=7, today=TODAY))
    assert first == list(generate(300, seed=7, today=TODAY))
    other = list(generate(300, seed=8, today=TODAY))
    assert first[0] == other[0]  # the showcase is chosen, not drawn
    assert [s.profile["name"] for s in first[1:]] != [s.profile["name"] for s in other[1:]]


def test_usccs_are_valid_and_unique_and_names_unique():
    specs = list(generate(5000, today=TODAY))
    usccs = [s.profile["uscc"] for s in specs]
    assert all(is_valid_uscc(u) for u in usccs)
    assert len(set(usccs)) == len(usccs)
    names = [s.profile["name"] for s in specs]
    assert len(set(names)) == len(names)
    assert all(s.profile["name"].endswith(("有限公司", "有限责任公司")) for s in specs if s.profile["kind"] == "company")
    assert all(s.profile["uscc"][1] == ("1" if s.profile["kind"] == "company" else "2") for s in specs)


def test_generated_rows_are_consistent():
    ranges = {"A": (90, 100), "B": (70, 89), "M": (70, 100), "C": (40, 69), "D": (0, 39)}
    for spec in generate(3000, seed=11, today=TODAY):
        for f in spec.filings:
            assert f["period_start"] <= f["period_end"] <= f["due_date"]
            if f["filed_date"] is None:
                assert f["declared_sales"] is None and not f["zero_filing"]
            elif f["tax_type"] == "vat":
                assert f["declared_sales"] is not None and f["filed_date"] > f["period_end"]
                assert not f["zero_filing"] or f["declared_sales"] == 0
        if spec.credit and spec.credit["score"] is not None:
            low, high = ranges[spec.credit["level"]]
            assert low <= spec.credit["score"] <= high
            assert 100 - spec.credit["score"] == sum(d["points"] for d in spec.deductions)
        for d in spec.deductions:
            assert d["occurred_on"].year == spec.credit["year"]
            assert d["corrected_on"] is None or d["occurred_on"] < d["corrected_on"] < TODAY


def test_the_showcase_code_is_the_generators_index_zero():
    assert make_demo_uscc(0, "510107", "company") == SHOWCASE_USCC and is_valid_uscc(SHOWCASE_USCC)


def test_deadlines_follow_the_holidays():
    assert filing_deadline(2025, 10) == date(2025, 10, 23)  # 国庆 1–8 October
    assert filing_deadline(2026, 7) == date(2026, 7, 15)
    assert filing_deadline(2026, 3) == date(2026, 3, 16)  # the 15th is a Sunday


def test_seed_writes_n_demo_enterprises_with_their_rows(seeded):
    session, result = seeded
    assert result["created"] == N and not result["skipped"]
    assert _scalar(session, select(func.count()).select_from(Enterprise).where(Enterprise.demo.is_(True))) == N
    per_enterprise = {model: _scalar(session, select(func.count()).select_from(model)
                                     .where(model.enterprise_id.in_(demo_ids())))
                      for model in (EnterpriseFiling, CreditRecord, PolicyClaim, RiskFinding)}
    assert per_enterprise[EnterpriseFiling] > 4 * N and per_enterprise[CreditRecord] > 0.8 * N
    assert per_enterprise[PolicyClaim] > N and per_enterprise[RiskFinding] > 10


def test_the_mix_is_realistic(seeded):
    session, _ = seeded
    rows = session.execute(select(Enterprise.taxpayer_type, Enterprise.kind, Enterprise.restricted_industry,
                                  Enterprise.taxable_income, Enterprise.employees, Enterprise.total_assets)
                           .where(Enterprise.demo.is_(True))).all()
    assert Counter(r.taxpayer_type for r in rows).keys() == {"small_scale", "general"}
    assert Counter(r.kind for r in rows).keys() == {"company", "individual"}
    assert any(r.restricted_industry for r in rows) and not all(r.restricted_industry for r in rows)
    # Both sides of each small-low-profit threshold: 300万 income, 300 employees, 5000万 assets.
    for field, limit in (("taxable_income", 3_000_000), ("employees", 300), ("total_assets", 50_000_000)):
        values = [getattr(r, field) for r in rows]
        assert any(v <= limit for v in values) and any(v > limit for v in values), field


def test_every_credit_level_with_repairable_deductions(seeded):
    session, _ = seeded
    levels = set(session.execute(select(CreditRecord.level).where(CreditRecord.enterprise_id.in_(demo_ids()))
                                 .distinct()).scalars())
    assert levels == set(LEVELS)
    repairable = session.execute(select(CreditDeduction.repairable, CreditDeduction.corrected_on.is_(None))
                                 .join(CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id)
                                 .where(CreditRecord.enterprise_id.in_(demo_ids()))).all()
    assert {(True, True), (True, False), (False, True), (False, False)} <= set(map(tuple, repairable))


def test_filings_include_overdue_late_zero_and_mismatched_returns(seeded):
    session, _ = seeded
    filings = session.execute(select(EnterpriseFiling).where(EnterpriseFiling.enterprise_id.in_(demo_ids()),
                                                             EnterpriseFiling.tax_type == "vat")).scalars().all()
    overdue = [f for f in filings if f.filed_date is None and f.due_date < TODAY]
    late = [f for f in filings if f.filed_date and f.filed_date > f.due_date]
    zero_with_invoices = [f for f in filings if f.zero_filing and f.invoice_sales]
    mismatched = [f for f in filings if f.declared_sales and f.invoice_sales is not None
                  and f.invoice_sales > f.declared_sales * Decimal("1.1")]
    assert len(overdue) > 20 and len(late) > 20 and len(zero_with_invoices) > 5 and len(mismatched) > 20
    months = {(f.period_end - f.period_start).days < 40 for f in filings}
    assert months == {True, False}  # monthly and quarterly returns


def test_claims_and_non_claims_of_every_policy(seeded):
    session, _ = seeded
    claims = set(session.execute(select(PolicyClaim.policy, PolicyClaim.claimed)
                                 .where(PolicyClaim.enterprise_id.in_(demo_ids()))).all())
    assert {p for p, _ in claims} == set(POLICIES)
    assert {p for p, c in claims if c} == set(POLICIES)
    assert len({p for p, c in claims if not c}) >= 5
    assert "bank" in set(session.execute(select(PolicyClaim.source).where(
        PolicyClaim.enterprise_id.in_(demo_ids()))).scalars())


def test_the_showcase_is_as_documented(seeded):
    session, _ = seeded
    showcase = session.execute(select(Enterprise).where(Enterprise.uscc == SHOWCASE_USCC)).scalar_one()
    assert showcase.name == SHOWCASE_NAME and showcase.demo
    [facts] = load_facts(session, [showcase.id], today=TODAY)
    assert (facts.credit_level, facts.taxpayer_type, facts.kind) == ("B", "small_scale", "company")
    [overdue] = [f for f in facts.filings if f.filed_date is None and f.due_date < TODAY]
    assert overdue.tax_type == "vat"
    [repairable] = [d for d in facts.deductions if d.repairable]
    assert repairable.reason_code == "overdue_filing" and repairable.corrected_on is None
    assert repairable.occurred_on == overdue.due_date + timedelta(days=1)
    rules = get_rules()
    for rule_id in ("vat-small-scale-exemption", "cit-small-low-profit", "credit-correct-deductions",
                    "risk-overdue-filing"):
        outcome = evaluate(rules[rule_id], facts, TODAY)
        assert outcome.matched, (rule_id, outcome.reasons)
    assert not evaluate(rules["six-taxes-two-fees"], facts, TODAY).matched  # claimed


def test_a_second_seed_is_skipped_and_reset_starts_again(seeded):
    session, _ = seeded
    assert seed_demo(session, 10, today=TODAY)["skipped"] is True
    again = seed_demo(session, 50, today=TODAY, reset=True)
    assert again["deleted"] >= N and again["created"] == 50
    assert _scalar(session, select(func.count()).select_from(Enterprise).where(Enterprise.demo.is_(True))) == 50
    assert _scalar(session, select(func.count()).select_from(EnterpriseFiling).where(
        ~EnterpriseFiling.enterprise_id.in_(select(Enterprise.id)))) == 0


def test_bulk_writing_keeps_awkward_text_intact(seeded):
    """COPY's text format escapes backslashes, tabs and newlines; nulls stay nulls. (The module's session: on
    SQLite a second connection would wait for its lock.)"""
    from tests.enterprise.conftest import NOW, add_enterprise
    from tools.demo.enterprises import bulk_insert

    session, _ = seeded
    e = add_enterprise(session)
    awkward = "制表\t换行\n反斜杠\\N 引号\"'"
    bulk_insert(session, RiskFinding, [{"enterprise_id": e.id, "indicator": "测试\t指标", "period": "2026Q3",
                                    "detail": {"说明": awkward}, "found_at": NOW, "source": "tax"},
                                   {"enterprise_id": e.id, "indicator": "空详情", "period": "2026Q3",
                                    "detail": None, "found_at": NOW, "source": "bank"}])
    found = {f.indicator: f for f in session.execute(select(RiskFinding).where(RiskFinding.enterprise_id == e.id))
             .scalars()}
    assert found["测试\t指标"].detail == {"说明": awkward} and found["测试\t指标"].found_at == NOW
    assert found["空详情"].detail is None and found["空详情"].source == "bank"
