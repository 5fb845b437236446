"""Petitions: units, staff accounts, petitions with their clocks, handlers, ledger, extensions, ticket counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LEVELS = ("province", "city", "district", "station")
UNIT_KINDS = ("tax_unit", "service_department", "handling_department", "legal_unit", "outside_department")
ROLES = ("staff", "handler", "supervisor", "director", "operator", "admin", "expert")
CATEGORIES = ("政策落实类", "执法规范类", "纳税服务类", "信息化建设类", "法律救济类", "其他")
CHANNELS = ("12366热线", "12366平台", "税务网站", "智能助手", "其他")
EXTENSION_STATUSES = ("pending", "approved", "rejected", "cancelled")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _time(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table, column, target, nullable=False):
    return sa.Column(column, sa.Integer, sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        _fk("units", "parent_id", "units", nullable=True),
        sa.CheckConstraint(_in("level", LEVELS), name="ck_units_level"),
        sa.CheckConstraint(_in("kind", UNIT_KINDS), name="ck_units_kind"),
    )
    op.create_index("ix_units_parent_id", "units", ["parent_id"])

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        _fk("staff_accounts", "unit_id", "units"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint(_in("role", ROLES), name="ck_staff_accounts_role"),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
    )
    op.create_index("ix_staff_accounts_unit_id", "staff_accounts", ["unit_id"])

    op.create_table(
        "petitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket", sa.String(20), nullable=False),
        sa.Column("taxpayer_name", sa.String(200), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("contact_phone", sa.String(32), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        _time("received_at", nullable=False),
        _fk("petitions", "accepting_unit_id", "units"),
        _fk("petitions", "accepting_staff_id", "staff_accounts", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        _fk("petitions", "service_unit_id", "units", nullable=True),
        _fk("petitions", "handling_unit_id", "units", nullable=True),
        sa.Column("joint", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("long_term", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reconsideration", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("sender_id", sa.String(100), nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("satisfaction", sa.Integer, nullable=True),
        sa.Column("handover_due", sa.Date, nullable=True),
        sa.Column("handling_due", sa.Date, nullable=True),
        sa.Column("feedback_due", sa.Date, nullable=True),
        sa.Column("extended_days", sa.Integer, nullable=False, server_default="0"),
        _time("handed_over_at"),
        _time("assigned_at"),
        _time("started_at"),
        _time("resolved_at"),
        _time("fed_back_at"),
        _time("visited_at"),
        _time("closed_at"),
        sa.UniqueConstraint("ticket", name="uq_petitions_ticket"),
        sa.UniqueConstraint("idempotency_key", name="uq_petitions_idempotency_key"),
        sa.CheckConstraint(_in("category", CATEGORIES), name="ck_petitions_category"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="ck_petitions_channel"),
        sa.CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_petitions_satisfaction"),
        sa.CheckConstraint("extended_days >= 0", name="ck_petitions_extended_days"),
    )
    for column in ("status", "handling_unit_id", "handling_due", "received_at", "uscc", "sender_id"):
        op.create_index(f"ix_petitions_{column}", "petitions", [column])

    op.create_table(
        "petition_handlers",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("petition_handlers", "petition_id", "petitions"),
        _fk("petition_handlers", "unit_id", "units"),
        sa.Column("lead", sa.Boolean, nullable=False, server_default=sa.false()),
        _time("assigned_at", nullable=False),
        sa.UniqueConstraint("petition_id", "unit_id", name="uq_petition_handlers_petition_id_unit_id"),
    )

    op.create_table(
        "petition_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("petition_events", "petition_id", "petitions"),
        _time("at", nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
    )
    op.create_index("ix_petition_events_petition_id", "petition_events", ["petition_id"])

    op.create_table(
        "petition_extensions",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("petition_extensions", "petition_id", "petitions"),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _fk("petition_extensions", "requested_by", "staff_accounts"),
        _time("requested_at", nullable=False),
        _fk("petition_extensions", "approved_by", "staff_accounts", nullable=True),
        _time("approved_at"),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("decision_note", sa.Text, nullable=True),
        sa.CheckConstraint("days > 0", name="ck_petition_extensions_days"),
        sa.CheckConstraint(_in("status", EXTENSION_STATUSES), name="ck_petition_extensions_status"),
    )
    op.create_index("ix_petition_extensions_petition_id", "petition_extensions", ["petition_id"])

    op.create_table(
        "petition_ticket_counters",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("petition_ticket_counters")
    op.drop_index("ix_petition_extensions_petition_id", table_name="petition_extensions")
    op.drop_table("petition_extensions")
    op.drop_index("ix_petition_events_petition_id", table_name="petition_events")
    op.drop_table("petition_events")
    op.drop_table("petition_handlers")
    for column in ("status", "handling_unit_id", "handling_due", "received_at", "uscc", "sender_id"):
        op.drop_index(f"ix_petitions_{column}", table_name="petitions")
    op.drop_table("petitions")
    op.drop_index("ix_staff_accounts_unit_id", table_name="staff_accounts")
    op.drop_table("staff_accounts")
    op.drop_index("ix_units_parent_id", table_name="units")
    op.drop_table("units")
