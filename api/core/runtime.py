"""What one running instance holds — settings, database, Redis, the Rasa client, the hub's pub/sub, its
periodic tasks — and the typed ways to reach it.

The app factory puts a :class:`Runtime` on the app and its lifespan fills in the connections; nothing else
reads ``app.state``. Routes take it as a dependency (``RuntimeDep``, or just what they need: ``SettingsDep``,
``RedisDep``); jobs, sockets and hooks are given the ``Runtime`` (``runtime(app)`` where only the app is at hand).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import redis
from fastapi import Depends
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from api.settings import Settings

if TYPE_CHECKING:  # the hub's fan-out and the Rasa client are built by the lifespan, not imported by the core
    from api.core.rasa import RasaClient
    from api.hub.events import Hub
    from api.hub.identity import Identity

__all__ = ["Runtime", "runtime", "get_runtime", "RuntimeDep", "get_app_settings", "SettingsDep", "get_redis",
           "RedisDep"]


class Runtime:
    """One instance's settings and connections. The connections exist between the lifespan's start and stop."""

    engine: Engine
    session_factory: sessionmaker[Session]
    redis: redis.Redis
    rasa: RasaClient
    hub: Hub

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tasks: dict[str, asyncio.Task[None]] = {}  # the periodic jobs running in this instance, by name
        # what is put into the chat when an enterprise opens it (set by the app factory: reminders, notices)
        self.widget_open_hooks: list[Callable[[Runtime, Identity], object]] = []


def runtime(app: ASGIApp) -> Runtime:
    """The app's :class:`Runtime` (set by ``api.main.create_app``)."""
    held: Runtime = app.state.runtime  # type: ignore[attr-defined]
    return held


def get_runtime(connection: HTTPConnection) -> Runtime:
    return runtime(connection.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_app_settings(connection: HTTPConnection) -> Settings:
    return runtime(connection.app).settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_redis(connection: HTTPConnection) -> redis.Redis:
    return runtime(connection.app).redis


RedisDep = Annotated[redis.Redis, Depends(get_redis)]
