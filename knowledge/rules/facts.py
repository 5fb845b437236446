"""What the rules engine knows about one enterprise: plain, frozen dataclasses, no database.

api/enterprise/ builds these (load_facts); knowledge/rules/engine.py evaluates rules over them.
Money is Decimal in yuan; dates are datetime.date. Field names follow docs/enterprise.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["FilingFact", "DeductionFact", "EnterpriseFacts"]


@dataclass(frozen=True)
class FilingFact:
    # "vat", "cit", "iit", "stamp", "property", "land_use", "social_insurance", "financial_statements"
    tax_type: str
    period_start: date
    period_end: date
    due_date: date
    filed_date: date | None  # None: not filed
    declared_sales: Decimal | None    # VAT: sales declared for the period (yuan)
    invoice_sales: Decimal | None     # VAT: sales invoiced in the period per the invoice system (yuan)
    tax_paid: Decimal | None
    zero_filing: bool


@dataclass(frozen=True)
class DeductionFact:
    id: int
    reason_code: str         # e.g. "overdue_filing", "overdue_payment", "unreported_statements", "invoice_violation"
    reason: str              # Chinese description
    points: int
    occurred_on: date
    corrected_on: date | None
    repairable: bool


@dataclass(frozen=True)
class EnterpriseFacts:
    enterprise_id: int
    uscc: str
    name: str
    taxpayer_type: str       # "small_scale" | "general"
    kind: str                # "company" | "individual" (个体工商户)
    industry_code: str       # GB/T 4754 门类 letter + 2 digits, e.g. "F51"
    industry: str            # Chinese name
    region: str
    restricted_industry: bool  # 国家限制或禁止行业
    employees: int
    total_assets: Decimal    # yuan
    annual_sales: Decimal    # yuan, last full year
    taxable_income: Decimal  # yuan, 年应纳税所得额, last full year
    rd_expense: Decimal      # yuan, last full year
    new_hires_key_groups: int  # recruited 重点群体 (e.g. 脱贫人口, 失业登记人员) employed this year
    registration_date: date
    credit_level: str | None   # "A" | "B" | "M" | "C" | "D"
    credit_year: int | None
    credit_score: int | None
    deductions: tuple[DeductionFact, ...]
    filings: tuple[FilingFact, ...]
    claimed: frozenset[str]  # policy rule ids the enterprise already enjoys for the current period
    risk_findings: tuple[tuple[str, str], ...]  # (indicator, period) found by the tax system itself
