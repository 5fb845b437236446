"""The real API for tests: a database migrated from scratch, and the app served in-process with its
background sweeps off (the tests run the jobs they need by hand)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from tests.liveserver import LiveServer

__all__ = ["migrate", "serve_api", "leave_no_trace", "vocab"]


def migrate(url: str) -> str:
    """Run every Alembic migration against ``url``; returns it."""
    from alembic import command
    from alembic.config import Config

    from api.settings import ROOT

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return url


def serve_api(database_url: str, workdir: Path, **settings) -> LiveServer:
    """The API on a free port (embedded Redis in ``workdir``), started; ``server.stop()`` when done."""
    from api.main import create_app
    from api.settings import Settings

    config = Settings(database_url=database_url, redis_url=None, embedded_redis_path=str(Path(workdir) / "redis.db"),
                      app_env="development", sla_sweep_enabled=False, hub_sweep_enabled=False,
                      campaign_sweep_enabled=False, analytics_sweep_enabled=False, retrain_sweep_enabled=False,
                      outbox_sweep_enabled=False, **settings)
    server = LiveServer(create_app(config), lifespan="on")
    server.start_and_wait()
    return server


def vocab(group: str, key: str) -> str:
    """The server's Chinese label for ``key`` (GET /api/vocabulary), or "" when this build has none — what a page
    shows then."""
    try:
        from api.vocabulary.catalog import GROUPS
    except ImportError:
        return ""
    return GROUPS.get(group, {}).get(key, "")


@contextmanager
def leave_no_trace(database_url: str):
    """Rows committed inside the block (by a server under test, say) are deleted when it ends, children first,
    so modules that count whole tables later in the run find only their own."""
    from sqlalchemy import delete, func, select

    from api.core.database import Base, make_engine
    from tools.demo.enterprises import load_feature_models

    load_feature_models()
    tables = [t for t in Base.metadata.sorted_tables if "id" in t.c]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            marks = {t.name: connection.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one() for t in tables}
        yield
        with engine.begin() as connection:
            for table in reversed(tables):
                connection.execute(delete(table).where(table.c.id > marks[table.name]))
    finally:
        engine.dispose()
