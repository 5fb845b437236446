"""Alembic environment: the database URL comes from the service settings (DATABASE_URL)."""
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

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


def _migrate(connection: Connection) -> None:
    # SQLite alters a table by building a new one and dropping the old (batch mode); with foreign keys enforced,
    # the drop fails once other rows reference the table. So they are off while migrating (a pragma SQLite only
    # takes outside a transaction), and the references are checked before they are on again.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        if broken:
            raise RuntimeError(f"the migration left rows whose references are missing: {broken[:5]}")


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # a caller's open connection
        _migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().database_url)
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


run_migrations()
