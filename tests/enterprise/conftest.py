"""Enterprise-data fixtures: the migrated database (shared with the other suites), a session per test that is
rolled back afterwards (services flush, never commit), and a small factory of enterprises with their rows."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from api.core.database import make_engine
from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling, PolicyClaim, RiskFinding
from common.identifiers import make_uscc

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 23)
_seeds = itertools.count(910_000)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint")  # a failed flush: not the test's transaction
    try:
        yield db
    finally:
        db.close()
        if transaction.is_active:  # a failed flush has already rolled it back
            transaction.rollback()
        connection.close()


def new_uscc() -> str:
    return make_uscc(next(_seeds))


def add_enterprise(db: Session, **overrides) -> Enterprise:
    values = dict(uscc=new_uscc(), name="成都测试商贸有限公司", taxpayer_type="small_scale", kind="company",  # noqa: C408
                  industry_code="F51", industry="批发业", region="四川省成都市武侯区", restricted_industry=False,
                  employees=12, total_assets=Decimal("3000000.00"), annual_sales=Decimal("960000.00"),
                  taxable_income=Decimal("420000.00"), rd_expense=Decimal("0.00"), new_hires_key_groups=0,
                  registration_date=date(2019, 5, 12), demo=False,
                  sources={"name": {"source": "market", "synced_at": NOW.isoformat()},
                           "employees": {"source": "social_security", "synced_at": NOW.isoformat()}},
                  created_at=NOW, updated_at=NOW)
    values.update(overrides)
    enterprise = Enterprise(**values)
    db.add(enterprise)
    db.flush()
    return enterprise


def add_filing(db: Session, enterprise: Enterprise, start: date, end: date, due: date, filed: date | None,
               declared="250000", invoiced="240000", paid="0", zero=False, tax_type="vat") -> EnterpriseFiling:
    filing = EnterpriseFiling(enterprise_id=enterprise.id, tax_type=tax_type, period_start=start, period_end=end,
                              due_date=due, filed_date=filed,
                              declared_sales=None if declared is None else Decimal(declared),
                              invoice_sales=None if invoiced is None else Decimal(invoiced),
                              tax_paid=None if paid is None else Decimal(paid), zero_filing=zero, source="tax",
                              synced_at=NOW)
    db.add(filing)
    db.flush()
    return filing


def add_credit(db: Session, enterprise: Enterprise, year: int, level: str, score: int | None,
               deductions=()) -> CreditRecord:
    record = CreditRecord(enterprise_id=enterprise.id, year=year, level=level, score=score, source="tax",
                          synced_at=NOW)
    db.add(record)
    db.flush()
    for code, reason, points, occurred, corrected, repairable in deductions:
        db.add(CreditDeduction(credit_record_id=record.id, reason_code=code, reason=reason, points=points,
                               occurred_on=occurred, corrected_on=corrected, repairable=repairable, source="tax",
                               synced_at=NOW))
    db.flush()
    return record


def add_claim(db: Session, enterprise: Enterprise, policy: str, period: str, claimed: bool, amount=None):
    db.add(PolicyClaim(enterprise_id=enterprise.id, policy=policy, period=period, claimed=claimed,
                       amount=None if amount is None else Decimal(amount), source="tax", synced_at=NOW))
    db.flush()


def add_finding(db: Session, enterprise: Enterprise, indicator: str, period: str):
    db.add(RiskFinding(enterprise_id=enterprise.id, indicator=indicator, period=period, detail={"说明": "测试"},
                       found_at=NOW, source="tax"))
    db.flush()
