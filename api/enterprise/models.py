"""Enterprise tables: the profile, tax filings, credit records with their deductions, the tax system's risk
findings and policy claims. Created by migration 0005; the two must agree (a test compares them).

Every row names the system it came from (``source``: 税务 / 市场监管 / 社保 / 银行) and when it was synced; the
profile keeps that per field in ``sources`` — the information sharing the staff picture makes visible.
Money is ``Numeric(16, 2)`` in yuan.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.core.database import Base
from api.core.sqltime import UTCDateTime

__all__ = ["TAXPAYER_TYPES", "KINDS", "LEVELS", "SOURCES", "TAX_TYPES", "TAXPAYER_TYPE_LABELS", "KIND_LABELS",
           "SOURCE_LABELS", "TAX_TYPE_LABELS", "LEVEL_LABELS", "FILING_STATE_LABELS", "PROFILE_FIELDS", "FIELD_LABELS",
           "ENTERPRISE_FIELD_LABELS", "DEFAULT_FIELD_SOURCES", "Money",
           "Enterprise", "EnterpriseFiling", "CreditRecord", "CreditDeduction", "RiskFinding", "PolicyClaim",
           "UNFILED_INDEX"]

TAXPAYER_TYPES = ("small_scale", "general")
KINDS = ("company", "individual")
LEVELS = ("A", "B", "M", "C", "D")
SOURCES = ("tax", "market", "social_security", "bank")
TAX_TYPES = ("vat", "cit", "iit", "stamp", "property", "land_use", "social_insurance", "financial_statements")

TAXPAYER_TYPE_LABELS = {"small_scale": "小规模纳税人", "general": "一般纳税人"}
KIND_LABELS = {"company": "企业", "individual": "个体工商户"}
SOURCE_LABELS = {"tax": "税务", "market": "市场监管", "social_security": "社保", "bank": "银行"}
TAX_TYPE_LABELS = {"vat": "增值税", "cit": "企业所得税", "iit": "个人所得税", "stamp": "印花税", "property": "房产税",
                   "land_use": "城镇土地使用税", "social_insurance": "社会保险费", "financial_statements": "财务报表"}

FIELD_LABELS = {
    "name": "名称", "taxpayer_type": "纳税人类型", "kind": "主体类型", "industry_code": "行业代码", "industry": "行业",
    "region": "地区", "restricted_industry": "国家限制或禁止行业", "employees": "从业人数", "total_assets": "资产总额",
    "annual_sales": "年销售额", "taxable_income": "年应纳税所得额", "rd_expense": "研发费用",
    "new_hires_key_groups": "本年招用重点群体人数", "registration_date": "登记日期",
}
PROFILE_FIELDS = tuple(FIELD_LABELS)
"""The profile fields whose source and sync time ``Enterprise.sources`` records."""

LEVEL_LABELS = {"A": "A级", "B": "B级", "M": "M级", "C": "C级", "D": "D级"}
FILING_STATE_LABELS = {"filed": "按期申报", "late": "逾期已申报", "overdue": "逾期未申报", "pending": "未到申报期"}

ENTERPRISE_FIELD_LABELS = {
    "id": "企业编号", "uscc": "统一社会信用代码", **FIELD_LABELS,
    "taxpayer_type_label": "纳税人类型", "kind_label": "主体类型", "demo": "演示数据",
    "sources": "数据来源", "created_at": "创建时间", "updated_at": "更新时间",
    "total_assets_wan": "资产总额（万元）", "annual_sales_wan": "年销售额（万元）",
    "taxable_income_wan": "年应纳税所得额（万元）", "overdue_filings": "逾期未申报（期）",
    "credit": "纳税信用", "filings": "申报情况", "claims": "优惠享受情况", "risk_findings": "风险疑点",
    "pending_reminders": "待处理提醒", "open_petitions": "在办诉求", "key_facts": "关键信息", "details": "详细信息",
    "serving_unit": "属地单位",
}
"""Every field of the enterprise (its columns), of the staff profile and of the seat picture's profile, in
Chinese: what a page shows as the field's name (served by ``GET /api/vocabulary`` as ``enterprise_fields``)."""

DEFAULT_FIELD_SOURCES = {
    "name": "market", "kind": "market", "industry_code": "market", "industry": "market", "region": "market",
    "restricted_industry": "market", "registration_date": "market", "taxpayer_type": "tax", "total_assets": "tax",
    "annual_sales": "tax", "taxable_income": "tax", "rd_expense": "tax", "employees": "social_security",
    "new_hires_key_groups": "social_security",
}
"""Which system each profile field normally comes from: 登记信息 from 市场监管, 申报与财务报表 from 税务, 参保人数
from 社保. The demo data uses it; an import records the source its rows name."""


def Money() -> Numeric[Decimal]:  # noqa: N802 - a column type, named like one
    return Numeric(16, 2)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(column: str, target: str, table: str) -> ForeignKey:
    return ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def _not_negative(*columns: str) -> str:
    return " AND ".join(f"({c} IS NULL OR {c} >= 0)" for c in columns)


class Enterprise(Base):
    __tablename__ = "enterprises"
    __table_args__ = (
        UniqueConstraint("uscc", name="uq_enterprises_uscc"),
        CheckConstraint(_in("taxpayer_type", TAXPAYER_TYPES), name="ck_enterprises_taxpayer_type"),
        CheckConstraint(_in("kind", KINDS), name="ck_enterprises_kind"),
        CheckConstraint(_not_negative("employees", "new_hires_key_groups", "total_assets", "annual_sales",
                                      "taxable_income", "rd_expense"), name="ck_enterprises_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    taxpayer_type: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))
    industry_code: Mapped[str] = mapped_column(String(8))  # GB/T 4754 门类 letter + 2 digits, e.g. "F51"
    industry: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    restricted_industry: Mapped[bool] = mapped_column(default=False, server_default=false())
    employees: Mapped[int] = mapped_column(default=0, server_default="0")
    total_assets: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")
    annual_sales: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")  # last full year
    taxable_income: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")  # 年应纳税所得额, last full year
    rd_expense: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")
    new_hires_key_groups: Mapped[int] = mapped_column(default=0, server_default="0")
    registration_date: Mapped[date] = mapped_column()
    demo: Mapped[bool] = mapped_column(default=False, server_default=false())  # generated, never real
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {field: {"source": "tax", "synced_at": ISO time}}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Enterprise {self.uscc} {self.name}>"


class EnterpriseFiling(Base):
    """One return (申报表) for one tax and period: due, filed or not, and for VAT what was declared and invoiced."""

    __tablename__ = "enterprise_filings"
    __table_args__ = (
        # Leads with enterprise_id: it is also the index the per-batch "filings of these enterprises" reads.
        UniqueConstraint("enterprise_id", "tax_type", "period_start", "period_end",
                         name="uq_enterprise_filings_period"),
        CheckConstraint(_in("tax_type", TAX_TYPES), name="ck_enterprise_filings_tax_type"),
        CheckConstraint(_in("source", SOURCES), name="ck_enterprise_filings_source"),
        CheckConstraint("period_start <= period_end", name="ck_enterprise_filings_period"),
        CheckConstraint(_not_negative("declared_sales", "invoice_sales", "tax_paid"),
                        name="ck_enterprise_filings_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(_fk("enterprise_id", "enterprises", "enterprise_filings"))
    tax_type: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    due_date: Mapped[date] = mapped_column()
    filed_date: Mapped[date | None] = mapped_column()  # None: not filed
    declared_sales: Mapped[Decimal | None] = mapped_column(Money())
    invoice_sales: Mapped[Decimal | None] = mapped_column(Money())  # per the invoice system (金税)
    tax_paid: Mapped[Decimal | None] = mapped_column(Money())
    zero_filing: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="tax", server_default="tax")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


UNFILED_INDEX = Index("ix_enterprise_filings_unfiled", EnterpriseFiling.due_date,
                      postgresql_where=EnterpriseFiling.filed_date.is_(None),
                      sqlite_where=EnterpriseFiling.filed_date.is_(None))
"""Only the returns not filed yet, by due date: "overdue and not filed" reads a few rows, not every return."""


class CreditRecord(Base):
    """The annual 纳税信用 evaluation of one year."""

    __tablename__ = "credit_records"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "year", name="uq_credit_records_enterprise_id_year"),
        CheckConstraint(_in("level", LEVELS), name="ck_credit_records_level"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="ck_credit_records_score"),
        CheckConstraint(_in("source", SOURCES), name="ck_credit_records_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(_fk("enterprise_id", "enterprises", "credit_records"))
    year: Mapped[int] = mapped_column()
    level: Mapped[str] = mapped_column(String(1))
    score: Mapped[int | None] = mapped_column()  # a D set directly (直接判级) may carry no score
    source: Mapped[str] = mapped_column(String(20), default="tax", server_default="tax")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditDeduction(Base):
    """One deduction (扣分项) of a credit record; ``repairable`` when 信用修复 applies to it once corrected."""

    __tablename__ = "credit_deductions"
    __table_args__ = (
        CheckConstraint("points >= 0", name="ck_credit_deductions_points"),
        CheckConstraint(_in("source", SOURCES), name="ck_credit_deductions_source"),
        Index("ix_credit_deductions_credit_record_id", "credit_record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_record_id: Mapped[int] = mapped_column(_fk("credit_record_id", "credit_records", "credit_deductions"))
    reason_code: Mapped[str] = mapped_column(String(40))  # e.g. overdue_filing, overdue_payment, invoice_violation
    reason: Mapped[str] = mapped_column(String(200))
    points: Mapped[int] = mapped_column()
    occurred_on: Mapped[date] = mapped_column()
    corrected_on: Mapped[date | None] = mapped_column()
    repairable: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="tax", server_default="tax")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Many-to-one only: an importer can attach a deduction to a record not flushed yet without loading anything.
    record: Mapped[CreditRecord] = relationship(CreditRecord)


class RiskFinding(Base):
    """A risk indicator the tax system itself found for a period (风险疑点), passed to the enterprise to self-check."""

    __tablename__ = "risk_findings"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "indicator", "period", name="uq_risk_findings_subject"),
        CheckConstraint(_in("source", SOURCES), name="ck_risk_findings_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(_fk("enterprise_id", "enterprises", "risk_findings"))
    indicator: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(10))  # "2025", "2025Q3" or "2025-07"
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(20), default="tax", server_default="tax")


class PolicyClaim(Base):
    """Whether the enterprise enjoyed a policy (a rule id of knowledge/rules) for a period; a row with
    ``claimed`` false says the systems know it did not."""

    __tablename__ = "policy_claims"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "policy", "period", name="uq_policy_claims_subject"),
        CheckConstraint(_in("source", SOURCES), name="ck_policy_claims_source"),
        CheckConstraint("amount IS NULL OR amount >= 0", name="ck_policy_claims_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(_fk("enterprise_id", "enterprises", "policy_claims"))
    policy: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(10))
    claimed: Mapped[bool] = mapped_column(default=False, server_default=false())
    amount: Mapped[Decimal | None] = mapped_column(Money())  # the relief enjoyed, yuan
    source: Mapped[str] = mapped_column(String(20), default="tax", server_default="tax")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())
