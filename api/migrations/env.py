"""Alembic environment: the database URL comes from the service settings (DATABASE_URL)."""
from logging.config import fileConfig

from alembic import context

import api.analytics.models
import api.enterprise.models
import api.hub.models
import api.improvement.models
import api.notification.models
import api.outbox.models
import api.petition.indexes
import api.petition.models
import api.privacy.models
import api.reminder.models
import api.review.models  # noqa: F401 - review tags and marks
from api.core.database import Base, make_engine
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
