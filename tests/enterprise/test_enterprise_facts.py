"""Rows → EnterpriseFacts: the right filings, credit (latest record), deductions, current claims and findings;
iter_facts walks every enterprise in id order with a bounded number of statements per batch."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from api.enterprise.facts import iter_facts, load_facts
from api.enterprise.models import Enterprise
from knowledge.rules.facts import DeductionFact, EnterpriseFacts, FilingFact
from tests.enterprise.conftest import TODAY, add_claim, add_credit, add_enterprise, add_filing, add_finding

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")


@pytest.fixture
def two(session):
    """Two enterprises: one with everything, one with nothing but its profile."""
    full = add_enterprise(session, name="成都锦程商贸有限公司", employees=12)
    add_filing(session, full, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 15), date(2026, 7, 10),
               declared="250000", invoiced="240000", paid="0")
    add_filing(session, full, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 22), None, declared=None,
               invoiced="231600", paid=None)
    add_filing(session, full, date(2025, 1, 1), date(2025, 12, 31), date(2026, 6, 1), date(2026, 5, 20),
               declared=None, invoiced=None, paid=None, tax_type="financial_statements")
    add_credit(session, full, 2024, "A", 95, [("invoice_violation", "未按规定开具发票", 3, date(2024, 3, 2), None, False)])
    add_credit(session, full, 2025, "B", 87, [
        ("overdue_filing", "未按规定期限填报纳税申报表", 5, date(2025, 10, 24), None, True),
        ("bookkeeping", "未按规定保管账簿", 5, date(2025, 8, 6), date(2025, 9, 1), False)])
    add_claim(session, full, "six-taxes-two-fees", "2026Q3", True, "420")
    add_claim(session, full, "cit-small-low-profit", "2025", False)
    add_claim(session, full, "vat-small-scale-exemption", "2026Q2", True, "2500")  # claimed, but not current
    add_claim(session, full, "vat-small-scale-exemption", "2026Q3", False)
    add_claim(session, full, "rd-super-deduction", "2024", True, "9000")  # long ago
    add_claim(session, full, "employment-incentive", "2026", True, "6000")
    add_claim(session, full, "bank-tax-loan", "2026-10", True, "300000")
    add_claim(session, full, "bank-tax-loan", "2026-11", False)  # the latest current period decides
    add_finding(session, full, "申报收入与开票收入差异较大", "2026Q2")
    bare = add_enterprise(session, name="武侯区老王记面馆", kind="individual")
    return full, bare


def test_load_facts_builds_every_field(session, two):
    full, bare = two
    facts = {f.enterprise_id: f for f in load_facts(session, [bare.id, full.id, 987654321], today=TODAY)}
    assert set(facts) == {full.id, bare.id}
    f = facts[full.id]
    assert isinstance(f, EnterpriseFacts)
    assert (f.uscc, f.name, f.taxpayer_type, f.kind, f.industry_code, f.employees) == (
        full.uscc, "成都锦程商贸有限公司", "small_scale", "company", "F51", 12)
    assert f.total_assets == Decimal("3000000.00") and f.taxable_income == Decimal("420000.00")
    assert (f.credit_level, f.credit_year, f.credit_score) == ("B", 2025, 87)
    assert [d.reason_code for d in f.deductions] == ["invoice_violation", "bookkeeping", "overdue_filing"]
    overdue = f.deductions[-1]
    assert isinstance(overdue, DeductionFact) and overdue.repairable and overdue.corrected_on is None
    assert overdue.points == 5 and overdue.occurred_on == date(2025, 10, 24)
    assert [(x.tax_type, x.period_start) for x in f.filings] == [
        ("financial_statements", date(2025, 1, 1)), ("vat", date(2026, 4, 1)), ("vat", date(2026, 7, 1))]
    unfiled = f.filings[-1]
    assert isinstance(unfiled, FilingFact)
    assert unfiled.filed_date is None and unfiled.declared_sales is None and unfiled.invoice_sales == Decimal("231600")
    assert f.claimed == frozenset({"six-taxes-two-fees", "employment-incentive"})
    assert f.risk_findings == (("申报收入与开票收入差异较大", "2026Q2"),)


def test_an_enterprise_without_rows_has_empty_facts(session, two):
    _, bare = two
    [f] = load_facts(session, [bare.id], today=TODAY)
    assert f.kind == "individual" and f.credit_level is None and f.credit_year is None and f.credit_score is None
    assert f.filings == () and f.deductions == () and f.claimed == frozenset() and f.risk_findings == ()


def test_claims_count_only_in_current_periods(session, two):
    full, _ = two
    [later] = load_facts(session, [full.id], today=date(2027, 8, 1))  # 2026Q3 is past; 2026 is last year
    assert later.claimed == frozenset({"employment-incentive"})
    [much_later] = load_facts(session, [full.id], today=date(2028, 8, 1))
    assert much_later.claimed == frozenset()


@pytest.mark.parametrize("batch", [1, 2, 5, 2000])
def test_iter_facts_gives_every_enterprise_once_in_id_order(session, two, batch):
    full, bare = two
    ids = [f.enterprise_id for f in iter_facts(session, batch=batch, today=TODAY)]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert {full.id, bare.id} <= set(ids)
    by_id = {f.enterprise_id: f for f in iter_facts(session, batch=batch, today=TODAY)}
    assert by_id[full.id] == load_facts(session, [full.id], today=TODAY)[0]


def test_iter_facts_with_a_filter(session, two):
    full, bare = two
    found = list(iter_facts(session, where=Enterprise.id.in_([bare.id, full.id]), batch=1, today=TODAY))
    assert [f.enterprise_id for f in found] == sorted([full.id, bare.id])
    assert found[[f.enterprise_id for f in found].index(full.id)].credit_level == "B"
    assert [f.enterprise_id for f in iter_facts(session, where=Enterprise.id > full.id, today=TODAY)
            if f.enterprise_id in (full.id, bare.id)] == ([bare.id] if bare.id > full.id else [])


def test_iter_facts_uses_a_bounded_number_of_statements_per_batch(session):
    for n in range(30):
        e = add_enterprise(session, name=f"批量测试{n}")
        add_filing(session, e, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 22), None)
        add_credit(session, e, 2025, "B", 80, [("overdue_filing", "逾期申报", 5, date(2025, 5, 16), None, True)])
        add_claim(session, e, "six-taxes-two-fees", "2026Q3", True, "100")
    total = session.query(Enterprise).count()
    statements = []
    connection = session.connection()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        seen = sum(1 for _ in iter_facts(session, batch=10, today=TODAY))
    finally:
        event.remove(connection, "before_cursor_execute", count)
    batches = -(-total // 10)
    assert seen == total
    # Six statements a batch (enterprises + five child tables), one more to find the end: never one per row.
    assert len(statements) <= 6 * batches + 1
