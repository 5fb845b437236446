"""Hand-made EnterpriseFacts for the rule tests: one plain small company, changed field by field."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from knowledge.rules.engine import evaluate, get_rules
from knowledge.rules.facts import DeductionFact, EnterpriseFacts, FilingFact

TODAY = date(2025, 11, 20)  # in 2025Q4: the last four complete quarters are 2024Q4..2025Q3

BASE = EnterpriseFacts(
    enterprise_id=1,
    uscc="91110108MA01ABCD1X",
    name="北京青禾软件有限公司",
    taxpayer_type="small_scale",
    kind="company",
    industry_code="I65",
    industry="软件和信息技术服务业",
    region="北京",
    restricted_industry=False,
    employees=12,
    total_assets=Decimal(5_000_000),
    annual_sales=Decimal(900_000),
    taxable_income=Decimal(1_000_000),
    rd_expense=Decimal(0),
    new_hires_key_groups=0,
    registration_date=date(2019, 5, 6),
    credit_level="B",
    credit_year=2024,
    credit_score=82,
    deductions=(),
    filings=(),
    claimed=frozenset(),
    risk_findings=(),
)


def enterprise(**changes) -> EnterpriseFacts:
    return replace(BASE, **changes)


def yuan(amount) -> Decimal:
    return Decimal(str(amount))


def quarter(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def month(year: int, m: int) -> tuple[date, date]:
    return date(year, m, 1), date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def vat(period: tuple[date, date], declared=None, invoice=None, tax=0, filed=True, zero=False) -> FilingFact:
    start, end = period
    due = end + timedelta(days=15)
    return FilingFact(
        tax_type="vat", period_start=start, period_end=end, due_date=due,
        filed_date=due - timedelta(days=2) if filed else None,
        declared_sales=None if declared is None else yuan(declared),
        invoice_sales=None if invoice is None else yuan(invoice),
        tax_paid=yuan(tax), zero_filing=zero,
    )


def filing(tax_type: str, period: tuple[date, date], due: date, filed: date | None = None) -> FilingFact:
    return FilingFact(tax_type, period[0], period[1], due, filed, None, None, None, False)


def last_quarters(declared, **kw) -> tuple[FilingFact, ...]:
    """Quarterly VAT returns for 2024Q4..2025Q3, each with the given declared sales (one value or four)."""
    amounts = declared if isinstance(declared, (list, tuple)) else [declared] * 4
    periods = [quarter(2024, 4), quarter(2025, 1), quarter(2025, 2), quarter(2025, 3)]
    return tuple(vat(p, declared=a, **kw) for p, a in zip(periods, amounts, strict=True))


def deduction(id=7, code="overdue_filing", occurred=date(2025, 11, 10), corrected=None, repairable=True,  # noqa: A002
              points=5, reason="未按规定期限纳税申报") -> DeductionFact:
    return DeductionFact(id, code, reason, points, occurred, corrected, repairable)


def outcome(rule_id: str, facts: EnterpriseFacts, today: date = TODAY):
    return evaluate(get_rules()[rule_id], facts, today)
