"""The benchmarks' own PostgreSQL databases: on the server of DATABASE_URL (only the server is used, never
that database), created when missing (dropped first on ``fresh``) and migrated to head with Alembic."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def bench_database(name: str, *, fresh: bool = False) -> str:
    """The URL of database ``name`` on DATABASE_URL's server, existing and migrated; exits unless PostgreSQL."""
    from api.core.database import make_engine

    server = make_url(os.environ.get("DATABASE_URL", DEFAULT_SERVER))
    if not server.drivername.startswith("postgresql"):
        sys.exit(f"the benchmarks need PostgreSQL (DATABASE_URL=postgresql://...), not {server.drivername}")
    admin = make_engine(str(server.set(database="postgres"))).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}"'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            print(f"created database {name}")
    admin.dispose()
    url = str(server.set(database=name))
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return url
