"""Engine and session factory (built by the app at start, never at import) and the declarative base."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends
from sqlalchemy import Table, create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.requests import HTTPConnection

from api.core.errors import NotFound
from api.core.runtime import runtime
from api.settings import sqlalchemy_url

__all__ = ["Base", "make_engine", "make_session_factory", "get_session", "SessionDep", "get_or_404", "rowcount"]

class Base(DeclarativeBase):
    """The declarative base of every model: typed columns (``Mapped[...]``), one metadata for the migrations."""

    __table__: ClassVar[Table]  # every model maps one table (SQLAlchemy types it as any FROM clause)


def make_engine(url: str) -> Engine:
    url = sqlalchemy_url(url)  # plain postgresql:// opens through psycopg 3
    if url.startswith("sqlite"):
        from pathlib import Path

        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:  # WAL: readers do not block the writer
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    engine = create_engine(url)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 1.0
"""Seconds a pooled connection may rest before it is pinged at checkout."""


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections that rested more than ``PING_AFTER_IDLE`` seconds only: a
    connection that worked a moment ago is handed out without the extra round trip (the widget's turns check out
    two or three in a row, and the enterprise waits for each), while one that may have outlived a database restart
    is pinged, and replaced when the ping fails (the pool retries the checkout with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises, the connection is not usable
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection did not answer the ping")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_session(connection: HTTPConnection) -> Iterator[Session]:
    """One session per request; the route commits, an exception rolls back."""
    session = runtime(connection.app).session_factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


ModelT = TypeVar("ModelT", bound=Base)


def get_or_404(session: Session, model: type[ModelT], key: Any, what: str) -> ModelT:
    """The row of `model` with primary key `key`, or NotFound naming it ("单位 3 不存在")."""
    row = session.get(model, key) if key is not None else None  # None: no row (SQLAlchemy would warn)
    if row is None:
        raise NotFound(f"{what} {key} 不存在")
    return row


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. ``Session.execute`` is typed as returning a ``Result``; for these
    statements it is a ``CursorResult``, which has the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"a {type(result).__name__} has no row count")
    return result.rowcount
