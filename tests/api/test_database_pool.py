"""The pool's ping (api.core.database): a connection that rested is pinged at checkout and replaced when the database
dropped it; one that worked a moment ago is handed out without the extra round trip."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from api.core import database
from api.core.database import make_engine


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server that can drop a connection")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_rested_connection_the_database_dropped_is_replaced_at_checkout(engine, database_url, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.2)
    dropped = _backend(engine)
    admin = make_engine(database_url)
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar_one()
    admin.dispose()
    time.sleep(0.3)
    assert _backend(engine) != dropped  # no OperationalError: the ping found it gone and the pool opened another


def test_a_connection_that_worked_a_moment_ago_is_not_pinged(engine, monkeypatch):
    pings = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    first = _backend(engine)  # a new connection is pinged
    assert [_backend(engine) for _ in range(3)] == [first] * 3
    assert len(pings) == 1
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.05)
    time.sleep(0.1)
    _backend(engine)
    assert len(pings) == 2
