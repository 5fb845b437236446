"""API fixtures: a migrated database (built by Alembic), Redis, and stand-ins for Rasa and actions.

Rasa and the action server are replaced by tiny real HTTP servers on loopback that answer like
them, so /health is exercised over real sockets.
"""
import http.server
import threading

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.database import make_engine
from api.main import create_app
from api.settings import ROOT, Settings
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL


def _database_url(tmp_path_factory):
    if TEST_DATABASE_URL.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database at the newest revision, built by running the migrations from scratch."""
    url = _database_url(tmp_path_factory)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    engine.dispose()
    return url


class _Answer200(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server naming
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def peer_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer200)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def settings(database_url, peer_url):
    return Settings(database_url=database_url, redis_url=TEST_REDIS_URL, rasa_url=peer_url, actions_url=peer_url)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client
