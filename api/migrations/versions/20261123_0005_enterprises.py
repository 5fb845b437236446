"""Enterprise data: profiles, filings, credit records and deductions, risk findings, policy claims.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TAXPAYER_TYPES = ("small_scale", "general")
KINDS = ("company", "individual")
LEVELS = ("A", "B", "M", "C", "D")
SOURCES = ("tax", "market", "social_security", "bank")
TAX_TYPES = ("vat", "cit", "iit", "stamp", "property", "land_use", "social_insurance", "financial_statements")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _not_negative(*columns):
    return " AND ".join(f"({c} IS NULL OR {c} >= 0)" for c in columns)


def _time(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name, nullable=True, default=None):
    return sa.Column(name, sa.Numeric(16, 2), nullable=nullable, server_default=default)


def _fk(table, column, target):
    return sa.Column(column, sa.Integer, sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"),
                     nullable=False)


def _source(table):
    return (sa.Column("source", sa.String(20), nullable=False, server_default="tax"),
            sa.CheckConstraint(_in("source", SOURCES), name=f"ck_{table}_source"))


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("taxpayer_type", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("industry_code", sa.String(8), nullable=False),
        sa.Column("industry", sa.String(100), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("restricted_industry", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("employees", sa.Integer, nullable=False, server_default="0"),
        _money("total_assets", False, "0"), _money("annual_sales", False, "0"),
        _money("taxable_income", False, "0"), _money("rd_expense", False, "0"),
        sa.Column("new_hires_key_groups", sa.Integer, nullable=False, server_default="0"),
        sa.Column("registration_date", sa.Date, nullable=False),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sources", sa.JSON, nullable=True),
        _time("created_at", False), _time("updated_at", False),
        sa.UniqueConstraint("uscc", name="uq_enterprises_uscc"),
        sa.CheckConstraint(_in("taxpayer_type", TAXPAYER_TYPES), name="ck_enterprises_taxpayer_type"),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_enterprises_kind"),
        sa.CheckConstraint(_not_negative("employees", "new_hires_key_groups", "total_assets", "annual_sales",
                                         "taxable_income", "rd_expense"), name="ck_enterprises_not_negative"),
    )

    source, source_check = _source("enterprise_filings")
    op.create_table(
        "enterprise_filings",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("enterprise_filings", "enterprise_id", "enterprises"),
        sa.Column("tax_type", sa.String(30), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("filed_date", sa.Date, nullable=True),
        _money("declared_sales"), _money("invoice_sales"), _money("tax_paid"),
        sa.Column("zero_filing", sa.Boolean, nullable=False, server_default=sa.false()),
        source,
        _time("synced_at", False),
        sa.UniqueConstraint("enterprise_id", "tax_type", "period_start", "period_end",
                            name="uq_enterprise_filings_period"),
        sa.CheckConstraint(_in("tax_type", TAX_TYPES), name="ck_enterprise_filings_tax_type"),
        source_check,
        sa.CheckConstraint("period_start <= period_end", name="ck_enterprise_filings_period"),
        sa.CheckConstraint(_not_negative("declared_sales", "invoice_sales", "tax_paid"),
                           name="ck_enterprise_filings_not_negative"),
    )
    # Only the returns not filed yet, by due date: what "overdue and not filed" reads.
    op.create_index("ix_enterprise_filings_unfiled", "enterprise_filings", ["due_date"],
                    postgresql_where=sa.text("filed_date IS NULL"), sqlite_where=sa.text("filed_date IS NULL"))

    source, source_check = _source("credit_records")
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("credit_records", "enterprise_id", "enterprises"),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        source,
        _time("synced_at", False),
        sa.UniqueConstraint("enterprise_id", "year", name="uq_credit_records_enterprise_id_year"),
        sa.CheckConstraint(_in("level", LEVELS), name="ck_credit_records_level"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="ck_credit_records_score"),
        source_check,
    )

    source, source_check = _source("credit_deductions")
    op.create_table(
        "credit_deductions",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("credit_deductions", "credit_record_id", "credit_records"),
        sa.Column("reason_code", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("corrected_on", sa.Date, nullable=True),
        sa.Column("repairable", sa.Boolean, nullable=False, server_default=sa.false()),
        source,
        _time("synced_at", False),
        sa.CheckConstraint("points >= 0", name="ck_credit_deductions_points"),
        source_check,
    )
    op.create_index("ix_credit_deductions_credit_record_id", "credit_deductions", ["credit_record_id"])

    source, source_check = _source("risk_findings")
    op.create_table(
        "risk_findings",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("risk_findings", "enterprise_id", "enterprises"),
        sa.Column("indicator", sa.String(60), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
        _time("found_at", False),
        source,
        sa.UniqueConstraint("enterprise_id", "indicator", "period", name="uq_risk_findings_subject"),
        source_check,
    )

    source, source_check = _source("policy_claims")
    op.create_table(
        "policy_claims",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("policy_claims", "enterprise_id", "enterprises"),
        sa.Column("policy", sa.String(80), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("claimed", sa.Boolean, nullable=False, server_default=sa.false()),
        _money("amount"),
        source,
        _time("synced_at", False),
        sa.UniqueConstraint("enterprise_id", "policy", "period", name="uq_policy_claims_subject"),
        source_check,
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="ck_policy_claims_amount"),
    )


def downgrade() -> None:
    op.drop_table("policy_claims")
    op.drop_table("risk_findings")
    op.drop_table("credit_deductions")
    op.drop_table("credit_records")
    op.drop_index("ix_enterprise_filings_unfiled", table_name="enterprise_filings")
    op.drop_table("enterprise_filings")
    op.drop_table("enterprises")
