"""Hand-made enterprises for the reminder tests: each test gets its own, so whole-table campaigns and
the other tests' data never decide an assertion about it."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling
from common.identifiers import make_uscc

__all__ = ["make_enterprise", "correct_deductions", "TODAY"]

TODAY = date.today()  # noqa: DTZ011
_rng = random.Random()


def make_enterprise(db, *, name: str = "测试商贸有限公司", overdue: bool = True, level: str | None = "B",
                    repairable: bool = True, quarter_sales: Decimal = Decimal("200000")) -> Enterprise:
    """A small-scale company with four quarters of VAT returns (the latest overdue and unfiled when
    ``overdue``), a credit record of ``level`` with a repairable, uncorrected overdue-filing deduction."""
    now = datetime.now(timezone.utc)
    enterprise = Enterprise(uscc=make_uscc(_rng.randrange(10**9)), name=name, taxpayer_type="small_scale",
                            kind="company", industry_code="F51", industry="批发业", region="成都市武侯区",
                            restricted_industry=False, employees=12, total_assets=Decimal("3000000"),
                            annual_sales=quarter_sales * 4, taxable_income=Decimal("500000"), rd_expense=Decimal("0"),
                            new_hires_key_groups=0, registration_date=date(2019, 5, 12), demo=False, sources={},
                            created_at=now, updated_at=now)
    db.add(enterprise)
    db.flush()
    quarter_end = date(TODAY.year, ((TODAY.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    for back in range(4):
        end = quarter_end
        for _ in range(back):
            end = date(end.year, ((end.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
        start = date(end.year, end.month - 2, 1)
        due = end + timedelta(days=15)
        latest = back == 0
        db.add(EnterpriseFiling(enterprise_id=enterprise.id, tax_type="vat", period_start=start, period_end=end,
                                due_date=min(due, TODAY - timedelta(days=1)) if latest and overdue else due,
                                filed_date=None if latest and overdue else due - timedelta(days=3),
                                declared_sales=quarter_sales, invoice_sales=quarter_sales, tax_paid=Decimal("0"),
                                zero_filing=False, source="tax", synced_at=now))
    if level:
        record = CreditRecord(enterprise_id=enterprise.id, year=TODAY.year - 1, level=level, score=78, source="tax",
                              synced_at=now)
        db.add(record)
        db.flush()
        db.add(CreditDeduction(credit_record_id=record.id, reason_code="overdue_filing", reason="未按规定期限纳税申报",
                               points=5, occurred_on=TODAY - timedelta(days=40), corrected_on=None,
                               repairable=repairable, source="tax", synced_at=now))
    db.commit()
    return enterprise


def correct_deductions(db, enterprise: Enterprise) -> None:
    """The enterprise has corrected (补办申报、缴清税款) every deduction, as the next data sync shows."""
    records = select(CreditRecord.id).where(CreditRecord.enterprise_id == enterprise.id)
    for deduction in db.execute(select(CreditDeduction).where(CreditDeduction.credit_record_id.in_(records))).scalars():
        deduction.corrected_on = TODAY
    db.commit()
