"""The migration builds exactly what the models describe, and it can be undone."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import api.analytics.models  # noqa: F401 - fills Base.metadata
import api.enterprise.models  # noqa: F401
import api.hub.models  # noqa: F401
import api.notification.models  # noqa: F401
import api.outbox.models  # noqa: F401
import api.petition.models  # noqa: F401
import api.reminder.models  # noqa: F401
from api.database import Base
from api.settings import ROOT

TABLES = {"units", "staff_accounts", "petitions", "petition_handlers", "petition_events", "petition_extensions",
          "petition_ticket_counters", "notifications", "conversations", "conversation_messages",
          "conversation_attachments", "enterprises", "enterprise_filings", "credit_records", "credit_deductions",
          "risk_findings", "policy_claims", "analytics_days", "analytics_daily", "analytics_daily_keys",
          "analytics_daily_seats", "analytics_unanswered", "analytics_conversations", "analytics_search", "review_tags",
          "review_marks", "review_audit_log", "improvements", "enterprise_notices", "sms_outbox"}


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
    assert TABLES <= set(inspect(engine).get_table_names())
