"""The migration builds exactly what the models describe, and it can be undone."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.core.database import Base
from api.settings import ROOT

TABLES = {"units", "staff_accounts", "petitions", "petition_handlers", "petition_events", "petition_extensions",
          "petition_ticket_counters", "notifications", "conversations", "conversation_messages",
          "conversation_attachments", "enterprises", "enterprise_filings", "credit_records", "credit_deductions",
          "risk_findings", "policy_claims", "analytics_days", "analytics_daily", "analytics_daily_keys",
          "analytics_daily_seats", "analytics_unanswered", "analytics_conversations", "analytics_search", "review_tags",
          "review_marks", "review_audit_log", "improvements", "enterprise_notices", "sms_outbox", "unit_regions"}


def _config(url):
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_removes_the_tables_and_upgrade_restores_them(engine, database_url):
    config = _config(database_url)
    command.downgrade(config, "0001")
    assert TABLES.isdisjoint(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_0010_gives_the_lead_of_a_resolved_petition_its_completed_part(engine, database_url):
    """Petitions resolved before tasks existed: the lead's part is its resolution; a co-department's stays open."""
    from sqlalchemy import text

    config = _config(database_url)
    command.downgrade(config, "0009")
    try:
        with engine.begin() as db:
            unit = lambda name: db.execute(text(  # noqa: E731
                "INSERT INTO units (name, level, kind) VALUES (:n, 'city', 'handling_department') RETURNING id"),
                {"n": name}).scalar_one()
            lead, co = unit("迁移测试征管科"), unit("迁移测试税政科")
            petition = db.execute(text(
                "INSERT INTO petitions (ticket, taxpayer_name, contact_phone, content, category, channel, received_at,"
                " accepting_unit_id, status, handling_unit_id, joint, resolution, resolved_at) VALUES ('SQ-MIG-0010',"
                " '迁移测试企业', '13800138000', '诉求', '其他', '其他', :at, :u, 'resolved', :u, true, '已答复', :at)"
                " RETURNING id"), {"at": "2025-10-10 02:00:00+00:00", "u": lead}).scalar_one()
            for unit_id, is_lead in ((lead, True), (co, False)):
                db.execute(text("INSERT INTO petition_handlers (petition_id, unit_id, lead, assigned_at)"
                                " VALUES (:p, :u, :l, :at)"),
                           {"p": petition, "u": unit_id, "l": is_lead, "at": "2025-10-09 02:00:00+00:00"})
        command.upgrade(config, "head")
        with engine.begin() as db:
            rows = db.execute(text("SELECT unit_id, answer, completed_at IS NOT NULL FROM petition_handlers"
                                   " WHERE petition_id = :p ORDER BY id"), {"p": petition}).all()
            assert [tuple(r) for r in rows] == [(lead, "已答复", True), (co, None, False)]
            db.execute(text("DELETE FROM petition_handlers WHERE petition_id = :p"), {"p": petition})
            db.execute(text("DELETE FROM petitions WHERE id = :p"), {"p": petition})
            db.execute(text("DELETE FROM units WHERE id IN (:a, :b)"), {"a": lead, "b": co})
    finally:
        command.upgrade(config, "head")


def test_0014_records_hall_and_phone_channels_and_its_downgrade_keeps_such_petitions_as_other(engine, database_url):
    """The table is rebuilt under rows that reference it (SQLite's batch mode): nothing is lost either way."""
    from sqlalchemy import text

    config = _config(database_url)
    with engine.begin() as db:
        unit = db.execute(text("INSERT INTO units (name, level, kind) VALUES ('迁移测试服务科', 'city', 'tax_unit')"
                               " RETURNING id")).scalar_one()
        petition = db.execute(text(
            "INSERT INTO petitions (ticket, taxpayer_name, contact_phone, content, category, channel, received_at,"
            " accepting_unit_id, status) VALUES ('SQ-MIG-0014', '迁移测试企业', '13800138000', '大厅登记的诉求', '其他',"
            " '办税服务厅', :at, :u, 'registered') RETURNING id"), {"at": "2026-12-01 02:00:00+00:00", "u": unit}
        ).scalar_one()
        db.execute(text("INSERT INTO petition_handlers (petition_id, unit_id, lead, assigned_at) VALUES (:p, :u, true, :at)"),
                   {"p": petition, "u": unit, "at": "2026-12-01 03:00:00+00:00"})
    try:
        command.downgrade(config, "0013")
        with engine.connect() as db:
            assert db.execute(text("SELECT channel FROM petitions WHERE id = :p"), {"p": petition}).scalar_one() == "其他"
        command.upgrade(config, "head")
        with engine.begin() as db:
            db.execute(text("UPDATE petitions SET channel = '税务机关电话' WHERE id = :p"), {"p": petition})
            assert db.execute(text("SELECT count(*) FROM petition_handlers WHERE petition_id = :p"),
                              {"p": petition}).scalar_one() == 1
    finally:
        command.upgrade(config, "head")
        with engine.begin() as db:
            db.execute(text("DELETE FROM petition_handlers WHERE petition_id = :p"), {"p": petition})
            db.execute(text("DELETE FROM petitions WHERE id = :p"), {"p": petition})
            db.execute(text("DELETE FROM units WHERE id = :u"), {"u": unit})
