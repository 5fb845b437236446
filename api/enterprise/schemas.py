"""Wire shapes of the enterprise routes: the staff profile, the enterprise's own credit, the demo list and token."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi.encoders import decimal_encoder
from pydantic import BaseModel, PlainSerializer

from api.auth.grants import EnterpriseGrant
from api.inputs import clean_str

__all__ = ["FieldSource", "KeyFact", "DetailItem", "DetailGroup", "DeductionRead", "CreditRead", "OwnCredit",
           "FilingRead", "FilingsSummary", "ClaimRead", "FindingRead", "EnterpriseProfile", "CreditQuery", "DemoEnterprise", "DemoEnterprisePage",
           "DemoTokenRequest", "DemoToken"]

# Amounts travel as JSON numbers (pydantic 2 would write a Decimal as a string): 280000 or 12.5, as the pages expect.
Amount = Annotated[Decimal, PlainSerializer(decimal_encoder, return_type=float, when_used="json")]


class FieldSource(BaseModel):
    source: str  # tax | market | social_security | bank
    source_label: str  # 税务 / 市场监管 / 社保 / 银行
    synced_at: datetime | None = None
    field_label: str = ""  # the field's Chinese name: 从业人数


class KeyFact(BaseModel):
    field: str  # e.g. credit; its Chinese name is ``label``
    label: str  # 纳税信用
    value: str  # B级（2025年度，87分）
    hint: str | None = None  # 有1项可修复的扣分尚未纠正


class DetailItem(BaseModel):
    field: str
    label: str
    value: str


class DetailGroup(BaseModel):
    title: str  # 登记信息, 规模与财务
    items: list[DetailItem]


class DeductionRead(BaseModel):
    id: int
    reason_code: str
    reason: str
    points: int
    date: date  # occurred_on
    repairable: bool
    corrected: bool
    corrected_on: date | None = None


class CreditRead(BaseModel):
    level: str
    year: int
    score: int | None = None
    deductions: list[DeductionRead]
    source: str
    synced_at: datetime


class OwnCredit(BaseModel):
    """What the bot says to a logged-in enterprise about its own 纳税信用."""
    text: str
    level: str
    year: int
    score: int | None = None
    deductions: list[DeductionRead]


class FilingRead(BaseModel):
    tax_type: str
    tax_type_label: str
    period_start: date
    period_end: date
    due_date: date
    filed_date: date | None = None
    declared_sales: Amount | None = None
    invoice_sales: Amount | None = None
    tax_paid: Amount | None = None
    zero_filing: bool
    state: str  # filed | late | overdue | pending
    source: str


class FilingsSummary(BaseModel):
    total: int
    filed_on_time: int
    filed_late: int
    overdue_unfiled: int  # due date passed, not filed
    pending: int  # not due yet, not filed
    zero_filings: int
    recent: list[FilingRead]  # the last 12 by period, newest first


class ClaimRead(BaseModel):
    policy: str
    period: str
    claimed: bool
    amount: Amount | None = None
    source: str
    synced_at: datetime


class FindingRead(BaseModel):
    indicator: str
    period: str
    detail: dict[str, Any] | None = None
    found_at: datetime
    source: str


class ServingUnit(BaseModel):
    """属地: the unit the enterprise's petitions and conversations go to (api.org.service.serving_unit)."""
    id: int
    name: str
    level_label: str
    intake: bool  # no unit serves its region: the intake unit receives them


class EnterpriseProfile(BaseModel):
    id: int
    uscc: str
    name: str
    taxpayer_type: str
    taxpayer_type_label: str
    kind: str
    kind_label: str
    industry_code: str
    industry: str
    region: str
    restricted_industry: bool
    employees: int
    total_assets: Amount
    annual_sales: Amount
    taxable_income: Amount
    rd_expense: Amount
    new_hires_key_groups: int
    registration_date: date
    demo: bool
    sources: dict[str, FieldSource]  # per profile field: which system, synced when
    credit: CreditRead | None = None
    filings: FilingsSummary
    claims: list[ClaimRead]
    risk_findings: list[FindingRead]
    key_facts: list[KeyFact] = []  # what staff need first, in Chinese, name and USCC masked like the fields above
    details: list[DetailGroup] | None = None  # the profile under Chinese titles, values ready to show
    serving_unit: ServingUnit | None = None


class CreditQuery(EnterpriseGrant):
    """Only the grant says whose credit it is; anything else in the body (a USCC, say) is ignored."""


class DemoEnterprise(BaseModel):
    uscc: str
    name: str
    taxpayer_type: str
    taxpayer_type_label: str
    kind: str
    kind_label: str
    region: str
    industry: str
    credit_level: str | None = None
    credit_year: int | None = None
    pending_reminders: int
    showcase: bool


class DemoEnterprisePage(BaseModel):
    items: list[DemoEnterprise]
    limit: int


class DemoTokenRequest(BaseModel):
    uscc: clean_str(strip_whitespace=True, min_length=1, max_length=40)


class DemoToken(BaseModel):
    token: str
    uscc: str
    name: str
    expires_at: datetime
    widget_url: str
