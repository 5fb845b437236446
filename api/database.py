"""Engine and session factory (built by the app at start, never at import) and the declarative base."""
from __future__ import annotations

from typing import Annotated, Iterator

from fastapi import Depends, Request
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from api.settings import sqlalchemy_url

__all__ = ["Base", "make_engine", "make_session_factory", "get_session", "SessionDep", "get_or_404"]

Base = declarative_base()


def make_engine(url: str) -> Engine:
    url = sqlalchemy_url(url)  # plain postgresql:// opens through psycopg 3
    if url.startswith("sqlite"):
        from pathlib import Path

        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # WAL: readers do not block the writer
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the route commits, an exception rolls back."""
    session = request.app.state.session_factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def get_or_404(session: Session, model, key, what: str):
    """The row of `model` with primary key `key`, or NotFound naming it ("单位 3 不存在")."""
    from api.errors import NotFound

    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{what} {key} 不存在")
    return row
