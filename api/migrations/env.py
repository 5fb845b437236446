"""Alembic environment: the database URL comes from the service settings (DATABASE_URL)."""
from logging.config import fileConfig

from alembic import context

from api.core.database import Base, make_engine
import api.petition.models  # noqa: F401 - puts the org and petition tables in Base.metadata
import api.notification.models, api.petition.indexes  # noqa: F401,E401 - notifications, running-clock indexes
import api.hub.models  # noqa: F401 - conversations, messages, attachments
import api.enterprise.models  # noqa: F401 - enterprises, filings, credit, risk findings, policy claims
import api.reminder.models  # noqa: F401 - reminders, campaigns, repair applications
import api.analytics.models  # noqa: F401 - daily aggregates, conversation facts and search documents
import api.improvement.models  # noqa: F401 - improvements
import api.review.models  # noqa: F401 - review tags and marks
import api.privacy.models  # noqa: F401 - the audit log of unmasked views
import api.outbox.models  # noqa: F401 - notices to enterprises, SMS outbox
from api.settings import get_settings

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # tests pass an open connection
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
